package dnscheck_test

import (
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeDomain(t *testing.T) {
	good := []struct {
		name, in, ascii, unicode string
	}{
		{"a plain name is lower-cased", "Example.COM", "example.com", "example.com"},
		{"a trailing dot is dropped", "example.com.", "example.com", "example.com"},
		{"a Unicode name becomes an A-label", "bücher.example", "xn--bcher-kva.example", "bücher.example"},
		{"an A-label keeps its Unicode form for display", "xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"},
		{"underscore labels are DNS names", "_dmarc.example.com", "_dmarc.example.com", "_dmarc.example.com"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			d, err := dnscheck.NormalizeDomain(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.ascii, d.ASCII)
			assert.Equal(t, tc.unicode, d.Unicode)
		})
	}
	bad := []struct {
		name, in, says string
	}{
		{"an empty name", "  ", "empty"},
		{"an IPv4 address", "192.0.2.1", "IP address"},
		{"an IPv6 address", "[2001:db8::1]", "IP address"},
		{"a name over 253 octets", strings.Repeat("abcdefghi.", 26) + "com", "253"},
		{"a label over 63 octets", strings.Repeat("a", 64) + ".com", "63"},
		{"a space inside", "exa mple.com", "contains a space"},
		{"a slash", "example.com/path", "not allowed"},
		{"two dots in a row", "example..com", "empty label"},
		{"a control character", "exa\x1bmple.com", "not allowed"},
		{"a single label", "localhost", "single label"},
	}
	for _, tc := range bad {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := dnscheck.NormalizeDomain(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, dnscheck.ErrInvalidDomain)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}
