package spf

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAcceptsTheGrammar(t *testing.T) {
	for _, tc := range []struct{ name, record, want string }{
		{"an empty record is valid", "v=spf1", "v=spf1"},
		{"version is case-insensitive and extra spaces are allowed", "V=SPF1   -ALL  ", "v=spf1 -all"},
		{"every mechanism with and without arguments",
			"v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com mx mx:example.com ptr ptr:example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}._spf.%{d}",
			"v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com mx mx:example.com ptr ptr:example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}._spf.%{d}"},
		{"dual CIDR lengths on a and mx", "v=spf1 a/24//64 mx:example.com//0 a:example.com/32", "v=spf1 a/24//64 mx:example.com//0 a:example.com/32"},
		{"modifiers, known and unknown", "v=spf1 redirect=_spf.example.com exp=explain.%{d} moo.cow-far_out=man:dog/cat", "v=spf1 redirect=_spf.example.com exp=explain.%{d} moo.cow-far_out=man:dog/cat"},
		{"macro escapes and transformers", "v=spf1 exists:%{l1r-}.%%%_%-.%{ir}.%{v}._spf.%{D2}", "v=spf1 exists:%{l1r-}.%%%_%-.%{ir}.%{v}._spf.%{D2}"},
		{"a toplabel with dashes", "v=spf1 a:example.xn--zckzah", "v=spf1 a:example.xn--zckzah"},
		{"ip6 with an embedded IPv4 address", "v=spf1 ip6:::ffff:192.0.2.1/128", "v=spf1 ip6:::ffff:192.0.2.1/128"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.record)
			require.NoError(t, err)
			assert.Equal(t, tc.want, r.String())
			again, err := Parse(r.String())
			require.NoError(t, err)
			assert.Equal(t, stripOffsets(r), stripOffsets(again))
		})
	}
}

func TestParseRejectsBadRecordsNamingTermAndOffset(t *testing.T) {
	for _, tc := range []struct {
		name, record, term string
		offset             int
		ipLiteral          bool
	}{
		{"all takes no argument", "v=spf1 -all:foo", "-all:foo", 7, false},
		{"all with a dot is unknown", "v=spf1 a -all.", "-all.", 9, false},
		{"an unknown mechanism", "v=spf1 ip4:192.0.2.1 moo", "moo", 21, false},
		{"redirect is a modifier, not a mechanism", "v=spf1 redirect:example.com", "redirect:example.com", 7, false},
		{"a modifier takes no qualifier", "v=spf1 -redirect=example.com", "-redirect=example.com", 7, false},
		{"redirect may appear only once", "v=spf1 redirect=a.example.com redirect=b.example.com", "redirect=b.example.com", 30, false},
		{"exp may appear only once", "v=spf1 exp=a.example.com exp=b.example.com", "exp=b.example.com", 25, false},
		{"an empty domain-spec", "v=spf1 a: -all", "a:", 7, false},
		{"a domain-spec needs a dot and a top label", "v=spf1 a:foo-bar", "a:foo-bar", 7, false},
		{"an all-numeric top label", "v=spf1 a:example.123", "a:example.123", 7, false},
		{"an IP address in a domain-spec", "v=spf1 a:192.0.2.1 -all", "a:192.0.2.1", 7, true},
		{"a CIDR length over 32", "v=spf1 a/33", "a/33", 7, false},
		{"a CIDR length with a leading zero", "v=spf1 ip4:192.0.2.0/024", "ip4:192.0.2.0/024", 7, false},
		{"an ip6 length over 128", "v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129", 7, false},
		{"ip4 with an IPv6 address", "v=spf1 ip4:2001:db8::1", "ip4:2001:db8::1", 7, false},
		{"ptr takes no CIDR length", "v=spf1 ptr/0", "ptr/0", 7, false},
		{"an unterminated macro", "v=spf1 exists:%{d", "exists:%{d", 7, false},
		{"an unknown macro letter", "v=spf1 exists:%{x}.example.com", "exists:%{x}.example.com", 7, false},
		{"c, r and t only in explanations", "v=spf1 exists:%{c}.example.com", "exists:%{c}.example.com", 7, false},
		{"a zero digit transformer", "v=spf1 exists:%{d0}.example.com", "exists:%{d0}.example.com", 7, false},
		{"a lone percent sign", "v=spf1 a:ex%ample.com", "a:ex%ample.com", 7, false},
		{"an unknown modifier with a bad macro", "v=spf1 foo=%{z}", "foo=%{z}", 7, false},
		{"a tab is not a separator", "v=spf1 a\t-all", "a\t-all", 7, false},
		{"non-ASCII bytes", "v=spf1 \x80a -all", "\x80a", 7, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.record)
			require.ErrorIs(t, err, ErrSyntax)
			var se *SyntaxError
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tc.term, se.Term)
			assert.Equal(t, tc.offset, se.Offset)
			assert.Equal(t, tc.ipLiteral, se.IPLiteral)
			assert.Contains(t, err.Error(), "offset")
		})
	}
}

func TestParseRejectsRecordsOfAnotherVersion(t *testing.T) {
	for _, rec := range []string{"", "v=spf10", "v=spf1a", "spf2.0/pra", "v=spf1\t-all"} {
		_, err := Parse(rec)
		assert.ErrorIs(t, err, ErrNotSPF, "%q", rec)
	}
}

func TestParseHandlesAHugeRecord(t *testing.T) {
	rec := "v=spf1" + strings.Repeat(" ip4:192.0.2.1", 10000) + " -all"
	r, err := Parse(rec)
	require.NoError(t, err)
	assert.Len(t, r.Terms, 10001)
	assert.Equal(t, rec, r.String())
}

func stripOffsets(r *Record) *Record {
	c := &Record{Terms: append([]Term(nil), r.Terms...)}
	for i := range c.Terms {
		c.Terms[i].Offset = 0
	}
	return c
}

// FuzzParse checks that Parse never panics and that whatever it accepts round-trips:
// Parse(String()) gives the same record.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=spf1", "v=spf1 -all", "v=spf1 a/24//64 mx:example.com//0 ptr:example.com ~all",
		"v=spf1 include:_spf.google.com ip4:192.0.2.0/24 ip6:2001:db8::/32 -all",
		"v=spf1 exists:%{l1r-}.%%%_%-.%{ir}.%{v}._spf.%{D2} redirect=%{d}.example.com",
		"v=spf1 exp=explain.%{d} moo.cow-far_out=man:dog/cat ?all",
		"v=spf1 a:192.0.2.1", "v=spf1 ip6:::ffff:192.0.2.1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, r.String(), err)
		}
		if a, b := stripOffsets(r).String(), stripOffsets(again).String(); a != b {
			t.Fatalf("round trip changed the record: %q -> %q", a, b)
		}
		if !termsEqual(r, again) {
			t.Fatalf("round trip changed the terms of %q", s)
		}
	})
}

func termsEqual(a, b *Record) bool {
	if len(a.Terms) != len(b.Terms) {
		return false
	}
	for i := range a.Terms {
		x, y := a.Terms[i], b.Terms[i]
		x.Offset, y.Offset = 0, 0
		if x != y {
			return false
		}
	}
	return true
}

// The examples of RFC 7208 §7.4.
func TestMacroExpansionRFCExamples(t *testing.T) {
	env := &macroEnv{
		sender: "strong-bad@email.example.com", local: "strong-bad", senderDomain: "email.example.com",
		domain: "email.example.com", ip: netip.MustParseAddr("192.0.2.3"), helo: "mx.example.org",
		now: time.Unix(1234567890, 0),
	}
	for spec, want := range map[string]string{
		"%{s}": "strong-bad@email.example.com", "%{o}": "email.example.com", "%{d}": "email.example.com",
		"%{d4}": "email.example.com", "%{d3}": "email.example.com", "%{d2}": "example.com", "%{d1}": "com",
		"%{dr}": "com.example.email", "%{d2r}": "example.email", "%{l}": "strong-bad", "%{l-}": "strong.bad",
		"%{lr}": "strong-bad", "%{lr-}": "bad.strong", "%{l1r-}": "strong",
		"%{ir}.%{v}._spf.%{d2}":             "3.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":              "bad.strong.lp._spf.example.com",
		"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}":   "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
		"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}":  "3.2.0.192.in-addr.strong.lp._spf.example.com",
		"%{d2}.trusted-domains.example.net": "example.com.trusted-domains.example.net",
		"%{S}":                              "strong-bad%40email.example.com",
		"%%%_%-":                            "% %20",
	} {
		got, err := env.expand(context.Background(), spec, false)
		require.NoError(t, err, spec)
		assert.Equal(t, want, got, spec)
	}
	got, err := env.expand(context.Background(), "%{c} %{t} %{r}", true)
	require.NoError(t, err)
	assert.Equal(t, "192.0.2.3 1234567890 unknown", got)

	env.ip = netip.MustParseAddr("2001:db8::cb01")
	got, err = env.expand(context.Background(), "%{ir}.%{v}._spf.%{d2}", false)
	require.NoError(t, err)
	assert.True(t, strings.EqualFold("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", got), got)
}

func TestExpandedNamesAreTruncatedTo253(t *testing.T) {
	long := strings.Repeat("abcdefghi.", 30) + "example.com"
	got := truncateDomain(long)
	assert.LessOrEqual(t, len(got), 253)
	assert.True(t, strings.HasSuffix(got, ".example.com"))
	assert.False(t, strings.HasPrefix(got, "."))
}
