package spf_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/spf"
)

func ExampleParse() {
	rec, err := spf.Parse("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com a/24//64 -all")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range rec.Terms {
		fmt.Println(t.Mechanism, t.Qualifier.Result())
	}
	_, err = spf.Parse("v=spf1 a:192.0.2.1 -all")
	fmt.Println(err)
	// Output:
	// ip4 pass
	// include pass
	// a pass
	// all fail
	// spf: syntax error in term "a:192.0.2.1" at offset 7: "192.0.2.1" is an IP address, not a domain name (use ip4: or ip6:)
}

func ExampleCheckHost() {
	zone, _ := dnscheck.ParseZone(strings.NewReader(`
example.com.      300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all exp=why.example.com"
why.example.com.  300 IN TXT "%{i} may not send for %{d}"
`), "example")
	r := dnscheck.NewZoneResolver(zone)
	for _, ip := range []string{"192.0.2.25", "203.0.113.9"} {
		out := spf.CheckHost(context.Background(), r, netip.MustParseAddr(ip), "example.com", "alice@example.com")
		if out.Explanation != "" {
			fmt.Println(ip, out.Result, out.Explanation)
		} else {
			fmt.Println(ip, out.Result)
		}
	}
	// Output:
	// 192.0.2.25 pass
	// 203.0.113.9 fail 203.0.113.9 may not send for example.com
}

func ExampleCheck() {
	zone, _ := dnscheck.ParseZone(strings.NewReader(`
example.com.       300 IN TXT "v=spf1 include:_spf.example.com ?all"
_spf.example.com.  300 IN TXT "v=spf1 ip4:192.0.2.0/24 mx ~all"
_spf.example.com.  300 IN MX 10 mail.example.com.
mail.example.com.  300 IN A 192.0.2.1
`), "example")
	rep, _ := spf.Check(context.Background(), dnscheck.NewZoneResolver(zone), "example.com")
	fmt.Println("lookups:", rep.Lookups)
	for _, f := range rep.Findings {
		fmt.Println(f.Code)
	}
	// Output:
	// lookups: 2
	// spf.all-neutral
}
