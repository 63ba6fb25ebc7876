package dnscheck_test

import (
	"context"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const mxZone = `
good.test.      IN MX 10 mx1.good.test.
good.test.      IN MX 20 mx2.good.test.
mx1.good.test.  IN A  198.51.99.1
mx2.good.test.  IN AAAA 2a00:1450::1
noaddr.test.    IN MX 10 nowhere.noaddr.test.
cname.test.     IN MX 10 alias.cname.test.
alias.cname.test. IN CNAME mx1.good.test.
literal.test.   IN MX 10 192.0.2.25.
private.test.   IN MX 10 mx.private.test.
mx.private.test. IN A 10.0.0.25
doc.test.       IN MX 10 mx.doc.test.
mx.doc.test.    IN A 192.0.2.25
dup.test.       IN MX 10 mx1.good.test.
dup.test.       IN MX 20 mx1.good.test.
null.test.      IN MX 0 .
nullmix.test.   IN MX 0 .
nullmix.test.   IN MX 10 mx1.good.test.
implicit.test.  IN A 198.51.99.7
nothing.test.   IN TXT "no mail here"
broken.test.    IN MX 10 mx1.good.test.
`

func TestMXFindings(t *testing.T) {
	tests := []struct {
		name, domain string
		codes        []string
	}{
		{"a domain with two working MX hosts has no findings", "good.test", nil},
		{"a target without addresses", "noaddr.test", []string{"mx.no-address"}},
		{"a target that is a CNAME", "cname.test", []string{"mx.cname"}},
		{"a target written as an IP address", "literal.test", []string{"mx.ip-literal"}},
		{"a target on a private address", "private.test", []string{"mx.private-address"}},
		{"a target on a documentation address", "doc.test", []string{"mx.private-address"}},
		{"the same host listed twice", "dup.test", []string{"mx.duplicate"}},
		{"a null MX", "null.test", []string{"mx.null"}},
		{"a null MX beside real ones", "nullmix.test", []string{"mx.null-conflict"}},
		{"no MX but an address", "implicit.test", []string{"mx.missing"}},
		{"no MX and no address", "nothing.test", []string{"mx.missing"}},
		{"a domain that does not exist", "nosuch.test", []string{"mx.nxdomain"}},
		{"a SERVFAIL on the MX lookup", "broken.test", []string{"mx.dns-error"}},
		{"a timeout on a target's address", "timeout.test", []string{"mx.dns-error"}},
		{"a timeout on the MX lookup is not a missing MX", "silent.test", []string{"mx.dns-error"}},
		{"a failed address lookup of a domain without MX is not a missing MX", "implicitfail.test", []string{"mx.dns-error"}},
		{"a target whose address lookups both fail is not a target without addresses", "targetfail.test", []string{"mx.dns-error", "mx.dns-error"}},
	}
	zone := dnstest.Zone(t, mxZone+"timeout.test. IN MX 10 slow.timeout.test.\nslow.timeout.test. IN A 198.51.99.9\n"+
		"silent.test. IN MX 10 mx1.good.test.\nimplicitfail.test. IN TXT \"x\"\n"+
		"targetfail.test. IN MX 10 mx.targetfail.test.\nmx.targetfail.test. IN A 198.51.99.8\n")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := dnstest.Start(t, zone)
			srv.SetFault("broken.test", dns.TypeMX, dnstest.Fault{Rcode: dns.RcodeServerFailure})
			srv.SetFault("slow.timeout.test", dns.TypeAAAA, dnstest.Fault{Drop: true})
			srv.SetFault("silent.test", dns.TypeMX, dnstest.Fault{Drop: true})
			srv.SetFault("implicitfail.test", dns.TypeA, dnstest.Fault{Rcode: dns.RcodeServerFailure})
			srv.SetFault("mx.targetfail.test", 0, dnstest.Fault{Rcode: dns.RcodeRefused})
			res, err := dnscheck.MX(context.Background(), srv.Resolver(t), tc.domain)
			require.NoError(t, err)
			var codes []string
			for _, f := range res.Findings {
				codes = append(codes, string(f.Code))
				assert.NotEmpty(t, f.Message)
				if f.Code == dnscheck.CodeMXDNSError {
					assert.True(t, f.Incomplete, "a DNS failure marks the check incomplete")
					assert.Equal(t, "warning", string(f.Severity))
					assert.Contains(t, []string{"SERVFAIL", "REFUSED", "timeout"}, f.Evidence.Rcode)
					assert.Contains(t, f.Message, "is unknown")
					assert.NotContains(t, f.Fix, "Publish")
				}
			}
			assert.Equal(t, tc.codes, codes)
		})
	}
}

func TestMXFacts(t *testing.T) {
	r := dnscheck.NewZoneResolver(dnstest.Zone(t, mxZone))
	ctx := context.Background()

	res, err := dnscheck.MX(ctx, r, "good.test")
	require.NoError(t, err)
	require.Len(t, res.Hosts, 2)
	assert.Equal(t, "mx1.good.test.", res.Hosts[0].Host)
	assert.Equal(t, "198.51.99.1", res.Hosts[0].Addresses[0].String())
	assert.Equal(t, "2a00:1450::1", res.Hosts[1].Addresses[0].String())

	res, err = dnscheck.MX(ctx, r, "cname.test")
	require.NoError(t, err)
	assert.Equal(t, "mx1.good.test.", res.Hosts[0].CNAME)

	res, err = dnscheck.MX(ctx, r, "implicit.test")
	require.NoError(t, err)
	assert.True(t, res.Implicit)
	assert.Equal(t, "198.51.99.7", res.ImplicitAddresses[0].String())
	assert.Equal(t, "warning", string(res.Findings[0].Severity))

	res, err = dnscheck.MX(ctx, r, "nothing.test")
	require.NoError(t, err)
	assert.Equal(t, "error", string(res.Findings[0].Severity), "no MX and no address means no mail at all")

	res, err = dnscheck.MX(ctx, r, "null.test")
	require.NoError(t, err)
	assert.True(t, res.Null)

	_, err = dnscheck.MX(ctx, r, "not a domain")
	assert.ErrorIs(t, err, dnscheck.ErrInvalidDomain)
}
