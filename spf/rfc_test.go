package spf_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
)

// appendixA is the zone of RFC 7208 Appendix A, with each example record published
// under its own name below example.com so that one zone serves them all.
const appendixA = `
$ORIGIN example.com.
$TTL 300
@         MX 10 mail-a
@         MX 20 mail-b
@         A 192.0.2.10
@         A 192.0.2.11
amy       A 192.0.2.65
bob       A 192.0.2.66
mail-a    A 192.0.2.129
mail-b    A 192.0.2.130
www       CNAME example.com.
@         TXT "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all"
mobile-users._spf TXT "v=spf1 exists:%{l1r+}.%{d}"
remote-users._spf TXT "v=spf1 exists:%{ir}.%{l1r+}.%{d}"
mary.mobile-users._spf A 127.0.0.2
fred.mobile-users._spf A 127.0.0.2
15.15.168.192.joel.remote-users._spf A 127.0.0.2
16.15.168.192.joel.remote-users._spf A 127.0.0.2
all._t    TXT "v=spf1 +all"
a._t      TXT "v=spf1 a:example.com -all"
aorg._t   TXT "v=spf1 a:example.org -all"
mx._t     TXT "v=spf1 mx:example.com -all"
mxorg._t  TXT "v=spf1 mx:example.org -all"
mxboth._t TXT "v=spf1 mx:example.com mx:example.org -all"
mx30._t   TXT "v=spf1 mx:example.com/30 mx:example.org/30 -all"
ptr._t    TXT "v=spf1 ptr:example.com -all"
ip4._t    TXT "v=spf1 ip4:192.0.2.128/28 -all"

$ORIGIN example.org.
@         MX 10 mail-c
mail-c    A 192.0.2.140
@         TXT "v=spf1 include:example.com include:example.net -all"
la        TXT "v=spf1 redirect=example.org"

$ORIGIN example.net.
@         TXT "v=spf1 ip4:198.51.100.0/24 -all"

$ORIGIN 2.0.192.in-addr.arpa.
10        PTR example.com.
11        PTR example.com.
65        PTR amy.example.com.
66        PTR bob.example.com.
129       PTR mail-a.example.com.
130       PTR mail-b.example.com.
140       PTR mail-c.example.org.

$ORIGIN 0.0.10.in-addr.arpa.
4         PTR bob.example.com.
`

// TestRFC7208AppendixA evaluates the examples of RFC 7208 Appendix A for each client
// address the appendix names, with the results it gives.
func TestRFC7208AppendixA(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, appendixA))
	type ipWant struct {
		ip   string
		want spf.Result
	}
	for _, tc := range []struct {
		name, domain, sender string
		cases                []ipWant
	}{
		{"A.1 +all passes any address", "all._t.example.com", "", []ipWant{{"172.16.0.1", spf.Pass}, {"2001:db8::1", spf.Pass}}},
		{"A.1 a passes the two addresses of example.com", "a._t.example.com", "", []ipWant{{"192.0.2.10", spf.Pass}, {"192.0.2.11", spf.Pass}, {"192.0.2.12", spf.Fail}}},
		{"A.1 a:example.org passes nobody since example.org has no A records", "aorg._t.example.com", "", []ipWant{{"192.0.2.10", spf.Fail}, {"192.0.2.140", spf.Fail}}},
		{"A.1 mx passes the MX hosts of example.com", "mx._t.example.com", "", []ipWant{{"192.0.2.129", spf.Pass}, {"192.0.2.130", spf.Pass}, {"192.0.2.140", spf.Fail}, {"192.0.2.10", spf.Fail}}},
		{"A.1 mx:example.org passes mail-c only", "mxorg._t.example.com", "", []ipWant{{"192.0.2.140", spf.Pass}, {"192.0.2.129", spf.Fail}}},
		{"A.1 two mx terms pass the hosts of both", "mxboth._t.example.com", "", []ipWant{{"192.0.2.129", spf.Pass}, {"192.0.2.130", spf.Pass}, {"192.0.2.140", spf.Pass}, {"192.0.2.131", spf.Fail}}},
		{"A.1 mx with /30 passes the neighbours of the MX hosts", "mx30._t.example.com", "", []ipWant{{"192.0.2.131", spf.Pass}, {"192.0.2.128", spf.Pass}, {"192.0.2.143", spf.Pass}, {"192.0.2.132", spf.Fail}}},
		{"A.1 ptr passes hosts whose validated name is in example.com", "ptr._t.example.com", "", []ipWant{{"192.0.2.65", spf.Pass}, {"192.0.2.10", spf.Pass}, {"192.0.2.140", spf.Fail}, {"10.0.0.4", spf.Fail}}},
		{"A.1 ip4/28 passes 192.0.2.129 but not amy", "ip4._t.example.com", "", []ipWant{{"192.0.2.65", spf.Fail}, {"192.0.2.129", spf.Pass}}},
		{"A.2 a redirect to a record with two includes", "la.example.org", "", []ipWant{{"192.0.2.129", spf.Pass}, {"198.51.100.7", spf.Pass}, {"203.0.113.1", spf.Fail}}},
		{"A.3 mary is a mobile user and passes from anywhere", "example.com", "mary@example.com", []ipWant{{"198.51.100.9", spf.Pass}}},
		{"A.3 fred+wildcard is fred by the + delimiter", "example.com", "fred+wildcard@example.com", []ipWant{{"198.51.100.9", spf.Pass}}},
		{"A.3 joel passes only from his listed addresses", "example.com", "joel@example.com", []ipWant{{"192.168.15.15", spf.Pass}, {"192.168.15.16", spf.Pass}, {"192.168.15.17", spf.Fail}, {"198.51.100.9", spf.Fail}}},
		{"A.3 anyone passes from the MX hosts", "example.com", "other@example.com", []ipWant{{"192.0.2.130", spf.Pass}, {"198.51.100.9", spf.Fail}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.cases {
				out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr(c.ip), tc.domain, tc.sender)
				assert.Equal(t, c.want, out.Result, "client %s: %s", c.ip, out.Problem)
			}
		})
	}
}

var rfcZone = `
$ORIGIN example.
$TTL 300
; §4.4, §4.5: record selection
mixed       TXT "google-site-verification=abc"
mixed       TXT "v=spf1 ip4:192.0.2.1 -all"
mixed       TXT "v=spf10 +all"
spf10       TXT "v=spf10 +all"
upper       TXT "V=SPF1 IP4:192.0.2.1 -ALL"
split       TXT "v=spf1 ip4:" "192.0.2.1 -all"
two         TXT "v=spf1 +all"
two         TXT "v=spf1 -all"
badplus     TXT "v=spf1 ip4:192.0.2.1 -all foo:bar"
badplus     TXT "some other text"
nospace     TXT "v=spf1-all"
lead        TXT " v=spf1 +all"
; §4.3
*.wild     TXT "v=spf1 +all"
; §4.6.4: exp does not count against the limit
tenexp      TXT "v=spf1 a:a1.example a:a2.example a:a3.example a:a4.example a:a5.example a:a6.example a:a7.example a:a8.example a:a9.example a:a1.example -all exp=why.tenexp.example"
why.tenexp  TXT "ten and no more"
a1 A 203.0.113.1
a2 A 203.0.113.2
a3 A 203.0.113.3
a4 A 203.0.113.4
a5 A 203.0.113.5
a6 A 203.0.113.6
a7 A 203.0.113.7
a8 A 203.0.113.8
a9 A 203.0.113.9
v6only      AAAA 2001:db8::99
voidnodata  TXT "v=spf1 a:v6only.example a:v6only.example a:v6only.example ip4:192.0.2.1 -all"
voidexists  TXT "v=spf1 exists:n1.example exists:n2.example exists:n3.example ip4:192.0.2.1 -all"
voidinc     TXT "v=spf1 include:nospf1.example -all"
nospf1      A 192.0.2.1
; §5.3 dual CIDR and IPv4-mapped clients
dual        TXT "v=spf1 a:host.dual.example/24//64 -all"
host.dual   A 192.0.2.1
host.dual   AAAA 2001:db8:1::1
; §5.4 exactly ten MX names
tenmx       TXT "v=spf1 mx -all"
; §5.5 ptr
ptrv        TXT "v=spf1 ptr -all"
ptrother    TXT "v=spf1 ptr:example.org -all"
ptrsub      TXT "v=spf1 ptr:ptrv.example -all"
mail.ptrv   A 192.0.2.50
mail.ptrv   AAAA 2001:db8::50
liar.ptrv   A 192.0.2.99
; §5.7 exists is an A query whatever the client
exists6     TXT "v=spf1 exists:%{ir}.%{v}._spf.%{d} -all"
existsa     TXT "v=spf1 exists:a.existsa.example -all"
a.existsa   A 127.0.0.2
; §6.1 redirect
rednone     TXT "v=spf1 redirect=none.example"
redbad      TXT "v=spf1 redirect=%{l}.example"
redperm     TXT "v=spf1 redirect=badplus.example"
redtemp     TXT "v=spf1 redirect=slow.example"
incperm     TXT "v=spf1 include:badplus.example +all"
; §6.2 exp
expmulti    TXT "v=spf1 -all exp=multi.expmulti.example"
multi.expmulti TXT "one"
multi.expmulti TXT "two"
expbadmacro TXT "v=spf1 -all exp=bad.expbadmacro.example"
bad.expbadmacro TXT "%{x} is unknown"
expnone     TXT "v=spf1 -all exp=gone.expnone.example"
expmacro    TXT "v=spf1 -all exp=%{l}.expmacro.example"
jo.expmacro TXT "no, %{l}"
explit      TXT "v=spf1 -all exp=text.explit.example"
text.explit TXT "%{c} via %{r} at %{t}: %{S} %% %_ %-"
expsoft     TXT "v=spf1 ~all exp=text.explit.example"
; §7.4 examples
email.example.com. TXT "v=spf1 -all exp=macros.email.example.com"
macros.email.example.com. TXT "%{s}|%{o}|%{d}|%{d4}|%{d3}|%{d2}|%{d1}|%{dr}|%{d2r}|%{l}|%{l-}|%{lr}|%{lr-}|%{l1r-}"
macros2.email.example.com. TXT "%{ir}.%{v}._spf.%{d2}|%{lr-}.lp._spf.%{d2}|%{lr-}.lp.%{ir}.%{v}._spf.%{d2}|%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}|%{d2}.trusted-domains.example.net"
m2.email.example.com. TXT "v=spf1 -all exp=macros2.email.example.com"
hmacro      TXT "v=spf1 -all exp=h.hmacro.example"
h.hmacro    TXT "%{h} %{H} %{v} %{p}"
invalidmacro TXT "v=spf1 a:%{z}.example -all"
dotd        TXT "v=spf1 -all exp=e.dotd.example"
e.dotd      TXT "%{d} %{d1} %{d1r} %{o}"
`

func init() {
	var b strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "tenmx MX %d m%d.tenmx.example.\nm%d.tenmx A 192.0.2.%d\n", i, i, i, 100+i)
	}
	// §5.5: 192.0.2.50 names mail.ptrv.example (validated) and liar.ptrv.example
	// (whose address is another one); 192.0.2.51 names only the liar.
	b.WriteString("50.2.0.192.in-addr.arpa. PTR liar.ptrv.example.\n50.2.0.192.in-addr.arpa. PTR mail.ptrv.example.\n")
	b.WriteString("51.2.0.192.in-addr.arpa. PTR liar.ptrv.example.\n")
	b.WriteString("0.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mail.ptrv.example.\n")
	b.WriteString("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.exists6.example. A 127.0.0.2\n")
	rfcZone += b.String()
}

// TestRFC7208Rules covers rules of RFC 7208 section by section, beyond the OpenSPF suite.
func TestRFC7208Rules(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, rfcZone))
	srv.SetFault("slow.example", 0, dnstest.Fault{Drop: true})
	for _, tc := range []struct {
		name, ip, domain, sender string
		want                     spf.Result
		expl                     string
	}{
		{"§4.3 a trailing dot on the domain is allowed", "192.0.2.1", "mixed.example.", "", spf.Pass, ""},
		{"§4.3 a label longer than 63 characters gives none", "192.0.2.1", strings.Repeat("x", 64) + ".wild.example", "", spf.None, ""},
		{"§4.3 an empty label gives none", "192.0.2.1", "a..wild.example", "", spf.None, ""},
		{"§4.3 a sender without a local part is postmaster", "192.0.2.1", "expmacro.example", "@expmacro.example", spf.Fail, ""},
		{"§4.5 the one v=spf1 record among other TXT records is used", "192.0.2.1", "mixed.example", "", spf.Pass, ""},
		{"§4.5 v=spf10 is not an SPF record", "192.0.2.1", "spf10.example", "", spf.None, ""},
		{"§4.5 the version is case-insensitive", "192.0.2.1", "upper.example", "", spf.Pass, ""},
		{"§4.5 the version with no space after it is not SPF", "192.0.2.1", "nospace.example", "", spf.None, ""},
		{"§4.5 a record with a space before the version is not SPF", "192.0.2.1", "lead.example", "", spf.None, ""},
		{"§3.3 the strings of one TXT record are joined without a space", "192.0.2.1", "split.example", "", spf.Pass, ""},
		{"§4.5 two SPF records are a permerror", "192.0.2.1", "two.example", "", spf.PermError, ""},
		{"§4.6 a syntax error anywhere makes the record a permerror, even after a match", "192.0.2.1", "badplus.example", "", spf.PermError, ""},
		{"§4.6.4 exp does not count as a DNS lookup", "192.0.2.2", "tenexp.example", "", spf.Fail, "ten and no more"},
		{"§4.6.4 A queries answered with only AAAA records are void lookups", "192.0.2.1", "voidnodata.example", "", spf.PermError, ""},
		{"§4.6.4 exists on names that do not exist are void lookups", "192.0.2.1", "voidexists.example", "", spf.PermError, ""},
		{"§5.2 include of a domain without an SPF record is a permerror", "192.0.2.1", "voidinc.example", "", spf.PermError, ""},
		{"§5.2 include of a domain whose record is a permerror is a permerror", "192.0.2.1", "incperm.example", "", spf.PermError, ""},
		{"§5.3 an IPv4-mapped IPv6 client uses the IPv4 CIDR length", "::ffff:192.0.2.200", "dual.example", "", spf.Pass, ""},
		{"§5.3 an IPv4-mapped IPv6 client outside the IPv4 CIDR fails", "::ffff:192.0.3.1", "dual.example", "", spf.Fail, ""},
		{"§5.3 an IPv6 client uses the IPv6 CIDR length", "2001:db8:1::abcd", "dual.example", "", spf.Pass, ""},
		{"§5.3 an IPv6 client outside the IPv6 CIDR fails", "2001:db8:2::1", "dual.example", "", spf.Fail, ""},
		{"§5.4 ten MX names are allowed and the tenth matches", "192.0.2.109", "tenmx.example", "", spf.Pass, ""},
		{"§5.5 ptr matches a validated name of the domain", "192.0.2.50", "ptrv.example", "", spf.Pass, ""},
		{"§5.5 ptr ignores a PTR name whose addresses do not include the client", "192.0.2.51", "ptrv.example", "", spf.Fail, ""},
		{"§5.5 ptr does not match a validated name outside the domain", "192.0.2.50", "ptrother.example", "", spf.Fail, ""},
		{"§5.5 ptr:domain matches a subdomain of that domain", "192.0.2.50", "ptrsub.example", "", spf.Pass, ""},
		{"§5.5 ptr works for an IPv6 client through ip6.arpa and AAAA", "2001:db8::50", "ptrv.example", "", spf.Pass, ""},
		{"§5.7 exists with %{ir}.%{v} of an IPv6 client queries A records", "2001:db8::cb01", "exists6.example", "", spf.Pass, ""},
		{"§5.7 exists queries A records for an IPv6 client", "2001:db8::1", "existsa.example", "", spf.Pass, ""},
		{"§6.1 a redirect to a domain with no record is a permerror", "192.0.2.1", "rednone.example", "", spf.PermError, ""},
		{"§6.1 a redirect to a malformed name is a permerror", "192.0.2.1", "redbad.example", "a..b@redbad.example", spf.PermError, ""},
		{"§6.1 a redirect to a record with a syntax error is a permerror", "192.0.2.1", "redperm.example", "", spf.PermError, ""},
		{"§6.1 a redirect to a domain whose lookup times out is a temperror", "192.0.2.1", "redtemp.example", "", spf.TempError, ""},
		{"§6.2 an exp name with two TXT records gives no explanation", "192.0.2.1", "expmulti.example", "", spf.Fail, ""},
		{"§6.2 an explanation with an invalid macro gives no explanation", "192.0.2.1", "expbadmacro.example", "", spf.Fail, ""},
		{"§6.2 an exp name that does not exist gives no explanation", "192.0.2.1", "expnone.example", "", spf.Fail, ""},
		{"§6.2 the exp domain-spec is macro-expanded", "192.0.2.1", "expmacro.example", "jo@expmacro.example", spf.Fail, "no, jo"},
		{"§6.2 exp is used only for fail, not softfail", "192.0.2.1", "expsoft.example", "", spf.SoftFail, ""},
		{"§7.3 c, r, t, URL-escaped S and the escapes in an explanation", "2001:db8::1", "explit.example", "jo+x@explit.example", spf.Fail,
			"2001:db8::1 via mx.receiver.example at 1700000000: jo%2Bx%40explit.example %   %20"},
		{"§7.4 the RFC's macro examples for strong-bad@email.example.com", "192.0.2.3", "email.example.com", "strong-bad@email.example.com", spf.Fail,
			"strong-bad@email.example.com|email.example.com|email.example.com|email.example.com|email.example.com|example.com|com|com.example.email|example.email|strong-bad|strong.bad|strong-bad|bad.strong|strong"},
		{"§7.4 the RFC's examples with %{ir}, %{v}, %{lr-} and %{l1r-} for IPv4", "192.0.2.3", "m2.email.example.com", "strong-bad@email.example.com", spf.Fail,
			"3.2.0.192.in-addr._spf.example.com|bad.strong.lp._spf.example.com|bad.strong.lp.3.2.0.192.in-addr._spf.example.com|3.2.0.192.in-addr.strong.lp._spf.example.com|example.com.trusted-domains.example.net"},
		{"§7.3 h is the HELO name, v in-addr, p unknown without PTR", "192.0.2.1", "hmacro.example", "", spf.Fail, "mta.example.net mta.example.net in-addr unknown"},
		{"§4.3 a trailing dot is not part of %{d}, its transforms or %{o}", "192.0.2.1", "dotd.example.", "jo@dotd.example.", spf.Fail, "dotd.example example dotd dotd.example"},
		{"§7.1 an unknown macro letter in a mechanism is a permerror", "192.0.2.1", "invalidmacro.example", "", spf.PermError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			out := spf.CheckHost(ctx, srv.Resolver(t), netip.MustParseAddr(tc.ip), tc.domain, tc.sender,
				spf.WithHELO("mta.example.net"), spf.WithReceiver("mx.receiver.example"), spf.WithNow(func() time.Time { return time.Unix(1700000000, 0) }))
			assert.Equal(t, tc.want, out.Result, "problem: %s", out.Problem)
			assert.Equal(t, tc.expl, out.Explanation)
		})
	}
}

// TestRFC7208MacroExampleIPv6 is the IPv6 example of RFC 7208 §7.4. The RFC prints the
// nibbles in lower case; the OpenSPF suite expects upper case in explanations and DNS
// names are case-insensitive, so the comparison ignores case.
func TestRFC7208MacroExampleIPv6(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, rfcZone))
	out := spf.CheckHost(context.Background(), srv.Resolver(t), netip.MustParseAddr("2001:db8::cb01"), "m2.email.example.com", "strong-bad@email.example.com")
	assert.Equal(t, spf.Fail, out.Result, out.Problem)
	want := "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
	first, _, _ := strings.Cut(out.Explanation, "|")
	assert.True(t, strings.EqualFold(want, first), "got %q", first)
}

// TestParseFollowsTheRFC7208Grammar checks §4.6.1, §5 and §12 cases the record tests
// do not: each record is valid or not as the ABNF says.
func TestParseFollowsTheRFC7208Grammar(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		valid        bool
	}{
		{"modifier names are case-insensitive", "v=spf1 REDIRECT=_spf.example.com", true},
		{"a name=value with a mechanism's name is an unknown modifier", "v=spf1 include=foo -all", true},
		{"an unknown modifier may be empty", "v=spf1 moo= -all", true},
		{"a domain-spec may be a single macro", "v=spf1 exists:%{l} -all", true},
		{"a domain-spec may end in a macro after a literal", "v=spf1 a:foo.%{d}/24 -all", true},
		{"a domain-spec may end in a dot", "v=spf1 a:mail.example.com. -all", true},
		{"underscores are allowed in a domain-spec", "v=spf1 include:_spf.example.com -all", true},
		{"a term without a name is an error", "v=spf1 =foo -all", false},
		{"exp needs a domain-spec", "v=spf1 -all exp=", false},
		{"redirect needs a domain-spec", "v=spf1 redirect=", false},
		{"ip6 takes no dual CIDR", "v=spf1 ip6:2001:db8::/32//64", false},
		{"a single slash before an IPv6 length is an IPv4 length", "v=spf1 a/24/64", false},
		{"an IPv4 length on ip4 may be 0", "v=spf1 ip4:0.0.0.0/0", true},
		{"a port is not a top label", "v=spf1 include:example.com:80", false},
		{"an IPv4 address with a leading zero is not a dotted quad", "v=spf1 ip4:192.0.2.01", false},
		{"ip4 with a prefix of a short address is an error", "v=spf1 ip4:192.0.2/24", false},
		{"a syntax error after all still voids the record", "v=spf1 -all foo:bar", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := spf.Parse(tc.record)
			if tc.valid {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, spf.ErrSyntax)
			}
		})
	}
}
