package spf_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
)

var checkZone = `
$ORIGIN example.
$TTL 300
plain       TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:mail.plain.example/28//64 -all exp=why.plain.example"
mail.plain  A 198.51.100.1
mail.plain  AAAA 2001:db8:1::1
why.plain   TXT "%{i} is not one of %{d}'s senders (%{s}, helo %{h}, %{l}, %{o}, %{v})"
helo        TXT "v=spf1 a -all"
helo        A 192.0.2.77
eleven      TXT "v=spf1 a:a1.example a:a2.example a:a3.example a:a4.example a:a5.example include:ten2.example"
ten2        TXT "v=spf1 a:a6.example a:a7.example a:a8.example a:a9.example redirect=last.example"
last        TXT "v=spf1 ip4:192.0.2.99 -all"
ten         TXT "v=spf1 a:a1.example a:a2.example a:a3.example a:a4.example a:a5.example a:a6.example a:a7.example a:a8.example a:a9.example ip4:192.0.2.1 redirect=last.example"
a1 A 203.0.113.1
a2 A 203.0.113.2
a3 A 203.0.113.3
a4 A 203.0.113.4
a5 A 203.0.113.5
a6 A 203.0.113.6
a7 A 203.0.113.7
a8 A 203.0.113.8
a9 A 203.0.113.9
threevoid   TXT "v=spf1 a:x1.example a:x2.example a:x3.example ip4:192.0.2.1 -all"
twovoid     TXT "v=spf1 a:x1.example a:x2.example ip4:192.0.2.1 -all"
self        TXT "v=spf1 include:self.example -all"
ping        TXT "v=spf1 include:pong.example -all"
pong        TXT "v=spf1 redirect=ping.example"
cname       TXT "v=spf1 a:loop1.example -all"
loop1       CNAME loop2.example.
loop2       CNAME loop1.example.
inc         TXT "v=spf1 include:plain.example -all exp=why.inc.example"
why.inc     TXT "inc says no"
incfail     TXT "v=spf1 include:last.example ~all"
incnone     TXT "v=spf1 include:nothing.example -all"
redir       TXT "v=spf1 redirect=plain.example exp=why.inc.example"
redirnone   TXT "v=spf1 redirect=nothing.example"
slow        TXT "v=spf1 a:slowhost.example -all"
tempinc     TXT "v=spf1 include:slow.example -all"
mx          TXT "v=spf1 mx -all"
mx          MX 10 m1.mx.example.
mx          MX 20 m2.mx.example.
m2.mx       A 192.0.2.200
softfail    TXT "v=spf1 ~all"
mxvoid      TXT "v=spf1 mx ip4:192.0.2.1 -all"
mxvoid      MX 10 gone1.example.
mxvoid      MX 20 gone2.example.
mxvoid      MX 30 gone3.example.
neutral     TXT "v=spf1 ?all"
nomatch     TXT "v=spf1 ip4:192.0.2.1"
exists      TXT "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"
1.2.0.192.fred._spf.exists A 127.0.0.2
`

func init() {
	var b strings.Builder
	for i := 0; i < 11; i++ {
		fmt.Fprintf(&b, "manymx MX %d m%d.manymx.example.\nm%d.manymx A 192.0.2.%d\n", i, i, i, 100+i)
	}
	b.WriteString("manymx TXT \"v=spf1 mx -all\"\n")
	for i := 0; i < 12; i++ {
		fmt.Fprintf(&b, "3.2.0.192.in-addr.arpa. PTR p%d.ptr.example.\np%d.ptr A 192.0.2.3\n", i, i)
	}
	b.WriteString("ptr TXT \"v=spf1 ptr:p11.ptr.example ptr:ptr.example -all\"\n")
	checkZone += b.String()
}

func TestCheckHost(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, checkZone))
	srv.SetFault("slowhost.example", 0, dnstest.Fault{Drop: true})
	// A recursive resolver answers SERVFAIL for a CNAME loop (the in-process zone
	// follows one CNAME level only, so the loop is served as a real resolver would).
	srv.SetFault("loop1.example", 0, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	for _, tc := range []struct {
		name, ip, domain, sender string
		want                     spf.Result
		expl                     string
	}{
		{"an IPv4 address in ip4 passes", "192.0.2.9", "plain.example", "", spf.Pass, ""},
		{"an IPv6 address in ip6 passes", "2001:db8:5::1", "plain.example", "", spf.Pass, ""},
		{"a/28 matches a neighbour of the A record", "198.51.100.14", "plain.example", "", spf.Pass, ""},
		{"a//64 matches a neighbour of the AAAA record", "2001:db8:1::ffff", "plain.example", "", spf.Pass, ""},
		{"an IPv4-mapped IPv6 client is treated as IPv4", "::ffff:192.0.2.9", "plain.example", "", spf.Pass, ""},
		{"fail carries the expanded explanation", "203.0.113.5", "plain.example", "jo@plain.example", spf.Fail,
			"203.0.113.5 is not one of plain.example's senders (jo@plain.example, helo mta.example.net, jo, plain.example, in-addr)"},
		{"no record is none", "192.0.2.1", "nothing.example", "", spf.None, ""},
		{"a malformed domain is none", "192.0.2.1", "a..example", "", spf.None, ""},
		{"softfail", "192.0.2.1", "softfail.example", "", spf.SoftFail, ""},
		{"neutral", "192.0.2.1", "neutral.example", "", spf.Neutral, ""},
		{"no match and no all is neutral", "192.0.2.2", "nomatch.example", "", spf.Neutral, ""},
		{"exactly 10 lookups still evaluate", "192.0.2.99", "ten.example", "", spf.Pass, ""},
		{"the 11th lookup, a redirect, is a permerror", "192.0.2.99", "eleven.example", "", spf.PermError, ""},
		{"two void lookups are allowed", "192.0.2.1", "twovoid.example", "", spf.Pass, ""},
		{"a third void lookup is a permerror", "192.0.2.1", "threevoid.example", "", spf.PermError, ""},
		{"a self-include ends in permerror", "192.0.2.1", "self.example", "", spf.PermError, ""},
		{"an include-redirect cycle ends in permerror", "192.0.2.1", "ping.example", "", spf.PermError, ""},
		{"a CNAME loop (SERVFAIL) is a temperror", "192.0.2.1", "cname.example", "", spf.TempError, ""},
		{"a timeout is a temperror", "192.0.2.1", "slow.example", "", spf.TempError, ""},
		{"a timeout inside an include is a temperror", "192.0.2.1", "tempinc.example", "", spf.TempError, ""},
		{"an include's fail is no match and its exp is not used", "203.0.113.1", "inc.example", "", spf.Fail, "inc says no"},
		{"an include's pass matches", "192.0.2.1", "inc.example", "", spf.Pass, ""},
		{"an include's fail falls through", "192.0.2.1", "incfail.example", "", spf.SoftFail, ""},
		{"an include of a domain without a record is a permerror", "192.0.2.1", "incnone.example", "", spf.PermError, ""},
		{"a redirect uses the target's exp, not its own", "203.0.113.1", "redir.example", "", spf.Fail, "203.0.113.1 is not one of plain.example's senders (postmaster@redir.example, helo mta.example.net, postmaster, redir.example, in-addr)"},
		{"a redirect to nothing is a permerror", "192.0.2.1", "redirnone.example", "", spf.PermError, ""},
		{"mx matches the address of an MX host", "192.0.2.200", "mx.example", "", spf.Pass, ""},
		{"MX hosts without addresses are void lookups", "192.0.2.1", "mxvoid.example", "", spf.PermError, ""},
		{"more than 10 MX hosts is a permerror", "192.0.2.100", "manymx.example", "", spf.PermError, ""},
		{"PTR names beyond the tenth are ignored", "192.0.2.3", "ptr.example", "", spf.Pass, ""},
		{"exists with macros", "192.0.2.1", "exists.example", "fred-smith@exists.example", spf.Pass, ""},
		{"exists without a matching name fails", "192.0.2.2", "exists.example", "fred-smith@exists.example", spf.Fail, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			out := spf.CheckHost(ctx, srv.Resolver(t), netip.MustParseAddr(tc.ip), tc.domain, tc.sender,
				spf.WithHELO("mta.example.net"))
			assert.Equal(t, tc.want, out.Result, "problem: %s", out.Problem)
			assert.Equal(t, tc.expl, out.Explanation)
			if tc.want == spf.PermError || tc.want == spf.TempError {
				assert.NotEmpty(t, out.Problem)
			}
		})
	}
}

func TestCheckHostCountsLookups(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, checkZone))
	out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr("192.0.2.99"), "ten.example", "")
	require.Equal(t, spf.Pass, out.Result)
	assert.Equal(t, 10, out.Lookups)
	last := out.Trace[len(out.Trace)-1]
	assert.True(t, last.Match)
	assert.Equal(t, "ip4:192.0.2.99", last.Term)
	assert.Equal(t, "last.example", last.Domain)
	assert.Equal(t, 1, last.Depth)
}

func TestPTRNamesPastTheTenthAreNotLookedUp(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, checkZone))
	out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr("192.0.2.3"), "ptr.example", "")
	require.Equal(t, spf.Pass, out.Result)
	assert.Equal(t, "ptr:ptr.example", out.Trace[len(out.Trace)-1].Term, "p11 is the 12th name: ignored")
	assert.Zero(t, srv.Count("p11.ptr.example", "A"))
}

func TestHELOIdentity(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, checkZone))
	r := srv.Resolver(t)
	out := spf.Verify(context.Background(), r, netip.MustParseAddr("192.0.2.77"), "", "helo.example")
	assert.Equal(t, spf.Pass, out.Result)
	assert.Equal(t, "postmaster@helo.example", out.Sender)
	out = spf.Verify(context.Background(), r, netip.MustParseAddr("192.0.2.77"), "", "localhost")
	assert.Equal(t, spf.None, out.Result, "a single-label HELO is not checked")
	out = spf.Verify(context.Background(), r, netip.MustParseAddr("192.0.2.9"), "@plain.example", "helo.example")
	assert.Equal(t, spf.Pass, out.Result)
	assert.Equal(t, "postmaster@plain.example", out.Sender)
}

func TestTheContextBoundsTheWholeEvaluation(t *testing.T) {
	// Each answer takes 50 ms and the tree is at least two records deep, so even the
	// prefetching evaluation (its critical path, not its sum) outlasts 70 ms.
	srv := dnstest.Start(t, dnstest.Zone(t, checkZone))
	srv.SetLatency(50 * time.Millisecond)
	for _, opts := range [][]spf.Option{nil, {spf.WithSequential()}} {
		ctx, cancel := context.WithTimeout(context.Background(), 70*time.Millisecond)
		start := time.Now()
		out := spf.CheckHost(ctx, srv.Resolver(t), netip.MustParseAddr("192.0.2.99"), "ten.example", "", opts...)
		cancel()
		assert.Equal(t, spf.TempError, out.Result, out.Problem)
		assert.Less(t, time.Since(start), time.Second)
	}
}

func TestBigAnswersAreHandled(t *testing.T) {
	// A TXT RRset of about 64 KiB, sent over TCP after a truncated UDP answer, with
	// one SPF record of 10,000 terms.
	var b strings.Builder
	rec := "v=spf1" + strings.Repeat(" ip4:192.0.2.1", 3000) + " -all"
	b.WriteString("huge.example. 300 IN TXT")
	for len(rec) > 0 {
		n := min(len(rec), 255)
		fmt.Fprintf(&b, " \"%s\"", rec[:n])
		rec = rec[n:]
	}
	b.WriteString("\n")
	for i := 0; i < 80; i++ {
		fmt.Fprintf(&b, "huge.example. 300 IN TXT \"filler %d %s\"\n", i, strings.Repeat("x", 200))
	}
	// A record of 10,000 terms (30 KB): the 11th DNS-querying term is a permerror.
	many := "v=spf1" + strings.Repeat(" ?a", 10000)
	b.WriteString("many.example. 300 IN TXT")
	for rest := many; len(rest) > 0; {
		n := min(len(rest), 255)
		fmt.Fprintf(&b, " \"%s\"", rest[:n])
		rest = rest[n:]
	}
	b.WriteString("\nmany.example. 300 IN A 192.0.2.1\n")
	z := dnstest.Zone(t, b.String())
	srv := dnstest.Start(t, z)
	out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr("192.0.2.2"), "huge.example", "")
	assert.Equal(t, spf.Fail, out.Result, out.Problem)
	out = spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr("192.0.2.2"), "many.example", "")
	assert.Equal(t, spf.PermError, out.Result, out.Problem)
	assert.Equal(t, 11, out.Lookups)
	rep, err := spf.Check(context.Background(), srv.Resolver(t), "many.example")
	require.NoError(t, err)
	assert.Equal(t, 10000, rep.Lookups, "the audit counts every term")
	assert.Equal(t, 10000, rep.Tree.Cost)
	assert.Contains(t, codes(rep.Findings), "spf.lookup-limit")
	rep, err = spf.Check(context.Background(), srv.Resolver(t), "huge.example")
	require.NoError(t, err)
	assert.Contains(t, codes(rep.Findings), "spf.record-size")

	r, err := spf.Parse(many)
	require.NoError(t, err)
	assert.Equal(t, 10000, len(r.Terms))
}

// Both the standard library's resolver and dnscheck's satisfy spf.Resolver.
var (
	_ spf.Resolver = net.DefaultResolver
	_ spf.Resolver = (*dnscheck.Resolver)(nil)
)

func TestPrefetchStopsAtTheLookupLimit(t *testing.T) {
	// Twelve literal a: terms, all known from the first answer: the evaluation asks
	// for the first ten and fails at the eleventh, and the prefetch asks for no more.
	var b strings.Builder
	b.WriteString("$TTL 300\nwide.example. TXT \"v=spf1")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, " a:h%d.wide.example", i)
	}
	b.WriteString(" -all\"\n")
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&b, "h%d.wide.example. A 198.51.100.%d\n", i, i)
	}
	srv := dnstest.Start(t, dnstest.Zone(t, b.String()))
	sent := func(opts ...spf.Option) []dnstest.Query {
		srv.ResetLog()
		out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr("192.0.2.1"), "wide.example", "", opts...)
		require.Equal(t, spf.PermError, out.Result, out.Problem)
		require.Equal(t, 11, out.Lookups)
		log := srv.Log()
		slices.SortFunc(log, func(x, y dnstest.Query) int { return strings.Compare(x.Name+x.Type, y.Name+y.Type) })
		return log
	}
	seq := sent(spf.WithSequential())
	assert.Len(t, seq, 11, "the TXT record and ten addresses")
	assert.Equal(t, seq, sent())
}
