package spf

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailcheck/mailcheck/internal/dnstest"
)

func TestUnlistedSendersGetWhatThePolicySays(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, `$TTL 300
fail.example.      TXT "v=spf1 ip4:192.0.2.0/24 -all"
soft.example.      TXT "v=spf1 ip4:192.0.2.0/24 ~all"
open.example.      TXT "v=spf1 +all"
open6.example.     TXT "v=spf1 ip4:192.0.2.0/24 ip6:::/0 -all"
viainc.example.    TXT "v=spf1 include:_spf.viainc.example -all"
_spf.viainc.example. TXT "v=spf1 ip4:0.0.0.0/0 -all"
ipspec.example.    TXT "v=spf1 a:192.0.2.1 -all"
v6void.example.    TXT "v=spf1 a:h1.v6void.example a:h2.v6void.example a:h3.v6void.example -all"
h1.v6void.example. A 192.0.2.1
h2.v6void.example. A 192.0.2.2
h3.v6void.example. A 192.0.2.3
none.example.      TXT "hello"
`))
	r := srv.Resolver(t)
	tests := []struct {
		domain string
		result Result
		open   bool
	}{
		{"fail.example", Fail, false},
		{"soft.example", SoftFail, false},
		{"open.example", Pass, true},
		{"open6.example", Fail, true},
		{"viainc.example", Pass, true},
		{"ipspec.example", PermError, false},
		{"v6void.example", Fail, false},
		{"none.example", None, false},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			u := EvaluateUnlisted(context.Background(), r, tc.domain)
			assert.Equal(t, tc.result, u.Result())
			assert.Equal(t, tc.open, u.PassesEveryone())
			if tc.result == PermError {
				assert.NotEmpty(t, u.Problem())
			}
		})
	}
	t.Run("an IPv6-only void-limit permerror is the audit's risk, not a broken record", func(t *testing.T) {
		u := EvaluateUnlisted(context.Background(), r, "v6void.example")
		assert.Equal(t, PermError, u.IPv6.Result)
		assert.Equal(t, Fail, u.Result())
	})
	t.Run("a DNS failure makes the verdict unknown", func(t *testing.T) {
		srv.SetFault("fail.example", 0, dnstest.Fault{Rcode: 2})
		u := EvaluateUnlisted(context.Background(), srv.Resolver(t), "fail.example") // a new Resolver: a new cache
		assert.Equal(t, TempError, u.Result())
	})
}

func TestWideNetworks(t *testing.T) {
	rep := &Report{Tree: &Node{Domain: "a.example", Record: "v=spf1 ip4:10.0.0.0/7 -ip4:0.0.0.0/1 ip4:192.0.2.0/24 ip6:2000::/3 -all",
		Children: []*Node{{Domain: "b.example", Record: "v=spf1 +ip4:128.0.0.0/1 ~all"}}}}
	assert.Equal(t, []string{"ip4:10.0.0.0/7 in a.example", "ip6:2000::/3 in a.example", "+ip4:128.0.0.0/1 in b.example"}, rep.WideNetworks())
}
