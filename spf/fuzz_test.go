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
		if _, err := spf.Audit(ctx, r, "example.com"); err != nil {
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
