package mailcheck

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/spf"
)

// TestSPFFixThroughTheReport checks the root's wiring of the missing-SPF fix: DKIM
// CNAME targets reveal the provider, and the fix, applied to the zone, makes
// spf.missing go with no new warning in the SPF check.
func TestSPFFixThroughTheReport(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("testdata/zones/fixes-spf.zone")
	require.NoError(t, err)
	for _, tc := range []struct{ name, domain, record string }{
		{"a DKIM key delegated to SendGrid adds SendGrid's include to mx", "sgdkim.fixes.example", "v=spf1 mx include:sendgrid.net -all"},
		{"Google Workspace MX hosts give Google's include and no mx", "google.fixes.example", "v=spf1 include:_spf.google.com -all"},
		{"a null MX gives v=spf1 -all", "parked.fixes.example", "v=spf1 -all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c, err := CheckSPF(ctx, tc.domain, WithResolver(dnscheck.NewZoneResolver(z)))
			require.NoError(t, err)
			var f *Finding
			for i := range c.Findings {
				if c.Findings[i].Code == spf.CodeMissing {
					f = &c.Findings[i]
				}
			}
			require.NotNil(t, f)
			require.Equal(t, []finding.FixRecord{{Action: finding.Publish, Name: tc.domain, Type: "TXT", Value: tc.record}}, f.FixRecords)
			assert.Contains(t, f.Fix, tc.record)
			fixed, err := z.ApplyFixRecords(f.FixRecords)
			require.NoError(t, err)
			after, err := CheckSPF(ctx, tc.domain, WithResolver(dnscheck.NewZoneResolver(fixed)))
			require.NoError(t, err)
			assert.Equal(t, StatusPass, after.Status, "findings after the fix: %v", after.Findings)
		})
	}
}
