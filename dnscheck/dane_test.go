package dnscheck_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
)

var sha256Hex = strings.Repeat("ab", 32)

// daneWorld: good.com is signed (one MX host per TLSA case), unsigned.com is not,
// expired.com has expired signatures.
func daneWorld(t *testing.T) (*dnstest.Server, *dnscheck.Resolver) {
	t.Helper()
	root := dnstest.NewSignedZone(".", dns.ED25519)
	com := dnstest.NewSignedZone("com.", dns.ECDSAP256SHA256)
	good := dnstest.NewSignedZone("good.com.", dns.ECDSAP256SHA256)
	good.Add(
		"_25._tcp.ee.good.com. 3600 IN TLSA 3 1 1 "+sha256Hex,
		"_25._tcp.pkix.good.com. 3600 IN TLSA 1 1 1 "+sha256Hex,
		"_25._tcp.mixed.good.com. 3600 IN TLSA 3 1 1 "+sha256Hex,
		"_25._tcp.mixed.good.com. 3600 IN TLSA 0 0 1 "+sha256Hex,
		"_25._tcp.short.good.com. 3600 IN TLSA 2 1 1 abcd",
		"_25._tcp.selector.good.com. 3600 IN TLSA 3 7 1 "+sha256Hex,
		"_25._tcp.fail.good.com. 3600 IN TLSA 3 1 1 "+sha256Hex,
		"none.good.com. 3600 IN A 192.0.2.1",
		"good.com. 3600 IN MX 10 ee.good.com.",
	)
	expired := dnstest.NewSignedZone("expired.com.", dns.ED25519)
	expired.Inception, expired.Expiration = time.Now().Add(-30*24*time.Hour), time.Now().Add(-24*time.Hour)
	expired.Add("_25._tcp.mx.expired.com. 3600 IN TLSA 3 1 1 " + sha256Hex)
	root.Delegate("com.", com.DS())
	com.Delegate("good.com.", good.DS())
	com.Delegate("expired.com.", expired.DS())
	com.Delegate("unsigned.com.")
	z := dnstest.SignedZones(root.Sign(), com.Sign(), good.Sign(), expired.Sign())
	for _, s := range []string{
		"unsigned.com. 3600 IN SOA ns1.unsigned.com. h.unsigned.com. 1 7200 3600 1209600 300",
		"_25._tcp.mx.unsigned.com. 3600 IN TLSA 3 1 1 " + sha256Hex,
		"unsigned.com. 3600 IN MX 10 ee.good.com.",
	} {
		rr, err := dns.NewRR(s)
		require.NoError(t, err)
		z.Add(rr)
	}
	srv := dnstest.Start(t, z)
	r := srv.Resolver(t)
	require.NoError(t, r.SetTrustAnchors([]dns.RR{root.DS()}))
	return srv, r
}

func TestDANE(t *testing.T) {
	tests := []struct {
		name     string
		host     string
		usable   bool
		codes    []finding.Code
		severity finding.Severity
	}{
		{"a secure DANE-EE record is usable", "ee.good.com", true, nil, ""},
		{"a host without TLSA does not use DANE", "none.good.com", false, nil, ""},
		{"PKIX-EE alone is not for SMTP, so the host cannot be authenticated", "pkix.good.com", false,
			[]finding.Code{dnscheck.CodeDANEPKIXUsage}, finding.Error},
		{"a PKIX-TA record beside a DANE-EE one is a warning", "mixed.good.com", true,
			[]finding.Code{dnscheck.CodeDANEPKIXUsage}, finding.Warning},
		{"a digest of the wrong length is unusable", "short.good.com", false,
			[]finding.Code{dnscheck.CodeDANEBadParams}, finding.Error},
		{"an undefined selector is unusable", "selector.good.com", false,
			[]finding.Code{dnscheck.CodeDANEBadParams}, finding.Error},
		{"TLSA in an unsigned zone is ignored by senders", "mx.unsigned.com", false,
			[]finding.Code{dnscheck.CodeDANEInsecure}, finding.Warning},
		{"TLSA under expired signatures is bogus", "mx.expired.com", false,
			[]finding.Code{dnscheck.CodeDANEBogus}, finding.Error},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, r := daneWorld(t)
			rep := dnscheck.DANE(context.Background(), r, "", []string{tt.host + "."})
			var codes []finding.Code
			for _, f := range rep.Findings {
				codes = append(codes, f.Code)
				assert.Equal(t, tt.severity, f.Severity, f.Message)
			}
			assert.Equal(t, tt.codes, codes)
			if tt.host == "none.good.com" {
				assert.Empty(t, rep.Hosts)
				return
			}
			require.Len(t, rep.Hosts, 1)
			assert.Equal(t, tt.usable, rep.Hosts[0].Usable)
			assert.Equal(t, "_25._tcp."+tt.host, rep.Hosts[0].Name)
		})
	}
}

func TestDANELookupFailureIsUnknown(t *testing.T) {
	srv, r := daneWorld(t)
	srv.SetFault("_25._tcp.fail.good.com", dns.TypeTLSA, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	rep := dnscheck.DANE(context.Background(), r, "", []string{"fail.good.com."})
	require.Len(t, rep.Findings, 1)
	assert.Equal(t, dnscheck.CodeDANEDNSError, rep.Findings[0].Code)
	assert.True(t, rep.Findings[0].Incomplete)
}

func TestDANEUsesTLSAOnlyUnderASecureMXSet(t *testing.T) {
	t.Run("a signed domain's MX set makes the host's TLSA apply", func(t *testing.T) {
		_, r := daneWorld(t)
		rep := dnscheck.DANE(context.Background(), r, "good.com", []string{"ee.good.com."})
		assert.Empty(t, rep.Findings)
		require.NotNil(t, rep.MXValidation)
		assert.True(t, rep.MXSecure())
	})
	t.Run("an unsigned domain using a DANE host is told DANE does not apply", func(t *testing.T) {
		_, r := daneWorld(t)
		rep := dnscheck.DANE(context.Background(), r, "unsigned.com", []string{"ee.good.com."})
		require.Len(t, rep.Findings, 1)
		assert.Equal(t, dnscheck.CodeDANEMXInsecure, rep.Findings[0].Code)
		assert.Equal(t, finding.Info, rep.Findings[0].Severity)
		assert.Contains(t, rep.Findings[0].Message, "ee.good.com")
		assert.False(t, rep.MXSecure())
		require.Len(t, rep.Hosts, 1)
		assert.True(t, rep.Hosts[0].Usable, "the host's own set is still sound")
	})
	t.Run("an insecure TLSA set does not ask about the MX set", func(t *testing.T) {
		_, r := daneWorld(t)
		rep := dnscheck.DANE(context.Background(), r, "unsigned.com", []string{"mx.unsigned.com."})
		assert.Nil(t, rep.MXValidation)
		require.Len(t, rep.Findings, 1)
		assert.Equal(t, dnscheck.CodeDANEInsecure, rep.Findings[0].Code)
	})
}
