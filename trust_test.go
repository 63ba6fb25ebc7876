package mailcheck_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// The cases of issue 10 as a new user meets them (testdata/zones/trust-cases.zone):
// each must get the right grade, and its first fix must be the owner's record
// corrected (or the record a provider needs), never a generic one.
func TestTheTrustCases(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("testdata/zones/trust-cases.zone")
	require.NoError(t, err)
	tests := []struct {
		name, domain string
		profile      mailcheck.Profile
		grade        mailcheck.Grade
		capContains  string
		action       string // the first fix's first change
		value        string // the record it publishes
		replaces     string
	}{
		{"+all with p=reject is spoofable: F, and the fix keeps mx", "plusall.test", mailcheck.ProfileDefault, "F", "passes every address",
			"replace", "v=spf1 mx -all", "v=spf1 mx +all"},
		{"an IP where a domain belongs is a permerror: D, corrected to ip4:", "ipspec.test", mailcheck.ProfileDefault, "D", "permerror",
			"replace", "v=spf1 ip4:192.0.2.1 -all", "v=spf1 a:192.0.2.1 -all"},
		{"no SPF behind Google Workspace MX: include Google's, not mx", "gw.test", mailcheck.ProfileDefault, "F", "No SPF record",
			"publish", "v=spf1 include:_spf.google.com -all", ""},
		{"no SPF behind Microsoft 365 MX: include Microsoft's, not mx", "m365.test", mailcheck.ProfileDefault, "D", "No SPF record",
			"publish", "v=spf1 include:spf.protection.outlook.com -all", ""},
		{"v second and rua without mailto: the owner's record, reordered and repaired", "typo.test", mailcheck.ProfileDefault, "F", "No DMARC record",
			"replace", "v=DMARC1; p=quarantine; rua=mailto:dmarc@typo.test", "p=quarantine; v=DMARC1; rua=dmarc@typo.test"},
		{"a DMARC record at the apex is moved to _dmarc as it is", "apex.test", mailcheck.ProfileDefault, "F", "No DMARC record",
			"publish", "v=DMARC1; p=reject; rua=mailto:d@apex.test", ""},
		{"redirect: is corrected to redirect=", "redir.test", mailcheck.ProfileDefault, "D", "permerror",
			"replace", "v=spf1 redirect=_spf.infra.test", "v=spf1 redirect:_spf.infra.test"},
		{"a parked domain gets the parked DMARC record, without a report mailbox it cannot have", "null.test", mailcheck.ProfileParked, "D", "No DMARC record",
			"publish", "v=DMARC1; p=reject; sp=reject; np=reject", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := mailcheck.CheckDomain(context.Background(), tc.domain,
				mailcheck.WithResolver(dnscheck.NewZoneResolver(z)), mailcheck.WithProfile(tc.profile))
			require.NoError(t, err)
			assert.Equal(t, tc.grade, rep.Grade)
			assert.True(t, strings.Contains(strings.Join(capReasons(rep), "\n"), tc.capContains), "caps: %v", capReasons(rep))
			require.NotEmpty(t, rep.FixFirst)
			first := rep.FixFirst[0]
			require.NotEmpty(t, first.FixRecords, "the first fix is a record: %s", first.Fix)
			assert.Equal(t, tc.action, string(first.FixRecords[0].Action))
			assert.Equal(t, tc.value, first.FixRecords[0].Value)
			assert.Equal(t, tc.replaces, first.FixRecords[0].Replaces)
			assert.Contains(t, first.Fix, tc.value, "the prose quotes the record the data carries")
		})
	}
	t.Run("the SPF copy at _dmarc is deleted, not moved beside the domain's own", func(t *testing.T) {
		rep, err := mailcheck.CheckDomain(context.Background(), "apex.test", mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
		require.NoError(t, err)
		var found bool
		for _, f := range rep.Check("dmarc").Findings {
			if f.Code != "dmarc.spf-at-dmarc" {
				continue
			}
			found = true
			require.Len(t, f.FixRecords, 1)
			assert.Equal(t, "delete", string(f.FixRecords[0].Action))
			assert.Equal(t, "_dmarc.apex.test", f.FixRecords[0].Name)
		}
		assert.True(t, found)
	})
	t.Run("the misspelt p is one finding, not also a missing p", func(t *testing.T) {
		rep, err := mailcheck.CheckDomain(context.Background(), "gw.test", mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
		require.NoError(t, err)
		var codes []string
		for _, f := range rep.Check("dmarc").Findings {
			codes = append(codes, string(f.Code))
		}
		assert.NotContains(t, codes, "dmarc.missing-p")
		assert.Contains(t, codes, "dmarc.invalid-value")
	})
}
