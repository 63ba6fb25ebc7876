package spf_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/spf"
)

// FuzzCheckHost evaluates arbitrary records (at the domain and at an include target)
// against an offline zone: check_host() and the audit must never panic or hang, and
// must always give one of the seven results.
func FuzzCheckHost(f *testing.F) {
	for _, s := range [][2]string{
		{"v=spf1 include:inc.example.com -all exp=exp.example.com", "v=spf1 a mx ptr ~all"},
		{"v=spf1 exists:%{ir}.%{l1r-}.%{d} redirect=inc.example.com", "v=spf1 redirect=example.com"},
		{"v=spf1 a:%{p}.example.com/24//64 ?all", "v=spf1 include:example.com"},
		{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", "%{c} %{t} %{r}"},
	} {
		f.Add(s[0], s[1], "192.0.2.1")
	}
	f.Fuzz(func(t *testing.T, rec, inc, ipText string) {
		ip, err := netip.ParseAddr(ipText)
		if err != nil {
			ip = netip.MustParseAddr("192.0.2.1")
		}
		z, _ := dnscheck.ParseZone(strings.NewReader(`
example.com. 300 IN MX 10 mx.example.com.
mx.example.com. 300 IN A 192.0.2.1
mx.example.com. 300 IN AAAA 2001:db8::1
1.2.0.192.in-addr.arpa. 300 IN PTR mx.example.com.
`), "fuzz")
		for name, text := range map[string]string{"example.com.": rec, "inc.example.com.": inc, "exp.example.com.": inc} {
			var parts []string
			for len(text) > 0 {
				n := min(len(text), 255)
				parts = append(parts, escapeTXT(text[:n]))
				text = text[n:]
			}
			z.Add(&dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: parts})
		}
		r := dnscheck.NewZoneResolver(z)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		out := spf.CheckHost(ctx, r, ip, "example.com", "user@example.com", spf.WithHELO("mx.example.com"))
		switch out.Result {
		case spf.None, spf.Neutral, spf.Pass, spf.Fail, spf.SoftFail, spf.TempError, spf.PermError:
		default:
			t.Fatalf("result %q", out.Result)
		}
		if out.Lookups > spf.MaxLookups+1 {
			t.Fatalf("%d lookups evaluated", out.Lookups)
		}
		if _, err := spf.Check(ctx, r, "example.com"); err != nil {
			t.Fatal(err)
		}
	})
}

// escapeTXT writes raw bytes in the presentation format miekg/dns packs.
func escapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c > 0x7e:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FuzzSuggest: the typo corrector never panics; a record it corrects parses, and
// correcting it again changes nothing.
func FuzzSuggest(f *testing.F) {
	for _, s := range []string{
		"v=spf1 include=_spf.example.com -all", "V=SPF1 ip:192.0.2.1 ~all;", `"v=spf1.0 a:192.0.2.1 +all"`,
		"v=spf1 redirect:_spf.example.com", "v=spf1 mx - all exp:x.example.com", "v=spf1 ip4: 2001:db8::1 -all.",
		"spf2.0/pra mx -all", "v=spf1 inlcude:x.example.com \u2013all",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		got, changes := spf.Suggest(rec)
		if len(changes) == 0 {
			if got != rec {
				t.Fatalf("no changes but %q became %q", rec, got)
			}
			return
		}
		if _, err := spf.Parse(got); err != nil {
			t.Fatalf("Suggest(%q) = %q, which does not parse: %v", rec, got, err)
		}
		if again, more := spf.Suggest(got); len(more) > 0 {
			t.Fatalf("Suggest is not idempotent: %q -> %q -> %q (%v)", rec, got, again, more)
		}
	})
}
