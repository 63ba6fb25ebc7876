package mailcheck_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/smtptest"
	"github.com/mailcheck/mailcheck/internal/testca"
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

// want is what SCORING.md gives an item: its state and, when scored, its points.
type want struct {
	state  mailcheck.ItemState
	points int
}

func pts(n int) want { return want{mailcheck.ItemScored, n} }

var (
	notApplicableItem = want{state: mailcheck.ItemNotApplicable}
	unknownItem       = want{state: mailcheck.ItemError}
)

// scoringRow is one row of SCORING.md on one domain of scoring.zone, healthy but for
// the one thing the row is about.
type scoringRow struct {
	name   string
	domain string // the label before .scoring.example
	opts   []mailcheck.Option
	items  map[string]want
	// caps are every cap the report must hold, as "<grade>: <part of the reason>";
	// empty when none may apply.
	caps []string
	// grade is asserted when set.
	grade mailcheck.Grade
	// says holds a part of an item's reason or fix, by item.
	says map[string]string
	// faults, when set, serve the zone from the in-process DNS server with the faults
	// it sets, instead of reading it directly.
	faults func(*dnstest.Server)
}

// runScoringRows checks each row's domain and asserts its items, caps and grade. A
// row with an item in state error must make an incomplete report without a grade;
// any other row a complete report with one score.
func runScoringRows(t *testing.T, rows []scoringRow, base ...mailcheck.Option) {
	t.Helper()
	z, err := dnscheck.LoadZoneFile(scoringZone)
	require.NoError(t, err)
	for _, tc := range rows {
		t.Run(tc.name, func(t *testing.T) {
			r := dnscheck.NewZoneResolver(z)
			if tc.faults != nil {
				srv := dnstest.Start(t, z)
				tc.faults(srv)
				r = srv.Resolver(t)
			}
			opts := append(append([]mailcheck.Option{mailcheck.WithResolver(r)}, base...), tc.opts...)
			rep, err := mailcheck.CheckDomain(context.Background(), tc.domain+".scoring.example", opts...)
			require.NoError(t, err)
			anyUnknown := false
			for id, w := range tc.items {
				it := item(t, rep, id)
				assert.Equal(t, w.state, it.State, "%s: %s", id, it.Reason)
				if w.state == mailcheck.ItemScored {
					assert.Equal(t, w.points, it.Points, "%s: %s", id, it.Reason)
				} else {
					assert.Zero(t, it.Possible, "%s is left out of the score", id)
				}
				anyUnknown = anyUnknown || w.state == mailcheck.ItemError
			}
			for id, part := range tc.says {
				it := item(t, rep, id)
				assert.Contains(t, it.Reason+"\n"+it.Fix, part, id)
			}
			got := capReasons(rep)
			assert.Len(t, got, len(tc.caps), "caps: %v", got)
			for _, c := range tc.caps {
				grade, part, _ := strings.Cut(c, ": ")
				assert.True(t, slices.ContainsFunc(got, func(r string) bool {
					return strings.HasPrefix(r, grade+": ") && strings.Contains(r, part)
				}), "no cap %q among %v", c, got)
			}
			if anyUnknown {
				assert.True(t, rep.Incomplete, "an unknown item makes the report incomplete")
				assert.Equal(t, mailcheck.Grade(""), rep.Grade, "unknown is not good: no grade")
				assert.Less(t, rep.ScoreMin, rep.ScoreMax, "the unknown item widens the score range")
			} else {
				assert.False(t, rep.Incomplete)
				assert.Equal(t, rep.ScoreMin, rep.ScoreMax, "a complete report has one score")
			}
			if tc.grade != "" {
				assert.Equal(t, tc.grade, rep.Grade, "score %d, caps %v", rep.Score, got)
			}
		})
	}
}

// Every SCORING.md row of the DMARC items (RFC 9989 and RFC 7489, the weaker counts).
func TestScoringDMARCItems(t *testing.T) {
	runScoringRows(t, []scoringRow{
		{name: "one record with p=reject, sp and np reject by default and an authorized rua earns every DMARC point", domain: "good",
			items: map[string]want{"dmarc.record": pts(10), "dmarc.policy": pts(10), "dmarc.subdomains": pts(10), "dmarc.reports": pts(10)}, grade: "A"},
		{name: "a record that applies but has an error (p=rejected) earns half the record points, and none is applied: held at C", domain: "prejected",
			items: map[string]want{"dmarc.record": pts(5), "dmarc.policy": pts(2), "dmarc.subdomains": pts(2)},
			caps:  []string{"C: p=none"}},
		{name: "no DMARC record scores 0 on every DMARC item and holds the grade at D", domain: "nodmarc",
			items: map[string]want{"dmarc.record": pts(0), "dmarc.policy": pts(0), "dmarc.subdomains": pts(0), "dmarc.reports": pts(0)},
			caps:  []string{"D: No DMARC record"}, grade: "D"},
		{name: "two DMARC records at one name count as none: 0 and held at D", domain: "twodmarc",
			items: map[string]want{"dmarc.record": pts(0), "dmarc.policy": pts(0)},
			caps:  []string{"D: More than one DMARC record"}, grade: "D"},
		{name: "p=quarantine earns half the policy points, and sp defaults to it", domain: "quarantine",
			items: map[string]want{"dmarc.policy": pts(5), "dmarc.subdomains": pts(5)}},
		{name: "p=none earns the low policy points and holds the grade at C", domain: "pnone",
			items: map[string]want{"dmarc.policy": pts(2)}, caps: []string{"C: p=none"}, grade: "C"},
		{name: "p=reject with pct=50 is quarantine for RFC 7489 receivers, so it earns half", domain: "pct50",
			items: map[string]want{"dmarc.policy": pts(5)}, says: map[string]string{"dmarc.policy": "pct=50"}},
		{name: "p=quarantine with pct=0 is none for RFC 7489 receivers: low points, held at C", domain: "pctzero",
			items: map[string]want{"dmarc.policy": pts(2)}, caps: []string{"C: p=none"}, grade: "C"},
		{name: "p=reject with t=y is quarantine under RFC 9989, so it earns half", domain: "treject",
			items: map[string]want{"dmarc.policy": pts(5)}},
		{name: "p=quarantine with t=y is none under RFC 9989: low points, held at C", domain: "tquarantine",
			items: map[string]want{"dmarc.policy": pts(2)}, caps: []string{"C: p=none"}},
		{name: "sp=quarantine earns half the subdomain points and leaves the domain's policy whole", domain: "spquarantine",
			items: map[string]want{"dmarc.policy": pts(10), "dmarc.subdomains": pts(5)}},
		{name: "np=none earns the low subdomain points; the domain itself is protected, so no cap", domain: "npnone",
			items: map[string]want{"dmarc.policy": pts(10), "dmarc.subdomains": pts(2)}},
		{name: "no rua earns the low report points", domain: "norua",
			items: map[string]want{"dmarc.reports": pts(2)}},
		{name: "a rua at another organization that has not authorized it earns half", domain: "ruaexternal",
			items: map[string]want{"dmarc.reports": pts(5)}, says: map[string]string{"dmarc.reports": "_report._dmarc.reports.example.net"}},
		{name: "a rua with no valid URI earns half, and its fix is the owner's record with the URI corrected", domain: "ruainvalid",
			items: map[string]want{"dmarc.record": pts(5), "dmarc.reports": pts(5)},
			says:  map[string]string{"dmarc.reports": "rua=mailto:dmarc@ruainvalid.scoring.example"}},
	})
}

// Every SCORING.md row of the SPF items, judged on check_host() for unlisted senders.
func TestScoringSPFItems(t *testing.T) {
	permerror := func(name, domain string) scoringRow {
		return scoringRow{name: name, domain: domain,
			items: map[string]want{"spf.record": pts(0), "spf.policy": pts(0), "spf.lookups": pts(0)},
			caps:  []string{"D: permerror"}, grade: "D"}
	}
	runScoringRows(t, []scoringRow{
		{name: "a record that ends in -all within 8 lookups earns every SPF point", domain: "good",
			items: map[string]want{"spf.record": pts(10), "spf.policy": pts(10), "spf.lookups": pts(10)}, grade: "A"},
		{name: "no SPF record scores 0 on every SPF item and holds the grade at D", domain: "nospf",
			items: map[string]want{"spf.record": pts(0), "spf.policy": pts(0), "spf.lookups": pts(0)},
			caps:  []string{"D: No SPF record"}, grade: "D"},
		permerror("two SPF records are a permerror: no working record, held at D", "twospf"),
		permerror("a syntax error is a permerror: no working record, held at D", "spfsyntax"),
		permerror("an IP where a domain belongs is a permerror: no working record, held at D", "ipspec"),
		permerror("an include of a name without SPF is a permerror: no working record, held at D", "noinclude"),
		permerror("an include loop is a permerror: no working record, held at D", "spfloop"),
		permerror("more than 2 void lookups are a permerror: no working record, held at D", "spfvoids"),
		permerror("11 DNS lookups are a permerror: no working record, held at D", "elevenlookups"),
		{name: "~all earns half the policy points", domain: "softfail",
			items: map[string]want{"spf.record": pts(10), "spf.policy": pts(5)}, grade: "A"},
		{name: "?all earns the low policy points (DMARC still protects the domain, so no cap)", domain: "neutral",
			items: map[string]want{"spf.policy": pts(2)}, grade: "A"},
		{name: "a record without all is neutral for unlisted senders: the low policy points", domain: "noall",
			items: map[string]want{"spf.policy": pts(2)}},
		{name: "+all passes anyone: the policy earns nothing though the record is valid, and the grade is F", domain: "plusall",
			items: map[string]want{"spf.record": pts(10), "spf.policy": pts(0)},
			caps:  []string{"F: SPF passes every address"}, grade: "F"},
		{name: "9 DNS lookups earn half the budget points: one more include breaks SPF", domain: "ninelookups",
			items: map[string]want{"spf.record": pts(10), "spf.lookups": pts(5)}, says: map[string]string{"spf.lookups": "9 DNS lookups"}},
		{name: "11 DNS lookups say so in the budget item", domain: "elevenlookups",
			items: map[string]want{"spf.lookups": pts(0)}, caps: []string{"D: more than 10"},
			says: map[string]string{"spf.lookups": "11 DNS lookups"}},
	})
}

// Every SCORING.md row of the DKIM items.
func TestScoringDKIMItems(t *testing.T) {
	runScoringRows(t, []scoringRow{
		{name: "a 2048-bit RSA key earns every DKIM point", domain: "good",
			items: map[string]want{"dkim.key": pts(10), "dkim.hygiene": pts(10)}, grade: "A"},
		{name: "an Ed25519 key earns every DKIM point", domain: "ed25519",
			items: map[string]want{"dkim.key": pts(10), "dkim.hygiene": pts(10)}},
		{name: "a best key of 1024 bits earns half of both items (a warning in the record)", domain: "key1024",
			items: map[string]want{"dkim.key": pts(5), "dkim.hygiene": pts(5)}},
		{name: "nothing under _domainkey is inconclusive: half, and no record to judge", domain: "nodkim",
			items: map[string]want{"dkim.key": pts(5), "dkim.hygiene": notApplicableItem},
			says:  map[string]string{"dkim.key": "NXDOMAIN"}},
		{name: "a key at a selector no probe asks about is inconclusive: half", domain: "unprobed",
			items: map[string]want{"dkim.key": pts(5), "dkim.hygiene": notApplicableItem},
			says:  map[string]string{"dkim.key": "Inconclusive"}},
		{name: "the same key found through --selector earns every DKIM point", domain: "unprobed", opts: []mailcheck.Option{mailcheck.WithSelectors("2026q1")},
			items: map[string]want{"dkim.key": pts(10), "dkim.hygiene": pts(10)}},
		{name: "a selector the user named without a key scores 0, whatever else is published", domain: "good", opts: []mailcheck.Option{mailcheck.WithSelectors("s2024")},
			items: map[string]want{"dkim.key": pts(0)}, says: map[string]string{"dkim.key": "s2024"}},
		{name: "only a key under 1024 bits scores 0, is an error in the record, and holds the grade at C", domain: "key512",
			items: map[string]want{"dkim.key": pts(0), "dkim.hygiene": pts(0)},
			caps:  []string{"C: revoked or shorter than 1024 bits"}, grade: "C"},
		{name: "only a revoked key scores 0 and holds the grade at C; revocation is a warning in the record", domain: "revoked",
			items: map[string]want{"dkim.key": pts(0), "dkim.hygiene": pts(5)},
			caps:  []string{"C: revoked or shorter than 1024 bits"}},
		{name: "a key in testing mode (t=y) earns half the hygiene points", domain: "dkimtesting",
			items: map[string]want{"dkim.key": pts(10), "dkim.hygiene": pts(5)}},
		{name: "a key that allows only sha1 is an error in the record: no hygiene points", domain: "dkimsha1",
			items: map[string]want{"dkim.hygiene": pts(0)}},
		{name: "two key records at one selector are an error in the record", domain: "dkimtwo",
			items: map[string]want{"dkim.hygiene": pts(0)}},
	})
}

// Every SCORING.md row of the MX and transport items that a zone file can show.
func TestScoringMXAndTransportItems(t *testing.T) {
	ip := netip.MustParseAddr
	runScoringRows(t, []scoringRow{
		{name: "a good MX earns full points; without --ip, --probe-smtp, MTA-STS and TLS-RPT the rest is n/a or half", domain: "good",
			items: map[string]want{"mx.records": pts(10), "mx.ptr": notApplicableItem, "mtasts.policy": pts(5),
				"tlsrpt.record": pts(5), "smtp.starttls": notApplicableItem}, grade: "A"},
		{name: "a null MX earns full MX points, and the transport items do not apply", domain: "nullmx",
			items: map[string]want{"mx.records": pts(10), "mtasts.policy": notApplicableItem, "tlsrpt.record": notApplicableItem,
				"smtp.starttls": notApplicableItem}},
		{name: "an MX host that is a CNAME is a warning: half the MX points", domain: "mxcname",
			items: map[string]want{"mx.records": pts(5)}},
		{name: "an MX host without an address is a failure: no MX points", domain: "mxnoaddr",
			items: map[string]want{"mx.records": pts(0)}},
		{name: "a sending IP with forward-confirmed reverse DNS earns full PTR points", domain: "ptr",
			opts:  []mailcheck.Option{mailcheck.WithSendingIPs(ip("198.51.100.10"))},
			items: map[string]want{"mx.ptr": pts(10)}},
		{name: "one sending IP whose PTR name does not resolve back scores 0 for all", domain: "ptr",
			opts:  []mailcheck.Option{mailcheck.WithSendingIPs(ip("198.51.100.10"), ip("198.51.100.11"))},
			items: map[string]want{"mx.ptr": pts(0)}, says: map[string]string{"mx.ptr": "does not resolve back"}},
		{name: "a sending IP without a PTR record scores 0", domain: "ptr",
			opts:  []mailcheck.Option{mailcheck.WithSendingIPs(ip("198.51.100.12"))},
			items: map[string]want{"mx.ptr": pts(0)}, says: map[string]string{"mx.ptr": "no PTR record"}},
		{name: "one valid TLS-RPT record earns full points", domain: "tlsrpt",
			items: map[string]want{"tlsrpt.record": pts(10)}},
		{name: "two TLS-RPT records are a record senders cannot use: the low points", domain: "tlsrpttwo",
			items: map[string]want{"tlsrpt.record": pts(2)}},
		{name: "a _mta-sts record senders cannot parse earns the low points", domain: "stsbadrecord",
			items: map[string]want{"mtasts.policy": pts(2)}},
		{name: "a policy announced on a host without an address earns the low points", domain: "stsnohost",
			items: map[string]want{"mtasts.policy": pts(2)}, says: map[string]string{"mtasts.policy": "Publish an A/AAAA record"}},
		{name: "a policy host outside loopback is not dialed from a zone file: unknown, not broken", domain: "stsoffline",
			items: map[string]want{"mtasts.policy": unknownItem}},
	})
}

// The transport rows that need a policy server or an SMTP server: both on loopback,
// under a test CA.
func TestScoringTransportOverLoopback(t *testing.T) {
	ca := testca.New(t)
	policies := map[string]string{}
	policy := func(domain, mode string, mx ...string) {
		body := "version: STSv1\nmode: " + mode + "\n"
		for _, h := range mx {
			body += "mx: " + h + "." + domain + ".scoring.example\n"
		}
		policies["mta-sts."+domain+".scoring.example"] = body + "max_age: 604800\n"
	}
	policy("stsenforce", "enforce", "mx")
	policy("ststesting", "testing", "mx")
	policy("stsnone", "none", "mx")
	policy("stsorphan", "enforce", "mx")
	policy("ststestinggap", "testing", "mx")
	policy("stsenforcegap", "enforce", "mx")
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		body, ok := policies[host]
		if !ok || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(body))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Valid(t, names...)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	smtp := func(cert *tls.Certificate) []mailcheck.Option {
		s := smtptest.Start(t, smtptest.Options{Cert: cert})
		return []mailcheck.Option{mailcheck.WithSMTPProbe(), mailcheck.WithSMTPPort(s.Port)}
	}
	certFor := func(name string) *tls.Certificate { c := ca.Valid(t, name); return &c }
	runScoringRows(t, []scoringRow{
		{name: "an enforce-mode policy covering every MX host earns full MTA-STS points", domain: "stsenforce",
			items: map[string]want{"mtasts.policy": pts(10), "smtp.starttls": notApplicableItem}},
		{name: "a testing-mode policy earns half", domain: "ststesting",
			items: map[string]want{"mtasts.policy": pts(5)}},
		{name: "a policy in mode none earns half", domain: "stsnone",
			items: map[string]want{"mtasts.policy": pts(5)}},
		{name: "a policy served without its _mta-sts record earns half", domain: "stsorphan",
			items: map[string]want{"mtasts.policy": pts(5)}, says: map[string]string{"mtasts.policy": "no _mta-sts record"}},
		{name: "a testing-mode policy with an MX host not covered earns the low points, and no cap", domain: "ststestinggap",
			items: map[string]want{"mtasts.policy": pts(2)}},
		{name: "an enforce-mode policy with an MX host not covered scores 0 and holds the grade at D", domain: "stsenforcegap",
			items: map[string]want{"mtasts.policy": pts(0)},
			caps:  []string{"D: does not cover MX host(s) mx2.stsenforcegap.scoring.example"}, grade: "D"},
		{name: "the probe: STARTTLS with TLS 1.2+ and a certificate for the MX name earns full points", domain: "stsenforce",
			opts:  smtp(certFor("mx.stsenforce.scoring.example")),
			items: map[string]want{"smtp.starttls": pts(10)}},
		{name: "the probe: no STARTTLS scores 0, and under enforce holds the grade at D", domain: "stsenforce",
			opts:  smtp(nil),
			items: map[string]want{"smtp.starttls": pts(0)}, caps: []string{"D: offers no verifiable TLS"}, grade: "D"},
		{name: "the probe: no STARTTLS scores 0 without an enforce-mode policy too, but caps nothing", domain: "ststesting",
			opts:  smtp(nil),
			items: map[string]want{"smtp.starttls": pts(0)}},
		{name: "the probe: a certificate for another name earns half without an enforce-mode policy", domain: "ststesting",
			opts:  smtp(certFor("other.example")),
			items: map[string]want{"smtp.starttls": pts(5)}},
		{name: "the probe: a certificate for another name under enforce scores 0 and holds the grade at D", domain: "stsenforce",
			opts:  smtp(certFor("other.example")),
			items: map[string]want{"smtp.starttls": pts(0)}, caps: []string{"D: offers no verifiable TLS"}, grade: "D"},
		{name: "the probe from a zone file never dials an MX outside loopback: unknown, not insecure", domain: "good",
			opts:  smtp(nil),
			items: map[string]want{"smtp.starttls": unknownItem}},
		{name: "the probe of a domain with a null MX does not apply", domain: "nullmx",
			opts:  smtp(nil),
			items: map[string]want{"smtp.starttls": notApplicableItem}},
	}, mailcheck.WithCAFile(ca.WriteFile(t)), mailcheck.WithHTTPSPort(srv.Listener.Addr().(*net.TCPAddr).Port))
}

// Every SCORING.md row of the DNS hygiene items a zone file can show (DNSSEC needs a
// resolver: TestScoringUnknownItems).
func TestScoringHygieneItems(t *testing.T) {
	runScoringRows(t, []scoringRow{
		{name: "no stray or misplaced record earns full points, and a zone file leaves DNSSEC n/a", domain: "good",
			items: map[string]want{"hygiene.records": pts(10), "hygiene.dnssec": notApplicableItem}},
		{name: "the deprecated ptr mechanism is a warning: half", domain: "spfptr",
			items: map[string]want{"hygiene.records": pts(5)}},
		{name: "an MX host that is a CNAME is a warning: half", domain: "mxcname",
			items: map[string]want{"hygiene.records": pts(5)}},
		{name: "two key records at one DKIM selector are an error: the low points", domain: "dkimtwo",
			items: map[string]want{"hygiene.records": pts(2)}},
	})
}

// Every cap of SCORING.md's caps table, on its domain, with the grade it leaves (the
// MTA-STS caps need a policy server: TestScoringTransportOverLoopback).
func TestScoringCaps(t *testing.T) {
	runScoringRows(t, []scoringRow{
		{name: "a domain that does not exist is held at F", domain: "nosuch",
			items: map[string]want{"mx.records": pts(0)},
			caps:  []string{"F: does not exist", "D: No DMARC record", "D: No SPF record"}, grade: "F"},
		{name: "+all passes every address: F", domain: "plusall", caps: []string{"F: SPF passes every address"}, grade: "F"},
		{name: "an include of ip4:0.0.0.0/0 passes every address: F", domain: "openinclude", caps: []string{"F: SPF passes every address"}, grade: "F"},
		{name: "exists: on a name that always resolves passes every address: F", domain: "existsall", caps: []string{"F: SPF passes every address"}, grade: "F"},
		{name: "an IPv4 network wider than /8 is as open as +all for it: F", domain: "widenet", caps: []string{"F: ip4:0.0.0.0/1"}, grade: "F"},
		{name: "an IPv6 network wider than /16 is as open as +all for it: F", domain: "widenet6", caps: []string{"F: ip6:2000::/3"}, grade: "F"},
		{name: "no DMARC record: D", domain: "nodmarc", caps: []string{"D: No DMARC record"}, grade: "D"},
		{name: "several DMARC records at one name: D", domain: "twodmarc", caps: []string{"D: More than one DMARC record"}, grade: "D"},
		{name: "no SPF record: D", domain: "nospf", caps: []string{"D: No SPF record"}, grade: "D"},
		{name: "SPF permerror: D", domain: "twospf", caps: []string{"D: permerror"}, grade: "D"},
		{name: "p=none: C", domain: "pnone", caps: []string{"C: p=none"}, grade: "C"},
		{name: "p=quarantine with t=y, none under RFC 9989: C", domain: "tquarantine", caps: []string{"C: p=none"}, grade: "C"},
		{name: "p=quarantine with pct=0, none under RFC 7489: C", domain: "pctzero", caps: []string{"C: p=none"}, grade: "C"},
		{name: "only DKIM keys under 1024 bits: C", domain: "key512", caps: []string{"C: shorter than 1024 bits"}, grade: "C"},
		{name: "only revoked DKIM keys: C", domain: "revoked", caps: []string{"C: revoked"}, grade: "C"},
	})
}

// The parked profile's own rules: null MX, v=spf1 -all, no DKIM, no transport.
func TestScoringParkedProfile(t *testing.T) {
	parked := []mailcheck.Option{mailcheck.WithProfile(mailcheck.ProfileParked)}
	runScoringRows(t, []scoringRow{
		{name: "a null MX, v=spf1 -all and DMARC reject earn every point; DKIM and transport do not apply", domain: "parked", opts: parked,
			items: map[string]want{"mx.records": pts(10), "spf.policy": pts(10), "dmarc.policy": pts(10), "dmarc.subdomains": pts(10),
				"dkim.key": notApplicableItem, "dkim.hygiene": notApplicableItem, "mtasts.policy": notApplicableItem, "tlsrpt.record": notApplicableItem},
			grade: "A"},
		{name: "MX hosts on a parked domain earn the low MX points", domain: "good", opts: parked,
			items: map[string]want{"mx.records": pts(2)}},
		{name: "-all that still authorizes senders earns half the policy points", domain: "good", opts: parked,
			items: map[string]want{"spf.policy": pts(5)}},
		{name: "~all on a parked domain earns no policy points", domain: "softfail", opts: parked,
			items: map[string]want{"spf.policy": pts(0)}},
		{name: "a parked domain's short DKIM key neither scores nor caps", domain: "key512", opts: parked,
			items: map[string]want{"dkim.key": notApplicableItem, "dkim.hygiene": notApplicableItem}},
		{name: "without DMARC a parked domain gets the parked record, without rua when it takes no mail", domain: "parkednodmarc", opts: parked,
			items: map[string]want{"dmarc.record": pts(0)}, caps: []string{"D: No DMARC record"},
			says: map[string]string{"dmarc.record": `"v=DMARC1; p=reject; sp=reject; np=reject"`}},
		{name: "without DMARC a parked domain that still takes mail gets the parked record with rua", domain: "nodmarc", opts: parked,
			items: map[string]want{"dmarc.record": pts(0)}, caps: []string{"D: No DMARC record"},
			says: map[string]string{"dmarc.record": `"v=DMARC1; p=reject; sp=reject; np=reject; rua=mailto:dmarc-reports@nodmarc.scoring.example"`}},
	})
}

// The unknown rows: a DNS failure leaves the item in state error — never missing,
// never a cap — and DNSSEC, which mailcheck judges only from its own validation.
func TestScoringUnknownItems(t *testing.T) {
	servfail := func(name string, qtype uint16) func(*dnstest.Server) {
		return func(s *dnstest.Server) { s.SetFault(name, qtype, dnstest.Fault{Rcode: dns.RcodeServerFailure}) }
	}
	runScoringRows(t, []scoringRow{
		{name: "a failed _dmarc lookup leaves every DMARC item unknown, and is not read as no record", domain: "good",
			faults: servfail("_dmarc.good.scoring.example", dns.TypeTXT),
			items:  map[string]want{"dmarc.record": unknownItem, "dmarc.policy": unknownItem, "dmarc.subdomains": unknownItem, "dmarc.reports": unknownItem}},
		{name: "a failed lookup of the report authorization leaves dmarc.reports unknown", domain: "ruaexternal",
			faults: servfail("ruaexternal.scoring.example._report._dmarc.reports.example.net", dns.TypeTXT),
			items:  map[string]want{"dmarc.policy": pts(10), "dmarc.reports": unknownItem}},
		{name: "a failed TXT lookup leaves every SPF item unknown, and is not read as no SPF", domain: "good",
			faults: servfail("good.scoring.example", dns.TypeTXT),
			items:  map[string]want{"spf.record": unknownItem, "spf.policy": unknownItem, "spf.lookups": unknownItem}},
		{name: "a failed lookup of a probed selector leaves dkim.key unknown", domain: "unprobed",
			faults: servfail("mail._domainkey.unprobed.scoring.example", dns.TypeTXT),
			items:  map[string]want{"dkim.key": unknownItem, "dkim.hygiene": notApplicableItem}},
		{name: "a failed MX lookup leaves mx.records and hygiene.records unknown", domain: "good",
			faults: servfail("good.scoring.example", dns.TypeMX),
			items:  map[string]want{"mx.records": unknownItem, "hygiene.records": unknownItem}},
		{name: "under the parked profile a failed MX lookup leaves mx.records unknown, not low", domain: "good",
			opts: []mailcheck.Option{mailcheck.WithProfile(mailcheck.ProfileParked)}, faults: servfail("good.scoring.example", dns.TypeMX),
			items: map[string]want{"mx.records": unknownItem}},
		{name: "a failed PTR lookup leaves mx.ptr unknown", domain: "ptr",
			opts: []mailcheck.Option{mailcheck.WithSendingIPs(netip.MustParseAddr("198.51.100.12"))}, faults: servfail("12.100.51.198.in-addr.arpa", dns.TypePTR),
			items: map[string]want{"mx.ptr": unknownItem}},
		{name: "a failed _mta-sts lookup leaves mtasts.policy unknown", domain: "good",
			faults: servfail("_mta-sts.good.scoring.example", dns.TypeTXT),
			items:  map[string]want{"mtasts.policy": unknownItem}},
		{name: "a failed _smtp._tls lookup leaves tlsrpt.record unknown", domain: "good",
			faults: servfail("_smtp._tls.good.scoring.example", dns.TypeTXT),
			items:  map[string]want{"tlsrpt.record": unknownItem}},
		{name: "an upstream that passes no DNSSEC records leaves hygiene.dnssec n/a, never a penalty (secure, insecure and bogus: TestDNSSECIsScoredFromMailchecksOwnValidation)", domain: "good",
			faults: func(*dnstest.Server) {},
			items:  map[string]want{"hygiene.dnssec": notApplicableItem}, grade: "A"},
	})
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

// Only what changes an item leaves the grade unknown: a probed DKIM selector that
// times out beside the key that was found, or BIMI, which scores nothing.
func TestADNSFailureThatChangesNoItemKeepsTheGrade(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("google._domainkey.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	srv.SetFault("default._bimi.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	rep, err := mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(srv.Resolver(t)))
	require.NoError(t, err)
	assert.True(t, rep.Check("bimi").Incomplete(), "the failure is reported where it happened")
	assert.False(t, rep.Incomplete)
	assert.Equal(t, mailcheck.Grade("A"), rep.Grade)
	assert.Equal(t, rep.ScoreMin, rep.ScoreMax)
}
