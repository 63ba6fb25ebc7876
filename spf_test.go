package mailcheck

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/spf"
)

func spfDemo(t *testing.T) Option {
	t.Helper()
	z, err := dnscheck.LoadZoneFile("testdata/zones/spf-demo.zone")
	require.NoError(t, err)
	return WithResolver(dnscheck.NewZoneResolver(z))
}

func TestCheckSPFAuditStatus(t *testing.T) {
	for _, tc := range []struct {
		name, domain string
		want         Status
		code         string
	}{
		{"a sound record passes", "good.example", StatusPass, ""},
		{"a record over the lookup limit fails", "heavy.example", StatusFail, "spf.lookup-limit"},
		{"an IP in a: fails", "broken.example", StatusFail, "spf.ip-in-domain-spec"},
		{"no record fails", "nothing.example", StatusFail, "spf.missing"},
		{"a type 99 record beside the TXT record warns", "type99.example", StatusWarn, "spf.type99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckSPF(context.Background(), tc.domain, spfDemo(t))
			require.NoError(t, err)
			assert.Equal(t, "spf", c.ID)
			assert.Equal(t, tc.want, c.Status, c.Summary)
			if tc.code != "" {
				var codes []string
				for _, f := range c.Findings {
					codes = append(codes, string(f.Code))
				}
				assert.Contains(t, codes, tc.code)
			}
			assert.IsType(t, &spf.Report{}, c.Details)
		})
	}
	_, err := CheckSPF(context.Background(), "not a domain", spfDemo(t))
	assert.Error(t, err)
	c, err := CheckSPF(context.Background(), "good.example", WithSendingIPs(netip.MustParseAddr("192.0.2.1")), spfDemo(t))
	require.NoError(t, err)
	require.Len(t, c.Details.(*spf.Report).SelfTests, 1)
	assert.Equal(t, spf.Pass, c.Details.(*spf.Report).SelfTests[0].Outcome.Result)
}

func TestCheckSPFHostStatusFollowsTheResult(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    SPFQuery
		res  spf.Result
		want Status
	}{
		{"pass", SPFQuery{IP: netip.MustParseAddr("192.0.2.1"), Sender: "a@good.example"}, spf.Pass, StatusPass},
		{"fail", SPFQuery{IP: netip.MustParseAddr("203.0.113.1"), Sender: "a@good.example"}, spf.Fail, StatusFail},
		{"softfail", SPFQuery{IP: netip.MustParseAddr("203.0.113.1"), Domain: "soft.example"}, spf.SoftFail, StatusFail},
		{"permerror", SPFQuery{IP: netip.MustParseAddr("203.0.113.1"), Domain: "broken.example"}, spf.PermError, StatusFail},
		{"HELO identity", SPFQuery{IP: netip.MustParseAddr("203.0.113.7"), HELO: "helo.example"}, spf.Pass, StatusPass},
		{"a single-label HELO is none: a warning, as its finding says", SPFQuery{IP: netip.MustParseAddr("203.0.113.7"), HELO: "localhost"}, spf.None, StatusWarn},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckSPFHost(context.Background(), tc.q, spfDemo(t))
			require.NoError(t, err)
			out := c.Details.(*spf.Outcome)
			assert.Equal(t, tc.res, out.Result, out.Problem)
			assert.Equal(t, tc.want, c.Status)
			require.Len(t, c.Findings, 1)
			assert.Equal(t, spf.CodeResult, c.Findings[0].Code)
		})
	}
	_, err := CheckSPFHost(context.Background(), SPFQuery{IP: netip.MustParseAddr("192.0.2.1")}, spfDemo(t))
	assert.Error(t, err, "no identity")
}
