package mailcheck_test

import (
	"context"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
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
