package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportIsTheDefaultAction(t *testing.T) {
	orders := [][]string{
		{"--zone", demoZone, "--format", "json", "example.com"},
		{"example.com", "--zone", demoZone, "--format", "json"},
		{"check", "example.com", "--format=json", "--zone", demoZone},
		{"--format", "json", "check", "--zone", demoZone, "example.com"},
	}
	var first map[string]any
	for _, args := range orders {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			require.Equal(t, 0, code, errOut)
			var rep map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &rep))
			delete(rep, "elapsed_ms")
			delete(rep, "checked_at") // may cross a second between runs
			if first == nil {
				first = rep
			}
			assert.Equal(t, first, rep)
			assert.Equal(t, "A", rep["grade"])
		})
	}
}

// The report's JSON carries every documented top-level field.
func TestReportJSONSchema(t *testing.T) {
	_, out, _ := runCLI(t, "--zone", demoZone, "--format", "json", "--profile", "bulk-sender", "hosted.example")
	var rep map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, field := range []string{"domain", "score", "grade", "scoring_version", "profile", "incomplete", "caps",
		"categories", "checks", "fix_first", "checklist", "queries", "elapsed_ms", "mailcheck_version", "checked_at"} {
		assert.Contains(t, rep, field)
	}
	var checks []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(rep["checks"], &checks))
	require.Len(t, checks, 12) // mx spf dmarc dkim mtasts tlsrpt smtp reputation dane bimi dnssec ptr
	for _, c := range checks {
		for _, field := range []string{"id", "status", "summary", "findings", "points"} {
			assert.Contains(t, c, field)
		}
	}
}

func TestReportExitCodes(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.example.com", dns.TypeTXT, dnstest.Fault{Drop: true})
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"a grade-A domain exits 0", []string{"--zone", demoZone, "example.com"}, 0},
		{"a failing domain exits 1", []string{"--zone", demoZone, "nodmarc.example"}, 1},
		{"one record timing out exits 3", []string{"--resolver", srv.Addr, "example.com"}, 3},
		{"a score under --min-score exits 1", []string{"--zone", demoZone, "--min-score", "95", "hosted.example"}, 1},
		{"a score at --min-score exits 0", []string{"--zone", demoZone, "--min-score", "88", "hosted.example"}, 0},
		{"an unknown profile exits 2", []string{"--zone", demoZone, "--profile", "spammer", "example.com"}, 2},
		{"a bad --ip exits 2", []string{"--zone", demoZone, "--ip", "300.1.1.1", "example.com"}, 2},
		{"the parked profile on a parked domain exits 0", []string{"--zone", demoZone, "--profile", "parked", "parked.example"}, 0},
		{"--min-score above 100 is a usage error", []string{"--zone", demoZone, "--min-score", "101", "example.com"}, 2},
		{"a score range reaching --min-score is unknown: exit 3", []string{"--resolver", srv.Addr, "--min-score", "95", "example.com"}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
		})
	}
}

func TestReportTextShowsGradeFactsAndFixes(t *testing.T) {
	code, out, _ := runCLI(t, "--zone", demoZone, "spflimit.example")
	assert.Equal(t, 1, code)
	for _, want := range []string{
		"spflimit.example  grade D", "Grade held at D or lower", "DMARC", "SPF", "DKIM", "MX and transport", "DNS hygiene",
		"receivers stop here", "spf.lookup-limit", "fix:", "Fix first",
	} {
		assert.Contains(t, out, want)
	}
	for i, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "v=spf1") || strings.Contains(line, "v=DMARC1") || strings.Contains(line, "walked") ||
			strings.Contains(line, "RFC 9989") || strings.Contains(line, "RFC 7489") || strings.Contains(line, "receivers stop here") {
			continue // records are printed whole, not wrapped
		}
		assert.LessOrEqual(t, len([]rune(line)), 100, "line %d is too wide: %q", i+1, line)
	}
}

func TestAnIncompleteReportShowsNoGradeAndTheScoreRange(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.nodmarc.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	code, out, _ := runCLI(t, "--resolver", srv.Addr, "--min-score", "60", "nodmarc.example")
	assert.Equal(t, 3, code, "the range reaches 60: whether it is below is unknown")
	first := strings.SplitN(out, "\n", 2)[0]
	assert.Regexp(t, `^nodmarc\.example  grade \?  score \d+–97/100$`, first)
	assert.Contains(t, out, "INCOMPLETE")

	code, out, _ = runCLI(t, "--resolver", srv.Addr, "--format", "json", "nodmarc.example")
	assert.Equal(t, 3, code)
	var rep struct {
		Grade      *string `json:"grade"`
		ScoreMin   int     `json:"score_min"`
		ScoreMax   int     `json:"score_max"`
		Incomplete bool    `json:"incomplete"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Nil(t, rep.Grade, "grade is null")
	assert.True(t, rep.Incomplete)
	assert.Equal(t, 97, rep.ScoreMax, "no MTA-STS and no TLS-RPT: half of two of the seven MX and transport items")
	assert.Less(t, rep.ScoreMin, rep.ScoreMax)

	srv.SetFault("_dmarc.spflimit.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	code, _, errOut := runCLI(t, "--resolver", srv.Addr, "--min-score", "90", "spflimit.example")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "is below --min-score 90", "even with DMARC full, the score stays under 90")
}

func TestReportTextGolden(t *testing.T) {
	for _, domain := range []string{"example.com", "weakdkim.example"} {
		t.Run(domain, func(t *testing.T) {
			_, out, _ := runCLI(t, "--zone", demoZone, domain)
			out = stripElapsed(out)
			assertGolden(t, filepath.Join("testdata", "report-"+domain+".txt"), out)
		})
	}
}

// stripElapsed blanks the one line that changes from run to run.
func stripElapsed(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "profile ") && strings.HasSuffix(l, " ms") {
			lines[i] = l[:strings.LastIndex(l, "·")] + "· (elapsed)"
		}
	}
	return strings.Join(lines, "\n")
}

func TestProseWrapsAtTheWidthButRecordsStayWhole(t *testing.T) {
	var out strings.Builder
	p := &printer{w: &out, width: 40}
	rec := `"v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"`
	p.wrapped("  ", "fix: Replace the record with "+rec+" and wait for the TTL to pass before checking again.")
	p.fixRecords("  ", []mailcheck.FixRecord{{Action: "replace", Name: "_dmarc.example.com", Type: "TXT",
		Replaces: "v=DMARC1; p=rejected", Value: "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"}})
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	found := false
	for _, l := range lines {
		if !strings.Contains(l, "v=DMARC1") {
			assert.LessOrEqual(t, len([]rune(l)), 40, "prose wraps at the width: %q", l)
			continue
		}
		assert.True(t, strings.Contains(l, rec) || strings.Contains(l, `"v=DMARC1; p=rejected"`), "a record is never broken: %q", l)
		found = found || strings.Contains(l, "with: _dmarc.example.com. TXT "+rec)
	}
	assert.True(t, found, "the corrected record is printed whole, in master-file form:\n%s", out.String())
}

func TestWidthComesFromCOLUMNSWhenNotATerminal(t *testing.T) {
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut,
		getenv: func(k string) string { return map[string]string{"COLUMNS": "200"}[k] }}
	run([]string{"mailcheck", "--zone", demoZone, "spflimit.example"}, e)
	wide := false
	for _, l := range strings.Split(out.String(), "\n") {
		wide = wide || len([]rune(l)) > 100 && strings.Contains(l, "fix:")
	}
	assert.True(t, wide, "with COLUMNS=200 a fix is not wrapped at 80")
}
