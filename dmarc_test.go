package mailcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dmarcZone(t *testing.T, file string) Option {
	t.Helper()
	z, err := dnscheck.LoadZoneFile("testdata/zones/" + file)
	require.NoError(t, err)
	return WithResolver(dnscheck.NewZoneResolver(z))
}

func TestCheckDMARCBuildsTheCheck(t *testing.T) {
	tests := []struct {
		name, domain string
		status       Status
		summary      string
	}{
		{"a clean record passes", "ok.example", StatusPass, "Policy reject, published at _dmarc.ok.example; subdomains: reject."},
		{"an inherited policy is summarized as such", "sub.ok.example", StatusPass, "Policy reject, inherited from _dmarc.ok.example; subdomains: reject."},
		{"a missing record fails", "missing.example", StatusFail, "No DMARC policy applies."},
		{"p=none warns", "none.example", StatusWarn, "Policy none, published at _dmarc.none.example; subdomains: none."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CheckDMARC(context.Background(), tc.domain, dmarcZone(t, "dmarc-findings.zone"))
			require.NoError(t, err)
			assert.Equal(t, "dmarc", c.ID)
			assert.Equal(t, tc.status, c.Status)
			assert.Equal(t, tc.summary, c.Summary)
		})
	}
}

func TestCheckDMARCDetailsNameTheDocumentedFields(t *testing.T) {
	c, err := CheckDMARC(context.Background(), "mail.example.com", dmarcZone(t, "dmarc-discovery.zone"))
	require.NoError(t, err)
	b, err := json.Marshal(c)
	require.NoError(t, err)
	var v struct {
		Details struct {
			Record          string `json:"record"`
			FoundAt         string `json:"found_at"`
			EffectivePolicy string `json:"effective_policy"`
			SubdomainPolicy string `json:"subdomain_policy"`
			Tags            []struct {
				Tag      string `json:"tag"`
				Value    string `json:"value"`
				Explicit bool   `json:"explicit"`
			} `json:"tags"`
		} `json:"details"`
	}
	require.NoError(t, json.Unmarshal(b, &v))
	d := v.Details
	assert.Equal(t, "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:dmarc@example.com", d.Record)
	assert.Equal(t, "_dmarc.example.com", d.FoundAt)
	assert.Equal(t, "quarantine", d.EffectivePolicy)
	assert.Equal(t, "quarantine", d.SubdomainPolicy)
	require.NotEmpty(t, d.Tags)
	byTag := map[string]bool{}
	for _, tag := range d.Tags {
		byTag[tag.Tag] = tag.Explicit
	}
	assert.True(t, byTag["sp"])
	assert.False(t, byTag["adkim"])
}

func TestCheckDMARCRejectsABadDomain(t *testing.T) {
	_, err := CheckDMARC(context.Background(), "not a domain", dmarcZone(t, "dmarc-findings.zone"))
	assert.ErrorIs(t, err, dnscheck.ErrInvalidDomain)
}

// CheckDMARC on the DMARC test zone, offline.
func ExampleCheckDMARC() {
	z, err := dnscheck.LoadZoneFile("testdata/zones/dmarc-findings.zone")
	if err != nil {
		panic(err)
	}
	c, err := CheckDMARC(context.Background(), "testing.example", WithResolver(dnscheck.NewZoneResolver(z)))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Status)
	fmt.Println(c.Summary)
	for _, f := range c.Findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// warn
	// Policy quarantine, published at _dmarc.testing.example; subdomains: quarantine.
	// warning dmarc.testing
}
