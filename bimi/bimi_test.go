package bimi

import (
	"context"
	"testing"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var enforced = DMARC{Found: true, Policy: "reject", SubdomainPolicy: "reject"}

func codes(res *Report) []finding.Code {
	out := []finding.Code{}
	for _, f := range res.Findings {
		out = append(out, f.Code)
	}
	return out
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		records  []string
		dmarc    DMARC
		codes    []finding.Code
		eligible bool
	}{
		{"a record with an SVG and a VMC under p=reject has no finding", []string{`"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"`}, enforced, []finding.Code{}, true},
		{"a record without a= is noted for Gmail and Apple", []string{`"v=BIMI1; l=https://example.com/logo.svg"`}, enforced, []finding.Code{CodeNoAuthority}, true},
		{"an empty l= declines BIMI", []string{`"v=BIMI1; l=;"`}, enforced, []finding.Code{CodeDeclined}, true},
		{"an http logo URL is invalid", []string{`"v=BIMI1; l=http://example.com/logo.svg; a=https://example.com/vmc.pem"`}, enforced, []finding.Code{CodeInvalidURL}, true},
		{"a PNG logo is invalid", []string{`"v=BIMI1; l=https://example.com/logo.png; a=https://example.com/vmc.pem"`}, enforced, []finding.Code{CodeInvalidURL}, true},
		{"a record under p=none is not eligible", []string{`"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"`},
			DMARC{Found: true, Policy: "none", SubdomainPolicy: "none"}, []finding.Code{CodeNotEligible}, false},
		{"a record under a partial quarantine is not eligible", []string{`"v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem"`},
			DMARC{Found: true, Policy: "quarantine", SubdomainPolicy: "quarantine", Partial: true}, []finding.Code{CodeNotEligible}, false},
		{"no record under p=reject is missing and says the domain is eligible", nil, enforced, []finding.Code{CodeMissing}, true},
		{"no record and no DMARC is missing and not eligible", nil, DMARC{}, []finding.Code{CodeMissing}, false},
		{"two records are a warning", []string{`"v=BIMI1; l="`, `"v=BIMI1; l=https://example.com/a.svg"`}, enforced, []finding.Code{CodeMultipleRecords}, true},
		{"a record without l= is a syntax warning", []string{`"v=BIMI1; a=https://example.com/vmc.pem"`}, enforced, []finding.Code{CodeSyntax}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "$TTL 300\n$ORIGIN example.com.\n@ MX 10 mx1\n"
			for _, r := range tc.records {
				text += "default._bimi TXT " + r + "\n"
			}
			res, err := Check(context.Background(), dnstest.Start(t, dnstest.Zone(t, text)).Resolver(t), "example.com")
			require.NoError(t, err)
			res.Judge(tc.dmarc)
			assert.Equal(t, tc.codes, codes(res))
			require.NotNil(t, res.Eligible)
			assert.Equal(t, tc.eligible, *res.Eligible)
		})
	}
	t.Run("a SERVFAIL is a DNS error and not missing", func(t *testing.T) {
		s := dnstest.Start(t, dnstest.Zone(t, "$TTL 300\n$ORIGIN example.com.\n@ MX 10 mx1\n"))
		s.SetFault("default._bimi.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
		res, err := Check(context.Background(), s.Resolver(t), "example.com")
		require.NoError(t, err)
		res.Judge(enforced)
		assert.Equal(t, []finding.Code{CodeDNSError}, codes(res))
	})
}

// Parsing never panics, and a record that parses round-trips through its canonical form.
func FuzzParse(f *testing.F) {
	f.Add("v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", r.String(), s, err)
		}
		assert.Equal(t, r.Location, again.Location)
		assert.Equal(t, r.Authority, again.Authority)
	})
}
