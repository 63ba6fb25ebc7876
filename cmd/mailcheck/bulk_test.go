package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runBulk(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(input), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(append([]string{"mailcheck", "bulk", "-", "--zone", demoZone}, args...), e)
	return code, out.String(), errOut.String()
}

func TestBulkPrintsOneLinePerDomainInOrder(t *testing.T) {
	code, out, errOut := runBulk(t, "# list\nexample.com\n\nhosted.example,owner@example.com\nnodmarc.example\n")
	assert.Equal(t, 1, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	assert.True(t, strings.HasPrefix(lines[1], "example.com "))
	assert.True(t, strings.HasPrefix(lines[2], "hosted.example "))
	assert.Contains(t, lines[3], "dmarc fails")
}

func TestBulkJSONLines(t *testing.T) {
	code, out, _ := runBulk(t, "example.com\nexa mple.com\n", "--format", "json", "--concurrency", "2")
	assert.Equal(t, 1, code, "a name that cannot be checked makes the run fail")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	assert.Equal(t, "A", first["grade"])
	assert.Equal(t, "exa mple.com", second["domain"])
	assert.Contains(t, second["error"], "contains a space")
}

func TestBulkExitCodes(t *testing.T) {
	code, _, _ := runBulk(t, "example.com\nhosted.example\n")
	assert.Equal(t, 0, code)
	code, _, errOut := runBulk(t, "example.com\n", "--concurrency", "0")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--concurrency")
}

func TestBulkShowsAnUnknownGradeAndTheScoreRange(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.nodmarc.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader("example.com\nnodmarc.example\n"), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run([]string{"mailcheck", "bulk", "-", "--resolver", srv.Addr}, e)
	assert.Equal(t, 3, code, errOut.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^example\.com +A +96 `, lines[1])
	assert.Regexp(t, `^nodmarc\.example +\? +\d+–96 .*dmarc incomplete`, lines[2], "a failed domain is never listed as A 100")
}

func runBulkEnv(t *testing.T, e *env, args ...string) int {
	t.Helper()
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	return run(append([]string{"mailcheck", "bulk"}, args...), e)
}

// csvDomains returns the domain column of --format csv output, header left out.
func csvDomains(t *testing.T, out string) []string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	require.Equal(t, "domain", rows[0][0])
	var ds []string
	for _, r := range rows[1:] {
		ds = append(ds, r[0])
	}
	return ds
}

func TestBulkShardsPartitionTheInputExactly(t *testing.T) {
	var in strings.Builder
	var want []string
	for i := range 60 {
		d := fmt.Sprintf("d%d.example", i)
		fmt.Fprintf(&in, "%s\n", d)
		want = append(want, d)
	}
	in.WriteString("not a domain\n")
	want = append(want, "not a domain")
	seen := map[string]int{}
	const n = 4
	for i := range n {
		_, out, errOut := runBulk(t, in.String(), "--format", "csv", "--shard", fmt.Sprintf("%d/%d", i, n))
		ds := csvDomains(t, out)
		assert.NotEmpty(t, ds, "shard %d of %d gets some of 61 lines: %s", i, n, errOut)
		for _, d := range ds {
			seen[d]++
		}
	}
	for _, d := range want {
		assert.Equal(t, 1, seen[d], "%s is in exactly one shard", d)
	}
	assert.Len(t, seen, len(want))

	code, _, errOut := runBulk(t, "example.com\n", "--shard", "4/4")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--shard")
}

func TestBulkResumeSkipsFinishedDomains(t *testing.T) {
	out := filepath.Join(t.TempDir(), "reports.jsonl")
	code, _, errOut := runBulk(t, "example.com\nhosted.example\n", "--format", "json", "--output", out)
	require.Equal(t, 0, code, errOut)
	// A crash in the middle of a record leaves half a line: it is dropped, not kept.
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"domain":"nodmarc.example","sco`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	code, stdout, errOut := runBulk(t, "example.com\nhosted.example\nnodmarc.example\nweakdkim.example\n",
		"--format", "json", "--output", out, "--resume")
	assert.Equal(t, 1, code, errOut)
	assert.Empty(t, stdout, "the records go to --output")
	assert.Contains(t, errOut, "2 domains in", "only the two not yet in the output are checked")
	assert.Contains(t, errOut, "2 already in the output")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var domains []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var rec struct{ Domain string }
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		domains = append(domains, rec.Domain)
	}
	assert.Equal(t, []string{"example.com", "hosted.example", "nodmarc.example", "weakdkim.example"}, domains)

	code, _, errOut = runBulk(t, "example.com\n", "--resume")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--output")
}

func TestBulkReadsACSVHeader(t *testing.T) {
	in := "owner,Domain,selector,ip\n" +
		"\"Example, Inc.\",example.com,\"s1 s2\",192.0.2.1\n" +
		"# a comment\n" +
		"someone,\"hosted.example\",,\n"
	code, out, errOut := runBulk(t, in, "--format", "json")
	assert.Equal(t, 1, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, "the header is not a domain")
	var first, second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	assert.Equal(t, "example.com", first["domain"])
	assert.Equal(t, "hosted.example", second["domain"])
	assert.Contains(t, lines[0], `"s1"`, "the selector column is looked up")
	assert.Contains(t, lines[0], "192.0.2.1", "the ip column is the sending IP")
	assert.NotContains(t, lines[1], `"s1"`, "a row's selector is its own")
}

func TestBulkABadLineIsAnErrorRecord(t *testing.T) {
	in := "domain,ip\nexample.com,\n\"unterminated,\nhosted.example,not-an-ip\nexa mple.com,\nnodmarc.example,\n"
	code, out, errOut := runBulk(t, in, "--format", "csv")
	assert.Equal(t, 1, code, errOut)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 6, "a record per line, header included")
	assert.Equal(t, "example.com", rows[1][0])
	assert.Contains(t, rows[2][9], "line 3: not a CSV row")
	assert.Contains(t, rows[3][9], `line 4: ip "not-an-ip"`)
	assert.Contains(t, rows[4][9], "line 5:")
	assert.Equal(t, "nodmarc.example", rows[5][0], "the run goes on after bad lines")
	assert.Equal(t, "D", rows[5][1])
}

func TestBulkChecksADuplicateOnce(t *testing.T) {
	code, out, errOut := runBulk(t, "example.com\nEXAMPLE.com.\nhosted.example\nexample.com\n", "--format", "csv")
	assert.Equal(t, 0, code, errOut)
	assert.Equal(t, []string{"example.com", "hosted.example"}, csvDomains(t, out))
	assert.Contains(t, errOut, "2 duplicates skipped")
}

func TestBulkATimeoutDoesNotStopTheRun(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("nodmarc.example", 0, dnstest.Fault{Drop: true})
	srv.SetFault("_dmarc.nodmarc.example", 0, dnstest.Fault{Drop: true})
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader("example.com\nnodmarc.example\nhosted.example\n"), stdout: &out, stderr: &errOut}
	code := runBulkEnv(t, e, "-", "--resolver", srv.Addr, "--timeout", "300ms", "--format", "csv", "--concurrency", "1")
	assert.Equal(t, 3, code, errOut.String())
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, []string{"nodmarc.example", "?", "true"}, []string{rows[2][0], rows[2][1], rows[2][5]})
	assert.Equal(t, "hosted.example", rows[3][0])
	assert.Equal(t, "false", rows[3][5], "the domain after the timeout is checked in full")
	assert.Contains(t, errOut.String(), "1 incomplete")
}

// cancelAfter hands out first, then cancels the run before handing out the rest, as
// Ctrl-C in the middle of reading a long list does.
type cancelAfter struct {
	first, rest string
	cancel      func()
	calls       int
}

func (r *cancelAfter) Read(p []byte) (int, error) {
	r.calls++
	switch r.calls {
	case 1:
		return copy(p, r.first), nil
	case 2:
		r.cancel()
		return copy(p, r.rest), nil
	}
	return 0, io.EOF
}

func TestBulkCancellationFinishesTheLinesInFlightAndFlushes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := &cancelAfter{first: "example.com\nhosted.example\nnodmarc.example\n", rest: "weakdkim.example\nspflimit.example\n", cancel: cancel}
	path := filepath.Join(t.TempDir(), "out.csv")
	var out, errOut bytes.Buffer
	e := &env{stdin: in, stdout: &out, stderr: &errOut, ctx: ctx}
	code := runBulkEnv(t, e, "-", "--zone", demoZone, "--format", "csv", "--output", path)
	assert.Equal(t, exitInterrupted, code, errOut.String())
	assert.Contains(t, errOut.String(), "interrupted: 3 domains written")
	assert.Contains(t, errOut.String(), "--resume")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, []string{"example.com", "hosted.example", "nodmarc.example"}, csvDomains(t, string(b)),
		"the lines read before the interrupt are checked and written; none after")
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	for _, r := range rows[1:] {
		assert.Equal(t, "false", r[5], "%s was finished, not cut short", r[0])
	}
}

func TestBulkMinScoreIsPerDomain(t *testing.T) {
	code, _, errOut := runBulk(t, "example.com\nhosted.example\n", "--min-score", "90")
	assert.Equal(t, 1, code, "hosted.example scores below 90")
	assert.Contains(t, errOut, "below --min-score 90: 1 surely")
	code, _, _ = runBulk(t, "example.com\n", "--min-score", "90")
	assert.Equal(t, 0, code)

	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	var out, errBuf bytes.Buffer
	e := &env{stdin: strings.NewReader("example.com\n"), stdout: &out, stderr: &errBuf}
	code = runBulkEnv(t, e, "-", "--resolver", srv.Addr, "--min-score", "50")
	assert.Equal(t, 3, code, "only the low end of the range is below 50: %s", out.String())
}

func TestBulkSummaryCountsGradesAndFindings(t *testing.T) {
	_, _, errOut := runBulk(t, "example.com\nnodmarc.example\nhosted.example\n")
	assert.Contains(t, errOut, "3 domains in")
	assert.Regexp(t, `grades: A 1, B 1, D 1`, errOut)
	assert.Regexp(t, `\d+  dmarc\.missing`, errOut)
}

func TestBulkProgressLine(t *testing.T) {
	st := &bulkStats{start: time.Unix(1000, 0), total: 100}
	st.done.Store(25)
	st.failed.Store(2)
	st.unknown.Store(1)
	got := st.progress(time.Unix(1010, 0))
	assert.Equal(t, "25/100 · 2.5/s · ETA 30s · 2 failed · 1 incomplete", got)
	st.total = -1
	assert.Equal(t, "25 done · 2.5/s · 2 failed · 1 incomplete", st.progress(time.Unix(1010, 0)))
}

func TestBulkNoSelectorProbeLooksUpOnlyTheKnownSelectors(t *testing.T) {
	probed := func(args ...string) map[string]float64 {
		t.Helper()
		_, out, errOut := runBulk(t, "domain,selector\nexample.com,s1\nhosted.example,\n", append([]string{"--format", "json"}, args...)...)
		got := map[string]float64{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var rep struct {
				Domain string
				Checks []struct {
					ID      string
					Details struct{ Probed float64 }
				}
			}
			require.NoError(t, json.Unmarshal([]byte(l), &rep), errOut)
			for _, c := range rep.Checks {
				if c.ID == "dkim" {
					got[rep.Domain] = c.Details.Probed
				}
			}
		}
		return got
	}
	on := probed()
	assert.Greater(t, on["example.com"], 0.0, "probed by default")
	off := probed("--no-selector-probe")
	assert.Zero(t, off["example.com"], "a domain with a known selector is not probed")
	assert.Equal(t, on["hosted.example"], off["hosted.example"], "a domain with no known selector still is")
	assert.Greater(t, off["hosted.example"], 0.0)
	all := probed("--no-selector-probe", "--selector", "s1")
	assert.Zero(t, all["hosted.example"], "--selector makes every domain's selector known")
}
