package mailcheck_test

import (
	"context"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
)

const scoringZone = "testdata/zones/scoring.zone"

func scoringResolver(t *testing.T) *dnscheck.Resolver {
	t.Helper()
	z, err := dnscheck.LoadZoneFile(scoringZone)
	require.NoError(t, err)
	return dnscheck.NewZoneResolver(z)
}

// item returns the report's item with the given ID.
func item(t *testing.T, rep *mailcheck.Report, id string) mailcheck.Item {
	t.Helper()
	for _, c := range rep.Categories {
		for _, it := range c.Items {
			if it.ID == id {
				return it
			}
		}
	}
	t.Fatalf("no item %s", id)
	return mailcheck.Item{}
}

func capReasons(rep *mailcheck.Report) []string {
	var out []string
	for _, c := range rep.Caps {
		out = append(out, string(c.MaxGrade)+": "+c.Reason)
	}
	return out
}

// Each rule of SCORING.md on a domain that is healthy but for that one thing.
func TestScoringRules(t *testing.T) {
	tests := []struct {
		name, domain string
		grade        mailcheck.Grade
		capContains  string // "" when no cap applies
		points       map[string]int
	}{
		{"a healthy domain gets an A and no cap", "good.scoring.example", "A", "",
			map[string]int{"spf.record": 10, "spf.policy": 10, "dmarc.policy": 10}},
		{"+all is spoofable by anyone, whatever DMARC says: F", "plusall.scoring.example", "F", "SPF passes every address",
			map[string]int{"spf.record": 10, "spf.policy": 0}},
		{"an include that passes every address is as open as +all: F", "openinclude.scoring.example", "F", "SPF passes every address",
			map[string]int{"spf.policy": 0}},
		{"a network wider than /8 is as open as +all for what it covers: F", "widenet.scoring.example", "F", "wider than /8",
			map[string]int{}},
		{"an IP where a domain belongs is a permerror: record item 0, held at D", "ipspec.scoring.example", "D", "permerror",
			map[string]int{"spf.record": 0, "spf.policy": 0}},
		{"an include without SPF is a permerror: held at D", "noinclude.scoring.example", "D", "permerror",
			map[string]int{"spf.record": 0}},
		{"pct=0 is p=none for RFC 7489 receivers: held at C", "pctzero.scoring.example", "C", "p=none",
			map[string]int{"dmarc.policy": 2}},
		{"~all earns half the policy points", "softfail.scoring.example", "A", "",
			map[string]int{"spf.policy": 5}},
		{"?all earns the low points (DMARC still protects the domain, so no cap)", "neutral.scoring.example", "A", "",
			map[string]int{"spf.policy": 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := mailcheck.CheckDomain(context.Background(), tc.domain, mailcheck.WithResolver(scoringResolver(t)))
			require.NoError(t, err)
			assert.False(t, rep.Incomplete)
			assert.Equal(t, tc.grade, rep.Grade, "score %d, caps %v", rep.Score, capReasons(rep))
			if tc.capContains == "" {
				assert.Empty(t, rep.Caps)
			} else {
				assert.Contains(t, capReasons(rep), func() string {
					for _, r := range capReasons(rep) {
						if contains(r, tc.capContains) {
							return r
						}
					}
					return "a cap mentioning " + tc.capContains
				}())
			}
			for id, want := range tc.points {
				assert.Equal(t, want, item(t, rep, id).Points, id)
			}
			assert.Equal(t, rep.ScoreMin, rep.ScoreMax, "a complete report has one score")
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestAReportWhoseEveryLookupFailedHasNoGrade(t *testing.T) {
	// Nothing listens on port 1: every query fails at once.
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{"127.0.0.1:1"}, Timeout: 200 * time.Millisecond, Attempts: 1})
	require.NoError(t, err)
	rep, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(r))
	require.NoError(t, err)
	assert.True(t, rep.Incomplete)
	assert.Equal(t, mailcheck.Grade(""), rep.Grade, "unknown is not good")
	assert.Equal(t, 0, rep.ScoreMin)
	assert.Equal(t, 100, rep.ScoreMax)
	assert.Equal(t, rep.ScoreMin, rep.Score, "the score given is the lower bound")
	assert.Empty(t, rep.Caps, "nothing is known to cap")
	for _, c := range rep.Categories {
		for _, it := range c.Items {
			assert.NotEqual(t, mailcheck.ItemScored, it.State, "%s earns nothing from failed lookups", it.ID)
		}
	}
}

func TestGradeJSONIsNullWhenUnknown(t *testing.T) {
	for _, tc := range []struct {
		grade mailcheck.Grade
		json  string
	}{{"", "null"}, {"B", `"B"`}} {
		b, err := tc.grade.MarshalJSON()
		require.NoError(t, err)
		assert.Equal(t, tc.json, string(b))
		var back mailcheck.Grade
		require.NoError(t, back.UnmarshalJSON(b))
		assert.Equal(t, tc.grade, back)
	}
	assert.Equal(t, "?", mailcheck.Grade("").String())
}

// DNSSEC counts only from a resolver known to validate. A zone file and a
// non-validating resolver both leave it out, so they score the same zone the same.
func TestDNSSECIsScoredFromMailchecksOwnValidation(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	offline, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
	require.NoError(t, err)
	assert.Equal(t, mailcheck.ItemNotApplicable, item(t, offline, "hygiene.dnssec").State, "a zone file without an anchor is not judged")

	// An upstream that passes no DNSSEC records (no root DNSKEY) is no penalty either.
	srv := dnstest.Start(t, z)
	online, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(srv.Resolver(t)))
	require.NoError(t, err)
	assert.Equal(t, offline.Score, online.Score)
	assert.Equal(t, mailcheck.ItemNotApplicable, item(t, online, "hygiene.dnssec").State)
	assert.Contains(t, item(t, online, "hygiene.dnssec").Reason, "does not pass DNSSEC records on")

	// A signed tree under the test's own root: secure, insecure, bogus.
	root := dnstest.NewSignedZone(".", dns.ED25519)
	good := dnstest.NewSignedZone("good.test.", dns.ECDSAP256SHA256)
	good.Add("good.test. 3600 IN MX 10 mx.good.test.", "mx.good.test. 3600 IN A 192.0.2.25")
	stale := dnstest.NewSignedZone("stale.test.", dns.ECDSAP256SHA256)
	stale.Add("stale.test. 3600 IN MX 10 mx.stale.test.")
	stale.Inception, stale.Expiration = time.Now().Add(-30*24*time.Hour), time.Now().Add(-time.Hour)
	root.Delegate("good.test.", good.DS())
	root.Delegate("stale.test.", stale.DS())
	root.Delegate("plain.test.")
	tree := dnstest.SignedZones(root.Sign(), good.Sign(), stale.Sign())
	tree.Add(mustRR(t, "plain.test. 3600 IN SOA ns1.plain.test. h.plain.test. 1 2 3 4 5"))
	tree.Add(mustRR(t, "plain.test. 3600 IN MX 10 mx.plain.test."))
	signed := dnstest.Start(t, tree)
	check := func(domain string) (*mailcheck.Report, mailcheck.Item) {
		r := signed.Resolver(t)
		require.NoError(t, r.SetTrustAnchors([]dns.RR{root.DS()}))
		rep, err := mailcheck.CheckDomain(context.Background(), domain, mailcheck.WithResolver(r))
		require.NoError(t, err)
		return rep, item(t, rep, "hygiene.dnssec")
	}
	_, it := check("good.test")
	assert.Equal(t, mailcheck.PointsFull, it.Points, it.Reason)

	_, it = check("plain.test")
	assert.Equal(t, mailcheck.PointsLow, it.Points, it.Reason)
	assert.Contains(t, it.Reason, "without a DS record")
	assert.Contains(t, it.Fix, "Sign the zone")

	rep, it := check("stale.test")
	assert.Equal(t, mailcheck.ItemScored, it.State)
	assert.Equal(t, mailcheck.PointsNone, it.Points, it.Reason)
	assert.Contains(t, it.Reason, "expired on")
	assert.Contains(t, it.Fix, "Re-sign the zone")
	c := rep.Check("dnssec")
	require.NotNil(t, c)
	require.Len(t, c.Findings, 1)
	assert.Equal(t, dnscheck.CodeDNSSECBogus, c.Findings[0].Code)
	assert.Equal(t, mailcheck.Error, c.Findings[0].Severity)
	assert.Contains(t, c.Findings[0].Message, "expired on")
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	require.NoError(t, err)
	return rr
}

func TestANamedSelectorWithoutAKeyScoresZero(t *testing.T) {
	rep, err := mailcheck.CheckDomain(context.Background(), "good.scoring.example",
		mailcheck.WithResolver(scoringResolver(t)), mailcheck.WithSelectors("s2024"))
	require.NoError(t, err)
	it := item(t, rep, "dkim.key")
	assert.Equal(t, mailcheck.PointsNone, it.Points, "SCORING.md: a selector you named is missing scores 0")
	assert.Contains(t, it.Reason, "s2024")
}

func TestAFailedLookupAboveTheDomainLeavesOnlyTheSubdomainPolicyUnknown(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(scoringZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.good.scoring.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	rep, err := mailcheck.CheckDomain(context.Background(), "sub.good.scoring.example", mailcheck.WithResolver(srv.Resolver(t)))
	require.NoError(t, err)
	assert.Equal(t, mailcheck.PointsFull, item(t, rep, "dmarc.policy").Points, "the domain's own record is known")
	assert.Equal(t, mailcheck.ItemError, item(t, rep, "dmarc.subdomains").State)
	assert.True(t, rep.Incomplete)
	assert.Equal(t, mailcheck.Grade(""), rep.Grade)
}

func TestFixFirstPutsWhatHoldsTheGradeDownFirst(t *testing.T) {
	t.Run("the +all fix comes before bigger gains that lift no cap", func(t *testing.T) {
		rep, err := mailcheck.CheckDomain(context.Background(), "plusall.scoring.example",
			mailcheck.WithResolver(scoringResolver(t)), mailcheck.WithSelectors("nosuch"))
		require.NoError(t, err)
		require.NotEmpty(t, rep.FixFirst)
		assert.Equal(t, "spf.policy", rep.FixFirst[0].Item)
		require.NotEmpty(t, rep.FixFirst[0].FixRecords)
		assert.Equal(t, "v=spf1 mx -all", rep.FixFirst[0].FixRecords[0].Value, "the owner's record, corrected")
	})
	t.Run("a misspelt p is corrected once, for every DMARC item it holds down", func(t *testing.T) {
		rep, err := mailcheck.CheckDomain(context.Background(), "prejected.scoring.example", mailcheck.WithResolver(scoringResolver(t)))
		require.NoError(t, err)
		require.NotEmpty(t, rep.FixFirst)
		first := rep.FixFirst[0]
		require.Len(t, first.FixRecords, 1)
		assert.Equal(t, "replace", string(first.FixRecords[0].Action))
		assert.Equal(t, "v=DMARC1; p=reject; rua=mailto:dmarc@prejected.scoring.example", first.FixRecords[0].Value)
		for _, f := range rep.FixFirst[1:] {
			assert.NotContains(t, f.Item, "dmarc.", "the DMARC items fold into the correction")
		}
		assert.Equal(t, mailcheck.Grade("C"), rep.Grade, "receivers apply none until it is corrected")
	})
}
