package spf_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/spf"
)

func TestSuggestCorrectsTypos(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		why            string // a word the change's reason must contain
	}{
		{"include= is include:", "v=spf1 include=_spf.infra.example -all", "v=spf1 include:_spf.infra.example -all", "unknown modifier"},
		{"a mistyped include name is include", "v=spf1 inlcude:_spf.infra.example -all", "v=spf1 include:_spf.infra.example -all", "not a mechanism"},
		{"ip: with an IPv4 address is ip4:", "v=spf1 ip:192.0.2.1 -all", "v=spf1 ip4:192.0.2.1 -all", "ip4"},
		{"ip: with an IPv6 address is ip6:", "v=spf1 ip:2001:db8::1 -all", "v=spf1 ip6:2001:db8::1 -all", "ip6"},
		{"ipv4: is ip4:, keeping the prefix", "v=spf1 ipv4:192.0.2.0/24 -all", "v=spf1 ip4:192.0.2.0/24 -all", "ip4"},
		{"ip4: with an IPv6 address is ip6:", "v=spf1 ip4:2001:db8::/32 -all", "v=spf1 ip6:2001:db8::/32 -all", "ip6"},
		{"an upper-case version is v=spf1", "V=SPF1 mx -all", "v=spf1 mx -all", "exactly v=spf1"},
		{"v=spf1.0 is v=spf1", "v=spf1.0 mx -all", "v=spf1 mx -all", "exactly v=spf1"},
		{"v=spf without 1 is v=spf1", "v=spf mx -all", "v=spf1 mx -all", "exactly v=spf1"},
		{"redirect: is redirect=", "v=spf1 redirect:_spf.infra.example", "v=spf1 redirect=_spf.infra.example", "modifier"},
		{"exp: is exp=", "v=spf1 mx -all exp:why.infra.example", "v=spf1 mx -all exp=why.infra.example", "modifier"},
		{"a trailing dot after all goes", "v=spf1 mx -all.", "v=spf1 mx -all", "stray"},
		{"a trailing semicolon goes", "v=spf1 mx ~all;", "v=spf1 mx ~all", "stray"},
		{"stray quotes around the record go", `"v=spf1 mx -all"`, "v=spf1 mx -all", "quotes"},
		{"a stray quote at the end goes", `v=spf1 mx -all"`, "v=spf1 mx -all", "stray"},
		{"doubled spaces become one", "v=spf1  mx   -all", "v=spf1 mx -all", "doubled"},
		{"tabs become spaces", "v=spf1\tmx\t-all", "v=spf1 mx -all", "tabs"},
		{"an IP address in a: is ip4:", "v=spf1 a:192.0.2.1 -all", "v=spf1 ip4:192.0.2.1 -all", "RFC 7208 §5.6"},
		{"an IP address in mx: keeps its prefix", "v=spf1 mx:192.0.2.0/24 -all", "v=spf1 ip4:192.0.2.0/24 -all", "domain name"},
		{"+all is -all, with a note", "v=spf1 mx +all", "v=spf1 mx -all", "check the list is complete"},
		{"a bare all is -all", "v=spf1 mx all", "v=spf1 mx -all", "every server"},
		{"a qualifier cut off its mechanism is joined", "v=spf1 mx - all", "v=spf1 mx -all", "space"},
		{"a space after ip4: is removed", "v=spf1 ip4: 192.0.2.1 -all", "v=spf1 ip4:192.0.2.1 -all", "space"},
		{"an en dash from a document is a minus", "v=spf1 mx \u2013all", "v=spf1 mx -all", "typographic"},
		{"every other term is kept as written, in order", "v=spf1 A MX:mail.infra.example include=_spf.infra.example ip4:192.0.2.1 ~all",
			"v=spf1 A MX:mail.infra.example include:_spf.infra.example ip4:192.0.2.1 ~all", "include"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changes := spf.Suggest(tc.in)
			assert.Equal(t, tc.want, got)
			require.NotEmpty(t, changes)
			var whys string
			for _, c := range changes {
				whys += c.String() + " "
			}
			assert.Contains(t, whys, tc.why)
			_, err := spf.Parse(got)
			assert.NoError(t, err)
		})
	}
}

func TestSuggestLeavesAloneWhatItCannotRead(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"a correct record needs nothing", "v=spf1 include:_spf.infra.example ip4:192.0.2.0/24 -all"},
		{"a valid unknown modifier is not a typo", "v=spf1 mx foo=bar -all"},
		{"a Sender ID record is not SPF", "spf2.0/pra include:_spf.infra.example -all"},
		{"a verification token is not SPF", "google-site-verification=abc"},
		{"a term it does not recognise is no guess", "v=spf1 mx frobnicate:x.example -all"},
		{"an empty record is nothing", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changes := spf.Suggest(tc.in)
			assert.Empty(t, changes)
			assert.Equal(t, tc.in, got)
		})
	}
}
