package tlsrpt

import (
	"context"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func codes(res *Report) []finding.Code {
	out := []finding.Code{}
	for _, f := range res.Findings {
		out = append(out, f.Code)
	}
	return out
}

func zoneWith(t *testing.T, records ...string) *dnscheck.Zone {
	t.Helper()
	text := "$TTL 300\n$ORIGIN example.com.\n@ MX 10 mx1\n"
	for _, r := range records {
		text += "_smtp._tls TXT " + r + "\n"
	}
	return dnstest.Zone(t, text)
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records []string
		codes   []finding.Code
		state   State
		usable  []string
	}{
		{"the RFC 8460 example with two destinations is valid", []string{`"v=TLSRPTv1;rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt"`},
			[]finding.Code{}, StateValid, []string{"mailto:reports@example.com", "https://reporting.example.com/v1/tlsrpt"}},
		{"a record split over two strings is joined first", []string{`"v=TLSRPTv1; rua=mailto:tls" "rpt@example.com"`}, []finding.Code{}, StateValid, []string{"mailto:tlsrpt@example.com"}},
		{"no record is missing, an info with a record to publish", nil, []finding.Code{CodeMissing}, StateMissing, nil},
		{"an unrelated TXT record alone is still missing", []string{`"hello"`}, []finding.Code{CodeMissing}, StateMissing, nil},
		{"two records leave the domain without reports", []string{`"v=TLSRPTv1; rua=mailto:a@example.com"`, `"v=TLSRPTv1; rua=mailto:b@example.com"`},
			[]finding.Code{CodeMultipleRecords}, StateInvalid, nil},
		{"a comma-less space between URIs is a syntax error", []string{`"v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com"`}, []finding.Code{CodeSyntax}, StateInvalid, nil},
		{"an extension without rua has nowhere to report", []string{`"v=TLSRPTv1; ext=1"`}, []finding.Code{CodeNoRUA}, StateInvalid, nil},
		{"an http: destination is invalid and the only one", []string{`"v=TLSRPTv1; rua=http://reports.example.com/tls"`}, []finding.Code{CodeInvalidURI}, StateInvalid, nil},
		{"a bad destination beside a good one leaves the record valid with a finding", []string{`"v=TLSRPTv1; rua=mailto:ok@example.com,ftp://x.example"`},
			[]finding.Code{CodeInvalidURI}, StateValid, []string{"mailto:ok@example.com"}},
		{"a mailto without an address is invalid", []string{`"v=TLSRPTv1; rua=mailto:"`}, []finding.Code{CodeInvalidURI}, StateInvalid, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := zoneWith(t, tc.records...)
			res, err := Check(context.Background(), dnstest.Start(t, z).Resolver(t), "example.com")
			require.NoError(t, err)
			assert.Equal(t, tc.codes, codes(res))
			assert.Equal(t, tc.state, res.State)
			assert.Equal(t, tc.usable, res.Usable)
			// Every fix with records does what it says: applied, the finding goes and
			// nothing new appears.
			for _, f := range res.Findings {
				if len(f.FixRecords) == 0 {
					continue
				}
				fixed, err := z.ApplyFixRecords(f.FixRecords)
				require.NoError(t, err)
				again, err := Check(context.Background(), dnscheck.NewZoneResolver(fixed), "example.com")
				require.NoError(t, err)
				assert.Empty(t, again.Findings, "after applying %+v", f.FixRecords)
				assert.Equal(t, StateValid, again.State)
			}
		})
	}
	t.Run("an http: destination is fixed to https: in the owner's record", func(t *testing.T) {
		z := zoneWith(t, `"v=TLSRPTv1; rua=http://reports.example.com/tls"`)
		res, err := Check(context.Background(), dnscheck.NewZoneResolver(z), "example.com")
		require.NoError(t, err)
		require.Len(t, res.Findings, 1)
		assert.Equal(t, []finding.FixRecord{{Action: finding.Replace, Name: "_smtp._tls.example.com", Type: "TXT",
			Value: "v=TLSRPTv1; rua=https://reports.example.com/tls", Replaces: "v=TLSRPTv1; rua=http://reports.example.com/tls"}}, res.Findings[0].FixRecords)
	})
	t.Run("a SERVFAIL is a DNS error, not missing", func(t *testing.T) {
		s := dnstest.Start(t, zoneWith(t))
		s.SetFault("_smtp._tls.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
		res, err := Check(context.Background(), s.Resolver(t), "example.com")
		require.NoError(t, err)
		assert.Equal(t, []finding.Code{CodeDNSError}, codes(res))
		assert.True(t, res.Findings[0].Incomplete)
		assert.Equal(t, StateUnknown, res.State)
	})
}

// Parsing never panics, and a record that parses round-trips through its canonical form.
func FuzzParse(f *testing.F) {
	f.Add("v=TLSRPTv1;rua=mailto:reports@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", r.String(), s, err)
		}
		assert.Equal(t, r, again)
		for _, u := range r.RUA {
			CheckURI(u)
		}
	})
}
