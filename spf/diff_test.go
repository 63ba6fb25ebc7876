package spf_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
)

// diffZone holds the scenarios on which a differential run against an independent
// SPF implementation (mailauth 4.13) disagreed with this package. Each was adjudicated
// by the RFC 7208 text in this package's favour; the cases pin that reading.
var diffZone = `
$ORIGIN example.
$TTL 300
host        A 192.0.2.10
; §5.6: ip6 networks
all6        TXT "v=spf1 -ip6:::/0 +all"
mapped6     TXT "v=spf1 -ip6:::ffff:192.0.2.0/120 +all"
; §7.3: %{d} is the domain of the record being evaluated, not the sender's domain
dtop        TXT "v=spf1 include:dinc.example -all"
dinc        TXT "v=spf1 exists:%{d}.known.example -all"
dinc.example.known A 127.0.0.2
dtop2       TXT "v=spf1 include:dinc2.example -all"
dinc2       TXT "v=spf1 +exists:%{d}.known.example"
dtop2.example.known A 127.0.0.2
; §5.5: a bare ptr in an included record means ptr:<included domain>
ptop        TXT "v=spf1 include:pinc.example -all"
pinc        TXT "v=spf1 ptr ~all"
10.2.0.192.in-addr.arpa. PTR host.ptop.example.
host.ptop   A 192.0.2.10
; §7.3: %{p} is a validated PTR name
pmacro      TXT "v=spf1 exists:%{p}.known.example -all"
host.ptop.example.known A 127.0.0.2
; §5.2, §4.4: DNS errors below an include
inctemp     TXT "v=spf1 include:broken.example +all"
incatemp    TXT "v=spf1 include:abroken.example +all"
abroken     TXT "v=spf1 a:broken.example -all"
; §7.1: a domain-spec may end in a dot (a fully qualified name)
fqdn        TXT "v=spf1 a:host.example. -all"
; §4.8, §5: a target that expands to one label is looked up, not rejected
onelabel    TXT "v=spf1 a:%{l} ip4:192.0.2.10 -all"
; §7.3: "%_" is a space and "%-" is "%20" in the expanded name
*.wild      A 127.0.0.2
underscore  TXT "v=spf1 exists:x%_y.wild.example -all"
dash        TXT "v=spf1 exists:x%-y.wild.example -all"
`

func init() {
	// §4.6.4: eleven ptr terms; each is a DNS-querying term even though the PTR
	// answer is the same every time.
	diffZone += "ptr11 TXT \"v=spf1" + strings.Repeat(" ptr:other.example", 11) + " +all\"\n"
	diffZone += "ptr10 TXT \"v=spf1" + strings.Repeat(" ptr:other.example", 10) + " +all\"\n"
}

// TestDifferentialAdjudicated replays the adjudicated disagreements.
func TestDifferentialAdjudicated(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, diffZone))
	srv.SetFault("broken.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	srv.SetFault("broken.example", dns.TypeA, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	for _, tc := range []struct {
		name, ip, domain, sender string
		want                     spf.Result
	}{
		{"§5.6 ip6:::/0 matches every IPv6 client", "2001:db8::1", "all6.example", "", spf.Fail},
		{"§5.6 an IPv4-mapped ip6 network is valid and matches no IPv4-mapped client", "::ffff:192.0.2.10", "mapped6.example", "", spf.Pass},
		{"§5.6 an IPv4-mapped ip6 network matches no IPv4 client", "192.0.2.10", "mapped6.example", "", spf.Pass},
		{"§7.3 %{d} in an included record is the included domain", "192.0.2.99", "dtop.example", "jo@dtop.example", spf.Pass},
		{"§7.3 %{d} in an included record is not the sender's domain", "192.0.2.99", "dtop2.example", "jo@dtop2.example", spf.Fail},
		{"§5.5 a bare ptr in an included record checks the included domain", "192.0.2.10", "ptop.example", "jo@ptop.example", spf.Fail},
		{"§7.3 %{p} is a validated PTR name, not the sender's domain", "192.0.2.10", "pmacro.example", "jo@pmacro.example", spf.Pass},
		{"§5.2 an include whose target's TXT lookup fails is a temperror", "192.0.2.10", "inctemp.example", "", spf.TempError},
		{"§5.2 a DNS error inside an included record is a temperror", "192.0.2.10", "incatemp.example", "", spf.TempError},
		{"§7.1 a target with a final dot is a fully qualified name", "192.0.2.10", "fqdn.example", "", spf.Pass},
		{"§4.8 a target that expands to a single label is a lookup, not an error", "192.0.2.10", "onelabel.example", "jo@onelabel.example", spf.Pass},
		{"§7.3 %_ expands to a space in the queried name", "192.0.2.99", "underscore.example", "", spf.Pass},
		{"§7.3 %- expands to %20 in the queried name", "192.0.2.99", "dash.example", "", spf.Pass},
		{"§4.6.4 ten ptr terms are allowed", "192.0.2.10", "ptr10.example", "", spf.Pass},
		{"§4.6.4 the eleventh ptr term is a permerror although the PTR answer is known", "192.0.2.10", "ptr11.example", "", spf.PermError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sender := tc.sender
			if sender == "" {
				sender = "postmaster@" + tc.domain
			}
			out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr(tc.ip), tc.domain, sender)
			assert.Equal(t, tc.want, out.Result, "problem: %s\ntrace: %s", out.Problem, traceText(out))
		})
	}
}

func traceText(out *spf.Outcome) string {
	var b strings.Builder
	for _, s := range out.Trace {
		fmt.Fprintf(&b, "\n  %s %s match=%v %s %s", s.Domain, s.Term, s.Match, s.Result, s.Detail)
	}
	return b.String()
}
