package mailcheck_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/smtptest"
	"github.com/mailcheck/mailcheck/internal/testca"
)

func TestTheReportJudgesTheMXHostsTLSARecords(t *testing.T) {
	root := dnstest.NewSignedZone(".", dns.ED25519)
	com := dnstest.NewSignedZone("com.", dns.ECDSAP256SHA256)
	dane := dnstest.NewSignedZone("dane.com.", dns.ECDSAP256SHA256)
	digest := strings.Repeat("cd", 32)
	dane.Add("dane.com. 3600 IN MX 10 mx1.dane.com.", "dane.com. 3600 IN MX 20 mx2.dane.com.",
		"mx1.dane.com. 3600 IN A 198.0.0.1", "mx2.dane.com. 3600 IN A 198.0.0.2",
		"_25._tcp.mx1.dane.com. 3600 IN TLSA 3 1 1 "+digest,
		"_25._tcp.mx2.dane.com. 3600 IN TLSA 1 1 1 "+digest)
	root.Delegate("com.", com.DS())
	com.Delegate("dane.com.", dane.DS())
	srv := dnstest.Start(t, dnstest.SignedZones(root.Sign(), com.Sign(), dane.Sign()))
	r := srv.Resolver(t)
	require.NoError(t, r.SetTrustAnchors([]dns.RR{root.DS()}))

	rep, err := mailcheck.CheckDomain(context.Background(), "dane.com", mailcheck.WithResolver(r), mailcheck.WithReputation(false))
	require.NoError(t, err)
	c := rep.Check("dane")
	require.NotNil(t, c)
	assert.Equal(t, mailcheck.StatusFail, c.Status, "mx2's only record is PKIX-EE: DANE senders cannot authenticate it")
	require.Len(t, c.Findings, 1)
	assert.Equal(t, dnscheck.CodeDANEPKIXUsage, c.Findings[0].Code)
	assert.Contains(t, c.Findings[0].Message, "mx2.dane.com")
	assert.Contains(t, c.Summary, "1 of 2 MX host(s)")
}

func TestAZoneFileIsNotJudgedForDANEWithoutATrustAnchor(t *testing.T) {
	z := dnstest.Zone(t, `
$ORIGIN zdane.example.
@ 60 MX 10 mx
mx 60 A 198.0.0.1
_25._tcp.mx 60 TLSA 1 1 1 `+strings.Repeat("cd", 32)+"\n")
	rep, err := mailcheck.CheckDomain(context.Background(), "zdane.example", mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
	require.NoError(t, err)
	c := rep.Check("dane")
	assert.Empty(t, c.Findings)
	assert.Contains(t, c.Summary, "not judged")
}

// probeWorld: dane.com (signed) has one MX host on 127.0.0.1 with the TLSA record
// tlsa ("3 1 1 <digest>"); plain.com (unsigned) names the same host as its MX.
func probeWorld(t *testing.T, tlsa string) *dnscheck.Resolver {
	t.Helper()
	root := dnstest.NewSignedZone(".", dns.ED25519)
	com := dnstest.NewSignedZone("com.", dns.ECDSAP256SHA256)
	dane := dnstest.NewSignedZone("dane.com.", dns.ECDSAP256SHA256)
	dane.Add("dane.com. 3600 IN MX 10 mx.dane.com.", "mx.dane.com. 3600 IN A 127.0.0.1",
		"_25._tcp.mx.dane.com. 3600 IN TLSA "+tlsa)
	root.Delegate("com.", com.DS())
	com.Delegate("dane.com.", dane.DS())
	com.Delegate("plain.com.")
	z := dnstest.SignedZones(root.Sign(), com.Sign(), dane.Sign())
	for _, s := range []string{
		"plain.com. 3600 IN SOA ns1.plain.com. h.plain.com. 1 7200 3600 1209600 300",
		"plain.com. 3600 IN MX 10 mx.dane.com.",
	} {
		rr, err := dns.NewRR(s)
		require.NoError(t, err)
		z.Add(rr)
	}
	srv := dnstest.Start(t, z)
	r := srv.Resolver(t)
	require.NoError(t, r.SetTrustAnchors([]dns.RR{root.DS()}))
	return r
}

func TestTheProbedCertificateIsMatchedAgainstTheTLSARecords(t *testing.T) {
	ca := testca.New(t)
	cert := ca.Valid(t, "mx.dane.com")
	spki := sha256.Sum256(cert.Leaf.RawSubjectPublicKeyInfo)
	srv := smtptest.Start(t, smtptest.Options{Cert: &cert})
	withCA := cert
	withCA.Certificate = append(append([][]byte(nil), cert.Certificate...), ca.Cert.Raw)
	srvCA := smtptest.Start(t, smtptest.Options{Cert: &withCA})
	caDigest := sha256.Sum256(ca.Cert.Raw)
	run := func(t *testing.T, domain, tlsa string, srv *smtptest.Server) *mailcheck.Check {
		t.Helper()
		port := srv.Port
		rep, err := mailcheck.CheckDomain(context.Background(), domain, mailcheck.WithResolver(probeWorld(t, tlsa)),
			mailcheck.WithReputation(false), mailcheck.WithSMTPProbe(), mailcheck.WithSMTPPort(port), mailcheck.WithCAFile(ca.WriteFile(t)))
		require.NoError(t, err)
		c := rep.Check("dane")
		require.NotNil(t, c)
		return c
	}
	codes := func(c *mailcheck.Check) (out []mailcheck.Code) {
		for _, f := range c.Findings {
			out = append(out, f.Code)
		}
		return out
	}
	t.Run("a certificate that matches DANE-EE is reported as a match", func(t *testing.T) {
		c := run(t, "dane.com", "3 1 1 "+hex.EncodeToString(spki[:]), srv)
		assert.Equal(t, []mailcheck.Code{dnscheck.CodeDANEMatch}, codes(c))
		assert.Equal(t, mailcheck.StatusPass, c.Status)
		rep := c.Details.(*dnscheck.DANEReport)
		require.Len(t, rep.Hosts, 1)
		require.Len(t, rep.Hosts[0].Presented, 1)
		assert.True(t, rep.Hosts[0].Presented[0].Matched)
		assert.Contains(t, c.Summary, "1 match")
	})
	t.Run("a chain with the CA that DANE-TA names is a match", func(t *testing.T) {
		c := run(t, "dane.com", "2 0 1 "+hex.EncodeToString(caDigest[:]), srvCA)
		assert.Equal(t, []mailcheck.Code{dnscheck.CodeDANEMatch}, codes(c))
	})
	t.Run("DANE-TA does not match when the server leaves the CA out of its chain", func(t *testing.T) {
		c := run(t, "dane.com", "2 0 1 "+hex.EncodeToString(caDigest[:]), srv)
		assert.Equal(t, []mailcheck.Code{dnscheck.CodeDANEMismatch}, codes(c))
	})
	t.Run("a certificate that matches no record is an error", func(t *testing.T) {
		c := run(t, "dane.com", "3 1 1 "+strings.Repeat("ef", 32), srv)
		assert.Equal(t, []mailcheck.Code{dnscheck.CodeDANEMismatch}, codes(c))
		assert.Equal(t, mailcheck.StatusFail, c.Status)
		assert.Contains(t, c.Findings[0].Message, "mx.dane.com (127.0.0.1)")
	})
	t.Run("under an unsigned MX set a mismatch does not stop the domain's mail", func(t *testing.T) {
		c := run(t, "plain.com", "3 1 1 "+strings.Repeat("ef", 32), srv)
		assert.Equal(t, []mailcheck.Code{dnscheck.CodeDANEMXInsecure}, codes(c))
		assert.Equal(t, mailcheck.StatusPass, c.Status)
		rep := c.Details.(*dnscheck.DANEReport)
		require.Len(t, rep.Hosts[0].Presented, 1)
		assert.False(t, rep.Hosts[0].Presented[0].Matched)
	})
}
