package mailcheck_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const demoZone = "testdata/zones/demo.zone"

func demoResolver(t testing.TB) *dnscheck.Resolver {
	t.Helper()
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	return dnscheck.NewZoneResolver(z)
}

// goldenJSON compares v's JSON with testdata/golden/name (semantically), rewriting the
// file with -update.
func goldenJSON(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test . -update to create it")
	assert.JSONEq(t, string(want), string(got))
}

func TestDomainReportsMatchTheirGoldenFiles(t *testing.T) {
	tests := []struct {
		name, domain string
		profile      mailcheck.Profile
		grade        mailcheck.Grade
		caps         int
	}{
		{"a well-configured domain gets an A", "example.com", mailcheck.ProfileDefault, "A", 0},
		{"a domain hosted by a large provider through includes and CNAMEd selectors", "hosted.example", mailcheck.ProfileDefault, "B", 0}, // 88: p=quarantine, and no MTA-STS or TLS-RPT (scoring 2026-12.3)
		{"a parked domain under the parked profile", "parked.example", mailcheck.ProfileParked, "A", 0},
		{"a domain with only a weak DKIM key is held at C", "weakdkim.example", mailcheck.ProfileDefault, "C", 1},
		{"a domain over the SPF lookup limit is held at D", "spflimit.example", mailcheck.ProfileDefault, "D", 1},
		{"a domain without DMARC is held at D", "nodmarc.example", mailcheck.ProfileDefault, "D", 1},
		{"a domain with two DMARC records is held at D", "twodmarc.example", mailcheck.ProfileDefault, "D", 1},
		{"a domain with broken MX, no SPF and no DMARC fails", "broken.example", mailcheck.ProfileDefault, "F", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := mailcheck.CheckDomain(context.Background(), tc.domain,
				mailcheck.WithResolver(demoResolver(t)), mailcheck.WithProfile(tc.profile))
			require.NoError(t, err)
			assert.Equal(t, tc.grade, rep.Grade)
			assert.Len(t, rep.Caps, tc.caps)
			assert.False(t, rep.Incomplete)
			assert.Equal(t, mailcheck.ScoringVersion, rep.ScoringVersion)
			assert.Equal(t, mailcheck.Version(), rep.MailcheckVersion)
			assert.WithinDuration(t, time.Now(), rep.CheckedAt, 5*time.Second)
			rep.ElapsedMS, rep.MailcheckVersion, rep.CheckedAt = 0, "", time.Time{} // they change from run to run
			goldenJSON(t, "report-"+tc.domain+"-"+string(tc.profile)+".json", rep)
		})
	}
}

func TestGradesOrderTheDomainsByHealth(t *testing.T) {
	scoreOf := func(domain string) (int, mailcheck.Grade) {
		rep, err := mailcheck.CheckDomain(context.Background(), domain, mailcheck.WithResolver(demoResolver(t)))
		require.NoError(t, err)
		return rep.Score, rep.Grade
	}
	good, goodGrade := scoreOf("example.com")
	hosted, _ := scoreOf("hosted.example")
	_, weakGrade := scoreOf("weakdkim.example")
	_, noDMARCGrade := scoreOf("nodmarc.example")
	broken, brokenGrade := scoreOf("broken.example")
	assert.Equal(t, mailcheck.Grade("A"), goodGrade)
	assert.GreaterOrEqual(t, good, hosted, "p=quarantine scores below p=reject")
	assert.Less(t, goodGrade, weakGrade)
	assert.Less(t, weakGrade, noDMARCGrade)
	assert.LessOrEqual(t, noDMARCGrade, brokenGrade)
	assert.Less(t, broken, hosted)
}

func TestADNSTimeoutMakesTheReportIncompleteNotFailed(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.example.com", dns.TypeTXT, dnstest.Fault{Drop: true})
	rep, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(srv.Resolver(t)))
	require.NoError(t, err)
	assert.True(t, rep.Incomplete)
	assert.False(t, rep.Failed(), "a timeout is not a missing record")
	assert.Equal(t, mailcheck.StatusError, rep.Check("dmarc").Status)
	for _, c := range rep.Caps {
		assert.NotContains(t, c.Reason, "No DMARC", "an unknown DMARC record must not cap the grade")
	}
	for _, cat := range rep.Categories {
		if cat.ID != "dmarc" {
			continue
		}
		for _, it := range cat.Items {
			assert.Equal(t, mailcheck.ItemError, it.State, it.ID)
			assert.Zero(t, it.Possible, "an unknown item earns nothing for sure")
		}
	}
	assert.Equal(t, mailcheck.Grade(""), rep.Grade, "no letter while items are unknown")
	assert.Less(t, rep.ScoreMin, rep.ScoreMax, "the score is the range the unknown items leave open")
	assert.Equal(t, 97, rep.ScoreMax, "no MTA-STS and no TLS-RPT: half of two of the seven MX and transport items")
}

func TestBulkSenderProfileListsTheRequirements(t *testing.T) {
	rep, err := mailcheck.CheckDomain(context.Background(), "example.com",
		mailcheck.WithResolver(demoResolver(t)), mailcheck.WithProfile(mailcheck.ProfileBulkSender))
	require.NoError(t, err)
	states := map[string]mailcheck.ChecklistState{}
	for _, it := range rep.Checklist {
		states[it.ID] = it.State
	}
	assert.Equal(t, map[string]mailcheck.ChecklistState{
		"spf": mailcheck.ChecklistMet, "dkim": mailcheck.ChecklistMet, "dmarc": mailcheck.ChecklistMet,
		"alignment": mailcheck.ChecklistMet, "ptr": mailcheck.ChecklistUnknown,
		"unsubscribe": mailcheck.ChecklistCheckedOnMessages, "complaints": mailcheck.ChecklistNotMeasurable,
	}, states)
}

func TestUnknownProfileIsAnError(t *testing.T) {
	_, err := mailcheck.CheckDomain(context.Background(), "example.com",
		mailcheck.WithResolver(demoResolver(t)), mailcheck.WithProfile("nonsense"))
	assert.ErrorContains(t, err, "unknown profile")
}

func TestANonexistentDomainIsHeldAtF(t *testing.T) {
	rep, err := mailcheck.CheckDomain(context.Background(), "nosuch.example", mailcheck.WithResolver(demoResolver(t)))
	require.NoError(t, err)
	assert.Equal(t, mailcheck.Grade("F"), rep.Grade)
	require.NotEmpty(t, rep.Caps)
	assert.Equal(t, mailcheck.Grade("F"), rep.Caps[0].MaxGrade)
	assert.Contains(t, rep.Caps[0].Reason, "NXDOMAIN")
}

func TestReportAccessorsGiveEachCheckItsType(t *testing.T) {
	rep, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(demoResolver(t)))
	require.NoError(t, err)
	require.NotNil(t, rep.MX())
	assert.Len(t, rep.MX().Hosts, 2)
	require.NotNil(t, rep.SPF())
	assert.Equal(t, "v=spf1 mx include:_spf.mailer.example.net -all", rep.SPF().Record)
	require.NotNil(t, rep.DMARC())
	assert.Equal(t, "_dmarc.example.com", rep.DMARC().FoundAt)
	require.NotNil(t, rep.DKIM())
	assert.NotEmpty(t, rep.DKIM().Keys)
	assert.NotNil(t, rep.MTASTS())
	assert.NotNil(t, rep.TLSRPT())
	assert.NotNil(t, rep.BIMI())

	parked, err := mailcheck.CheckDomain(context.Background(), "parked.example",
		mailcheck.WithResolver(demoResolver(t)), mailcheck.WithProfile(mailcheck.ProfileParked))
	require.NoError(t, err)
	assert.Nil(t, parked.DKIM(), "DKIM does not run for a parked domain")
}

func TestANilResolverIsAnErrorNotTheSystemResolver(t *testing.T) {
	_, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(nil))
	assert.ErrorContains(t, err, "WithResolver(nil)")
	_, err = mailcheck.CheckMessage(context.Background(), strings.NewReader("From: a@example.com\r\n\r\nhi\r\n"), mailcheck.WithResolver(nil))
	assert.ErrorContains(t, err, "WithResolver(nil)")
}

func TestMessageReportHelpersMatchReports(t *testing.T) {
	msg := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hello\r\n" +
		"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello Bob.\r\n"
	check := func(t *testing.T, ip string, opts ...mailcheck.Option) *mailcheck.MessageReport {
		t.Helper()
		opts = append(opts, mailcheck.WithResolver(demoResolver(t)))
		if ip != "" {
			opts = append(opts, mailcheck.WithEnvelope(netip.MustParseAddr(ip), "bounce@example.com", "out.example.com"))
		}
		rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(msg), opts...)
		require.NoError(t, err)
		return rep
	}

	t.Run("each check's details come typed", func(t *testing.T) {
		rep := check(t, "192.0.2.10")
		require.NotNil(t, rep.SPF())
		assert.Equal(t, "example.com", rep.SPF().Domain)
		require.NotNil(t, rep.DKIM())
		require.NotNil(t, rep.DMARC())
		assert.Equal(t, "example.com", rep.DMARC().FromDomain)
		assert.Equal(t, []string{"spf"}, rep.DMARC().Via)
		assert.NotNil(t, rep.Attachments())
		require.NotNil(t, rep.Content())
		assert.NotNil(t, rep.Content().Size)
		assert.False(t, rep.Failed(), "SPF passes and DMARC passes through it")
		assert.Equal(t, rep.Status == mailcheck.StatusFail, rep.Failed())
	})
	t.Run("SPF is nil without an envelope", func(t *testing.T) {
		assert.Nil(t, check(t, "").SPF())
	})
	t.Run("Failed is true when DMARC fails under p=reject", func(t *testing.T) {
		rep := check(t, "203.0.113.9") // not in example.com's SPF, and no DKIM signature
		assert.True(t, rep.Failed())
		assert.Equal(t, mailcheck.StatusFail, rep.Status)
		assert.Equal(t, mailcheck.StatusFail, rep.Check("dmarc").Status)
	})
}
