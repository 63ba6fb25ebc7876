package dnscheck

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/internal/finding"
)

func TestApplyFixRecords(t *testing.T) {
	z, err := ParseZone(strings.NewReader(`
example.com. 300 IN TXT "v=spf1 include=_spf.example.net -all"
example.com. 300 IN MX 10 mx.example.com.
_dmarc.example.com. 300 IN TXT "v=DMARC1; p=none"
`), "t")
	require.NoError(t, err)
	ctx := context.Background()
	long := "v=spf1 " + strings.Repeat("ip4:192.0.2.1 ", 30) + "-all"

	t.Run("a replace swaps the named record and keeps the others", func(t *testing.T) {
		out, err := z.ApplyFixRecords([]finding.FixRecord{{Action: finding.Replace, Name: "example.com", Type: "TXT",
			Replaces: "v=spf1 include=_spf.example.net -all", Value: "v=spf1 include:_spf.example.net -all"}})
		require.NoError(t, err)
		txt, err := NewZoneResolver(out).LookupTXT(ctx, "example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 include:_spf.example.net -all"}, txt)
		orig, _ := NewZoneResolver(z).LookupTXT(ctx, "example.com")
		assert.Equal(t, []string{"v=spf1 include=_spf.example.net -all"}, orig, "the original zone is unchanged")
	})
	t.Run("a publish adds a record at a new name, split into 255-octet strings", func(t *testing.T) {
		out, err := z.ApplyFixRecords([]finding.FixRecord{{Action: finding.Publish, Name: "sub.example.com", Type: "TXT", Value: long}})
		require.NoError(t, err)
		txt, err := NewZoneResolver(out).LookupTXT(ctx, "sub.example.com")
		require.NoError(t, err)
		assert.Equal(t, []string{long}, txt)
	})
	t.Run("a delete removes the record", func(t *testing.T) {
		out, err := z.ApplyFixRecords([]finding.FixRecord{{Action: finding.Delete, Name: "_dmarc.example.com", Type: "TXT", Replaces: "v=DMARC1; p=none"}})
		require.NoError(t, err)
		_, err = NewZoneResolver(out).LookupTXT(ctx, "_dmarc.example.com")
		assert.True(t, IsNotFound(err))
	})
	t.Run("an MX publish takes presentation form", func(t *testing.T) {
		out, err := z.ApplyFixRecords([]finding.FixRecord{{Action: finding.Replace, Name: "example.com", Type: "MX", Replaces: "10 mx.example.com.", Value: "0 ."}})
		require.NoError(t, err)
		mx, err := NewZoneResolver(out).LookupMX(ctx, "example.com")
		require.NoError(t, err)
		require.Len(t, mx, 1)
		assert.Equal(t, ".", mx[0].Host)
	})
	t.Run("a replace of a record that is not there is an error", func(t *testing.T) {
		_, err := z.ApplyFixRecords([]finding.FixRecord{{Action: finding.Replace, Name: "example.com", Type: "TXT", Replaces: "v=spf1 -all", Value: "x"}})
		assert.ErrorContains(t, err, "no record")
	})
}
