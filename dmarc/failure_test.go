package dmarc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failureZone has a policy at the Organizational Domain, a subdomain with a record of
// its own, and subdomains without one, so that a failure at each level can be tried.
const failureZone = `
$ORIGIN example.test.
@              IN MX  10 mx
mx             IN A   198.51.100.25
_dmarc         IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.test"
own            IN A   198.51.100.26
_dmarc.own     IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.test"
sub            IN A   198.51.100.27
a.mid          IN A   198.51.100.28
`

func TestAFailedLookupIsNeverMissingOrInherited(t *testing.T) {
	servfail := dnstest.Fault{Rcode: dns.RcodeServerFailure}
	tests := []struct {
		name     string
		domain   string
		faultAt  string
		fault    dnstest.Fault
		want     []string
		rcode    string
		notAsked []string // names the walk must not go on to
		check    func(t *testing.T, res *Report)
	}{
		{
			name: "a SERVFAIL at the domain's _dmarc is unknown, not inherited from the parent",
			// before: dmarc.inherited, "sub.example.test has no DMARC record of its own"
			domain: "sub.example.test", faultAt: "_dmarc.sub.example.test", fault: servfail,
			want: []string{"dmarc.dns-error"}, rcode: "SERVFAIL", notAsked: []string{"_dmarc.example.test"},
			check: func(t *testing.T, res *Report) {
				assert.True(t, res.Discovery.RFC9989.Unknown)
				assert.True(t, res.Discovery.RFC7489.Unknown)
				assert.Equal(t, "_dmarc.sub.example.test", res.Discovery.RFC9989.FailedAt)
				assert.Nil(t, res.Record)
				assert.Empty(t, res.EffectivePolicy)
			},
		},
		{
			name:   "a timeout at the domain's _dmarc is unknown, not inherited",
			domain: "sub.example.test", faultAt: "_dmarc.sub.example.test", fault: dnstest.Fault{Drop: true},
			want: []string{"dmarc.dns-error"}, rcode: "timeout", notAsked: []string{"_dmarc.example.test"},
			check: func(t *testing.T, res *Report) {
				assert.True(t, res.Discovery.RFC9989.Unknown)
				assert.Contains(t, res.Discovery.RFC9989.Reason, "timeout")
			},
		},
		{
			name: "a SERVFAIL at the Organizational Domain is unknown, not missing",
			// before: dmarc.dns-error and dmarc.missing ("Publish a TXT record at _dmarc.example.test")
			domain: "sub.example.test", faultAt: "_dmarc.example.test", fault: servfail,
			want: []string{"dmarc.dns-error"}, rcode: "SERVFAIL", notAsked: []string{"_dmarc.test"},
			check: func(t *testing.T, res *Report) {
				assert.True(t, res.Discovery.RFC9989.Unknown)
				assert.True(t, res.Discovery.RFC7489.Unknown)
			},
		},
		{
			name:   "a failure between the domain and its Organizational Domain stops the RFC 9989 walk there",
			domain: "a.mid.example.test", faultAt: "_dmarc.mid.example.test", fault: servfail,
			want: []string{"dmarc.dns-error"}, rcode: "SERVFAIL", notAsked: []string{"_dmarc.test"},
			check: func(t *testing.T, res *Report) {
				assert.True(t, res.Discovery.RFC9989.Unknown, "the failed level could hold a psd=n record")
				assert.False(t, res.Discovery.RFC7489.Unknown, "RFC 7489 receivers skip the middle level")
				assert.True(t, res.Discovery.RFC7489.Applies)
				assert.Nil(t, res.Record, "the RFC 9989 verdict is not taken from past the failure")
			},
		},
		{
			name:   "the domain's own record applies when a level above it fails",
			domain: "own.example.test", faultAt: "_dmarc.example.test", fault: servfail,
			want: []string{"dmarc.dns-error"}, rcode: "SERVFAIL",
			check: func(t *testing.T, res *Report) {
				o := res.Discovery.RFC9989
				assert.True(t, o.Applies)
				assert.False(t, o.Unknown)
				assert.Equal(t, AtDomain, o.Source)
				assert.Equal(t, Quarantine, o.Policy)
				assert.Equal(t, "_dmarc.example.test", o.FailedAt)
				assert.Empty(t, o.OrganizationalDomain, "which level is the Organizational Domain is unknown")
				assert.Empty(t, o.SubdomainPolicy, "so the subdomain policy is unknown")
				for _, f := range res.Findings {
					if f.Code == CodeDNSError {
						assert.Contains(t, f.Message, "Organizational Domain of own.example.test")
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := dnstest.Start(t, dnstest.Zone(t, failureZone))
			srv.SetFault(tc.faultAt, dns.TypeTXT, tc.fault)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			res, err := Check(ctx, srv.Resolver(t), tc.domain)
			require.NoError(t, err)
			assert.Equal(t, tc.want, findingCodes(res.Findings))
			assert.True(t, res.Discovery.Incomplete)
			for _, f := range res.Findings {
				assert.NotEqual(t, CodeMissing, f.Code)
				assert.NotEqual(t, CodeInherited, f.Code)
				if f.Code != CodeDNSError {
					continue
				}
				assert.Equal(t, Severity("warning"), f.Severity)
				assert.True(t, f.Incomplete)
				assert.Equal(t, tc.faultAt, f.Evidence.Name)
				assert.Equal(t, tc.rcode, f.Evidence.Rcode)
				assert.Contains(t, f.Message, "is unknown")
				assert.NotContains(t, strings.ToLower(f.Fix), "publish")
			}
			for _, name := range tc.notAsked {
				assert.Zero(t, srv.Count(name, "TXT"), "the walk stops at the failed level: %s not asked", name)
			}
			tc.check(t, res)
		})
	}
}

func TestAnAnsweredAbsenceIsStillMissing(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, "other.test. IN A 198.51.100.30\n"))
	res, err := Check(context.Background(), srv.Resolver(t), "other.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"dmarc.missing"}, findingCodes(res.Findings))
	assert.False(t, res.Discovery.Unknown())
	assert.False(t, res.Discovery.Incomplete)
}

func TestAFailedReportMailboxLookupIsTheSharedDNSError(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, failureZone))
	srv.SetFault("example.test", dns.TypeMX, dnstest.Fault{Rcode: dns.RcodeRefused})
	res, err := Check(context.Background(), srv.Resolver(t), "example.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"dmarc.dns-error"}, findingCodes(res.Findings))
	require.Len(t, res.Destinations, 1)
	assert.Equal(t, MailUnverified, res.Destinations[0].Mail)
	f := res.Findings[0]
	assert.Equal(t, Severity("warning"), f.Severity, "one severity for every dns-error")
	assert.Equal(t, "REFUSED", f.Evidence.Rcode)
	assert.Equal(t, "MX", f.Evidence.Type)
	assert.NotEmpty(t, f.Fix)
}
