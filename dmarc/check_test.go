package dmarc

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startZone serves a zone file from testdata over loopback.
func startZone(t *testing.T, file string) *dnstest.Server {
	t.Helper()
	z, err := dnscheck.LoadZoneFile("../testdata/zones/" + file)
	require.NoError(t, err)
	return dnstest.Start(t, z)
}

func findingCodes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, string(f.Code)) {
			out = append(out, string(f.Code))
		}
	}
	slices.Sort(out)
	return out
}

func TestCheckTriggersEachFinding(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	srv.SetFault("_dmarc.dnserr.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	srv.SetFault("extunverified.example._report._dmarc.broken.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	tests := []struct {
		name   string
		domain string
		want   []string
	}{
		{"a clean record gives no findings", "ok.example", nil},
		{"a subdomain inherits its parent's record", "sub.ok.example", []string{"dmarc.inherited"}},
		{"no record anywhere is reported missing", "missing.example", []string{"dmarc.missing"}},
		{"two records at one name leave no usable policy", "multi.example", []string{"dmarc.missing", "dmarc.multiple-records"}},
		{"a record that does not parse is ignored", "notparsed.example", []string{"dmarc.missing", "dmarc.syntax"}},
		{"a lower-case version is a syntax error and no record", "lowercase.example", []string{"dmarc.missing", "dmarc.syntax"}},
		{"a syntax error inside a record is reported with its offset", "syntax.example", []string{"dmarc.syntax"}},
		{"a misspelt policy is one invalid-value finding, not a missing p", "badvalue.example", []string{"dmarc.invalid-value"}},
		{"a duplicate tag is reported", "dup.example", []string{"dmarc.duplicate-tag"}},
		{"an unknown tag is reported", "unknown.example", []string{"dmarc.unknown-tag"}},
		{"a missing p is treated as none", "nop.example", []string{"dmarc.missing-p", "dmarc.policy-none"}},
		{"p after rua is reported for RFC 7489 parsers", "pnotsecond.example", []string{"dmarc.p-not-second"}},
		{"p=none is monitoring only", "none.example", []string{"dmarc.policy-none"}},
		{"sp=none leaves subdomains open", "subnone.example", []string{"dmarc.subdomain-policy-none"}},
		{"t=y is testing mode", "testing.example", []string{"dmarc.testing"}},
		{"pct, rf and ri are legacy, and pct below 100 samples", "legacy.example", []string{"dmarc.legacy-tag", "dmarc.pct-partial"}},
		{"no rua means no reports", "norua.example", []string{"dmarc.no-rua"}},
		{"a rua without a scheme is invalid, and no other mailbox is suggested", "baduri.example", []string{"dmarc.invalid-uri"}},
		{"a !size suffix is noted", "size.example", []string{"dmarc.uri-size-suffix"}},
		{"three rua URIs are too many", "manyuris.example", []string{"dmarc.too-many-uris"}},
		{"an external destination without authorization is reported", "extunauth.example", []string{"dmarc.external-unauthorized"}},
		{"external destinations with exact and wildcard authorization pass", "extauth.example", nil},
		{"a DNS failure on the authorization record is unverified", "extunverified.example", []string{"dmarc.external-unverified"}},
		{"a report mailbox domain without MX or address is reported", "ruanomx.example", []string{"dmarc.rua-no-mx"}},
		{"a report mailbox domain with a null MX is reported", "nullmx.example", []string{"dmarc.rua-no-mx"}},
		{"a report mailbox domain with only an address is an implicit MX", "implicitmx.example", nil},
		{"a record at the apex instead of _dmarc is reported", "apex.example", []string{"dmarc.missing", "dmarc.record-at-apex"}},
		{"an SPF record at _dmarc is reported", "spfdmarc.example", []string{"dmarc.missing", "dmarc.spf-at-dmarc"}},
		{"leading whitespace is reported", "ws.example", []string{"dmarc.leading-whitespace"}},
		{"another TXT at _dmarc is reported", "unrelated.example", []string{"dmarc.unrelated-txt"}},
		{"a SERVFAIL on the record is a DNS error, not a missing record", "dnserr.example", []string{"dmarc.dns-error"}},
		{"sp below the organizational domain is ignored", "sp.parent.example", []string{"dmarc.sp-ignored"}},
		{"fo without ruf is ignored", "fo.example", []string{"dmarc.fo-without-ruf"}},
		{"an https report URI is not mailto", "https.example", []string{"dmarc.non-mailto-uri"}},
		{"multiple records with a valid parent differ between RFC 9989 and RFC 7489", "multi.parent.example", []string{"dmarc.discovery-mismatch", "dmarc.inherited", "dmarc.multiple-records"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check(context.Background(), srv.Resolver(t), tt.domain)
			require.NoError(t, err)
			assert.Equal(t, tt.want, findingCodes(res.Findings))
			for _, f := range res.Findings {
				assert.NotEmpty(t, f.Message, f.Code)
				assert.NotEmpty(t, f.Ref, f.Code)
				assert.Contains(t, []Severity{"info", "warning", "error"}, f.Severity, f.Code)
			}
		})
	}
}

func TestCheckMarksDNSFailuresIncomplete(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	srv.SetFault("_dmarc.dnserr.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	res, err := Check(context.Background(), srv.Resolver(t), "dnserr.example")
	require.NoError(t, err)
	assert.True(t, res.Discovery.Incomplete)
	for _, f := range res.Findings {
		if f.Code == "dmarc.dns-error" {
			assert.True(t, f.Incomplete)
			assert.Equal(t, "SERVFAIL", f.Evidence.Rcode)
		}
	}
}

func TestCheckReportsDestinations(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	res, err := Check(context.Background(), srv.Resolver(t), "extauth.example")
	require.NoError(t, err)
	require.Len(t, res.Destinations, 2)
	assert.Equal(t, Authorized, res.Destinations[0].Authorization)
	assert.Equal(t, "extauth.example._report._dmarc.reports.example", res.Destinations[0].AuthorizationName)
	assert.Equal(t, Authorized, res.Destinations[1].Authorization, "the wildcard authorizes")
	assert.Equal(t, HasMX, res.Destinations[0].Mail)

	res, err = Check(context.Background(), srv.Resolver(t), "ok.example")
	require.NoError(t, err)
	require.Len(t, res.Destinations, 1)
	assert.Equal(t, NotNeeded, res.Destinations[0].Authorization)
	assert.False(t, res.Destinations[0].External)

	res, err = Check(context.Background(), srv.Resolver(t), "implicitmx.example")
	require.NoError(t, err)
	assert.Equal(t, ImplicitMX, res.Destinations[0].Mail)
}

func TestCheckRejectsInvalidDomains(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	for _, d := range []string{"", "a..b", "bad domain.example", "caf\u00e9.example"} {
		_, err := Check(context.Background(), srv.Resolver(t), d)
		assert.ErrorIs(t, err, ErrInvalidDomain, d)
	}
}

func TestCheckTurnsATimeoutIntoIncompleteFindings(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	srv.SetFault("_dmarc.ok.example", dns.TypeTXT, dnstest.Fault{Drop: true})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := Check(ctx, srv.Resolver(t), "ok.example")
	require.NoError(t, err)
	assert.True(t, res.Discovery.Incomplete)
	require.NotEmpty(t, res.Findings)
	assert.Equal(t, CodeDNSError, res.Findings[0].Code)
	assert.Equal(t, "timeout", res.Findings[0].Evidence.Rcode)
	for _, f := range res.Findings {
		if f.Severity == "error" {
			assert.True(t, f.Incomplete, "%s must not be a definite failure", f.Code)
		}
	}
}

func TestCheckRFC9989Examples(t *testing.T) {
	srv := startZone(t, "dmarc-rfc-examples.zone")
	tests := []struct {
		name   string
		domain string
		policy Policy
		want   []string
	}{
		{"B.2.3 monitoring with third-party failure reports", "example.com", None, []string{"dmarc.policy-none"}},
		{"B.2.5 a subdomain in testing mode, whose own subdomains take example.com's none", "test.example.com", None, []string{"dmarc.subdomain-policy-none", "dmarc.testing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check(context.Background(), srv.Resolver(t), tt.domain)
			require.NoError(t, err)
			assert.Equal(t, tt.want, findingCodes(res.Findings))
			assert.Equal(t, tt.policy, res.EffectivePolicy)
			for _, d := range res.Destinations {
				if d.External {
					assert.Equal(t, Authorized, d.Authorization, d.URI.URI)
				}
				assert.Equal(t, HasMX, d.Mail, d.URI.URI)
			}
		})
	}
}

func TestCheckLeavesAPSDRecordsFlawsToItsOperator(t *testing.T) {
	srv := startZone(t, "dmarc-discovery.zone")
	res, err := Check(context.Background(), srv.Resolver(t), "mail.mega.bank")
	require.NoError(t, err)
	assert.Equal(t, []string{"dmarc.discovery-mismatch", "dmarc.inherited"}, findingCodes(res.Findings))
	assert.Empty(t, res.Destinations, "the PSO's report addresses are not checked")
	assert.Equal(t, AtPublicSuffixDomain, res.Source)
}

func TestCheckShowsADestinationOverride(t *testing.T) {
	srv := startZone(t, "dmarc-rfc-examples.zone")
	res, err := Check(context.Background(), srv.Resolver(t), "example.com")
	require.NoError(t, err)
	require.Len(t, res.Destinations, 2)
	ruf := res.Destinations[1]
	assert.Equal(t, "ruf", ruf.Tag)
	assert.Equal(t, Authorized, ruf.Authorization)
	assert.Equal(t, []string{"mailto:failure-reports@thirdparty.example.net"}, ruf.Override)
	assert.Empty(t, res.Destinations[0].Override, "rua stays inside example.com")
}
