package mailcheck_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// The round trip: every fix that carries DNS records is applied to its zone as it is,
// the report is made again, and the fix must have done what it says — the finding (or
// the item's shortfall) is gone, no new warning or error appears, and the score does
// not go down. It runs over every zone in testdata/zones and every domain in them.
func TestEveryFixWithRecordsRoundTrips(t *testing.T) {
	zones, err := filepath.Glob("testdata/zones/*.zone")
	require.NoError(t, err)
	require.NotEmpty(t, zones)
	applied := 0
	for _, path := range zones {
		z, err := dnscheck.LoadZoneFile(path)
		require.NoError(t, err)
		for _, domain := range zoneDomains(t, path) {
			for _, profile := range []mailcheck.Profile{mailcheck.ProfileDefault, mailcheck.ProfileParked} {
				before := report(t, z, domain, profile)
				for _, fx := range fixesOf(before) {
					name := fmt.Sprintf("%s/%s/%s/%s", filepath.Base(path), domain, profile, fx.what)
					t.Run(name, func(t *testing.T) {
						changed, err := z.ApplyFixRecords(fx.records)
						require.NoError(t, err, "the fix names a record the zone does not hold: %+v", fx.records)
						after := report(t, changed, domain, profile)
						fx.gone(t, after)
						assert.Empty(t, newProblems(before, after, fx.records), "the fix %+v brings new problems", fx.records)
						assert.GreaterOrEqual(t, after.ScoreMin, before.ScoreMin, "the fix %+v lowers the score", fx.records)
					})
					applied++
				}
			}
		}
	}
	t.Logf("%d fixes applied and re-checked", applied)
}

func report(t *testing.T, z *dnscheck.Zone, domain string, profile mailcheck.Profile) *mailcheck.Report {
	t.Helper()
	rep, err := mailcheck.CheckDomain(context.Background(), domain,
		mailcheck.WithResolver(dnscheck.NewZoneResolver(z)), mailcheck.WithProfile(profile))
	require.NoError(t, err)
	return rep
}

// roundTrip is one fix to apply and what must hold after it.
type roundTrip struct {
	what    string
	records []mailcheck.FixRecord
	gone    func(t *testing.T, after *mailcheck.Report)
}

// fixesOf lists the fixes with records: each finding's, and each item's (the fix the
// report ranks in "fix first").
func fixesOf(rep *mailcheck.Report) []roundTrip {
	var out []roundTrip
	seen := map[string]bool{}
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if len(f.FixRecords) == 0 || f.Incomplete {
				continue
			}
			key := fmt.Sprint(f.FixRecords)
			if seen[key] {
				continue
			}
			seen[key] = true
			f, check := f, c.ID
			out = append(out, roundTrip{what: string(f.Code), records: f.FixRecords, gone: func(t *testing.T, after *mailcheck.Report) {
				// Gone: fewer findings of the code about the same name (a record can have
				// the same problem twice, e.g. two legacy tags, each with its own fix).
				if n, m := countAbout(rep.Check(check), f), countAbout(after.Check(check), f); m >= n {
					t.Errorf("%s is still reported after its fix %+v (%d before, %d after)", f.Code, f.FixRecords, n, m)
				}
			}})
		}
	}
	for _, cat := range rep.Categories {
		for _, it := range cat.Items {
			key := fmt.Sprint(it.FixRecords)
			if len(it.FixRecords) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			it := it
			out = append(out, roundTrip{what: it.ID, records: it.FixRecords, gone: func(t *testing.T, after *mailcheck.Report) {
				got := itemOf(after, it.ID)
				assert.Greater(t, got.Points, it.Points, "item %s earns no more after its fix %+v (%s)", it.ID, it.FixRecords, got.Reason)
			}})
		}
	}
	return out
}

// keptWeakness reports whether code names a weakness of the DMARC record the fix
// publishes that the fix did not bring: the owner's record had it already (it shows
// once the corrected record is read at all), or the fix publishes a first record
// that starts at p=none, the staged first step its prose gives, with the next step.
// A fix never weakens a record: p=none or a missing rua is never introduced into a
// record that had p=quarantine/reject or a rua.
func keptWeakness(code mailcheck.Code, fix []mailcheck.FixRecord) bool {
	for _, r := range fix {
		if !strings.HasPrefix(strings.ToLower(r.Value), "v=dmarc1") {
			continue
		}
		switch code {
		case dmarc.CodePolicyNone:
			if hasTag(r.Value, "p=none") && (r.Action == "publish" || hasTag(r.Replaces, "p=none")) {
				return true
			}
		case dmarc.CodeNoRUA:
			if !hasTag(r.Value, "rua=") && (r.Action == "publish" || !hasTag(r.Replaces, "rua=")) {
				return true
			}
		}
	}
	return false
}

// hasTag reports whether a DMARC record's text holds tag (e.g. "p=none"), ignoring
// case and spaces.
func hasTag(record, tag string) bool {
	norm := strings.ToLower(strings.Join(strings.Fields(record), ""))
	for _, t := range strings.FieldsFunc(norm, func(r rune) bool { return r == ';' }) {
		if strings.HasPrefix(t, tag) {
			return true
		}
	}
	return false
}

func itemOf(rep *mailcheck.Report, id string) mailcheck.Item {
	for _, c := range rep.Categories {
		for _, it := range c.Items {
			if it.ID == id {
				return it
			}
		}
	}
	return mailcheck.Item{}
}

// countAbout counts the check's findings with f's code about f's name.
func countAbout(c *mailcheck.Check, f mailcheck.Finding) int {
	n := 0
	for _, g := range c.Findings {
		if g.Code == f.Code && sameEvidence(f, g) {
			n++
		}
	}
	return n
}

// sameEvidence reports whether two findings are about the same name.
func sameEvidence(a, b mailcheck.Finding) bool {
	if a.Evidence == nil || b.Evidence == nil {
		return true
	}
	return strings.EqualFold(a.Evidence.Name, b.Evidence.Name)
}

// newProblems lists the warnings and errors in after whose code before did not have,
// but for the weaknesses the fix did not bring (keptWeakness).
func newProblems(before, after *mailcheck.Report, fix []mailcheck.FixRecord) []string {
	had := map[mailcheck.Code]bool{}
	for _, c := range before.Checks {
		for _, f := range c.Findings {
			had[f.Code] = true
		}
	}
	var out []string
	for _, c := range after.Checks {
		for _, f := range c.Findings {
			if f.Severity != mailcheck.Info && !had[f.Code] && !keptWeakness(f.Code, fix) {
				out = append(out, string(f.Code)+": "+f.Message)
			}
		}
	}
	return out
}

// zoneDomains lists the mail domains a zone file describes: owner names with an MX or
// an SPF record, and the parents of _dmarc names. Names with a label starting with "_"
// (include targets, key records) are not domains anyone sends from.
func zoneDomains(t *testing.T, path string) []string {
	t.Helper()
	rrs := zoneRecords(t, path)
	var out []string
	add := func(name string) {
		name = strings.TrimSuffix(strings.ToLower(name), ".")
		for _, l := range strings.Split(name, ".") {
			if strings.HasPrefix(l, "_") || l == "" {
				return
			}
		}
		if _, err := dnscheck.NormalizeDomain(name); err == nil && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, rr := range rrs {
		name := rr.Header().Name
		switch rr := rr.(type) {
		case *dns.MX:
			add(name)
		case *dns.TXT:
			if strings.HasPrefix(strings.ToLower(strings.Join(rr.Txt, "")), "v=spf1") {
				add(name)
			}
			if after, ok := strings.CutPrefix(strings.ToLower(name), "_dmarc."); ok {
				add(after)
			}
		}
	}
	return out
}

// zoneRecords reads a master file's records.
func zoneRecords(t *testing.T, path string) []dns.RR {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []dns.RR
	zp := dns.NewZoneParser(f, ".", path)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		out = append(out, rr)
	}
	require.NoError(t, zp.Err())
	return out
}
