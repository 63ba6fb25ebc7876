package mailcheck_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/reputation"
)

// repZone is a well-configured domain whose MX address and sending IPs are looked up
// in blocklist zones served beside it.
const repZone = `
$TTL 60
$ORIGIN rep.example.
@       MX  10 mx
mx      A   198.0.0.20
@       TXT "v=spf1 mx ip4:198.0.0.0/24 -all"
_dmarc  TXT "v=DMARC1; p=reject; rua=mailto:d@rep.example"
$ORIGIN .
; 198.0.0.30: on Spamhaus ZEN (SBL), a major list
30.0.0.198.zen.spamhaus.org.      A 127.0.0.2
; 198.0.0.31: on UCEPROTECT Level 1 only
31.0.0.198.dnsbl-1.uceprotect.net. A 127.0.0.2
; 198.0.0.32: Spamhaus refuses the public resolver
32.0.0.198.zen.spamhaus.org.      A 127.255.255.254
`

func reputationItem(t *testing.T, rep *mailcheck.Report) mailcheck.Item {
	t.Helper()
	for _, c := range rep.Categories {
		for _, it := range c.Items {
			if it.ID == "mx.reputation" {
				return it
			}
		}
	}
	require.FailNow(t, "no mx.reputation item")
	return mailcheck.Item{}
}

func TestBlocklistListingsAreScored(t *testing.T) {
	tests := []struct {
		name   string
		ip     string
		state  mailcheck.ItemState
		points int
		capC   bool
	}{
		{"no listing earns full points", "198.0.0.20", mailcheck.ItemScored, mailcheck.PointsFull, false},
		{"a sending IP on a major list earns nothing and holds the grade at C", "198.0.0.30", mailcheck.ItemScored, mailcheck.PointsNone, true},
		{"a listing on a minor list only earns half, without a cap", "198.0.0.31", mailcheck.ItemScored, mailcheck.PointsHalf, false},
		{"a list refusing the resolver makes the item not applicable, not clean", "198.0.0.32", mailcheck.ItemNotApplicable, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dnstest.Start(t, dnstest.Zone(t, repZone))
			rep, err := mailcheck.CheckDomain(context.Background(), "rep.example", mailcheck.WithResolver(srv.Resolver(t)),
				mailcheck.WithSendingIPs(netip.MustParseAddr(tt.ip)))
			require.NoError(t, err)
			it := reputationItem(t, rep)
			assert.Equal(t, tt.state, it.State, it.Reason)
			assert.Equal(t, tt.points, it.Points, it.Reason)
			hasCap := false
			for _, c := range rep.Caps {
				hasCap = hasCap || c.Item == "mx.reputation"
			}
			assert.Equal(t, tt.capC, hasCap)
			if tt.capC {
				assert.GreaterOrEqual(t, string(rep.Grade), "C", "held at C or below")
			}
			if tt.points < mailcheck.PointsFull && tt.state == mailcheck.ItemScored {
				assert.Contains(t, it.Fix, "request removal")
				assert.Contains(t, it.Reason, tt.ip)
			}
			if tt.state == mailcheck.ItemNotApplicable {
				assert.Contains(t, it.Reason, "public or open resolver")
				assert.Equal(t, mailcheck.StatusPass, rep.Check("reputation").Status, "refused is information, not a failure")
			}
		})
	}
}

func TestAnMXAddressOnAMajorListIsFound(t *testing.T) {
	zone := repZone + "20.0.0.198.zen.spamhaus.org. A 127.0.0.4\n"
	srv := dnstest.Start(t, dnstest.Zone(t, zone))
	rep, err := mailcheck.CheckDomain(context.Background(), "rep.example", mailcheck.WithResolver(srv.Resolver(t)))
	require.NoError(t, err)
	c := rep.Check("reputation")
	require.NotNil(t, c)
	require.Len(t, c.Findings, 1)
	assert.Equal(t, reputation.CodeIPListed, c.Findings[0].Code)
	assert.Contains(t, c.Findings[0].Message, "MX mx.rep.example")
	assert.Contains(t, c.Findings[0].Message, "XBL")
	assert.Equal(t, mailcheck.Grade("C"), rep.Grade)
}

func TestAFailedBlocklistLookupLeavesTheItemUnknown(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, repZone))
	srv.SetFault("20.0.0.198.bl.spamcop.net", dns.TypeA, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	rep, err := mailcheck.CheckDomain(context.Background(), "rep.example", mailcheck.WithResolver(srv.Resolver(t)))
	require.NoError(t, err)
	assert.Equal(t, mailcheck.ItemError, reputationItem(t, rep).State)
	assert.True(t, rep.Incomplete)
	assert.Equal(t, mailcheck.StatusError, rep.Check("reputation").Status)
}

func TestReputationCanBeTurnedOffAndIsOffInBulk(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, repZone))
	rep, err := mailcheck.CheckDomain(context.Background(), "rep.example", mailcheck.WithResolver(srv.Resolver(t)),
		mailcheck.WithReputation(false))
	require.NoError(t, err)
	assert.Equal(t, mailcheck.StatusSkip, rep.Check("reputation").Status)
	assert.Equal(t, mailcheck.ItemNotApplicable, reputationItem(t, rep).State)
	assert.Zero(t, srv.Count("20.0.0.198.zen.spamhaus.org.", "A"), "no blocklist query when off")

	var got []*mailcheck.Report
	emit := func(r mailcheck.DomainResult) { got = append(got, r.Report) }
	require.NoError(t, mailcheck.CheckDomains(context.Background(), []string{"rep.example"}, emit, mailcheck.WithResolver(srv.Resolver(t))))
	require.Len(t, got, 1)
	assert.Equal(t, mailcheck.StatusSkip, got[0].Check("reputation").Status, "off in bulk by default")

	got = nil
	require.NoError(t, mailcheck.CheckDomains(context.Background(), []string{"rep.example"}, emit,
		mailcheck.WithResolver(srv.Resolver(t)), mailcheck.WithReputation(true)))
	assert.Equal(t, mailcheck.StatusPass, got[0].Check("reputation").Status, "on in bulk when asked")
}
