package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

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
	assert.Regexp(t, `^example\.com +A +95 `, lines[1])
	assert.Regexp(t, `^nodmarc\.example +\? +\d+–95 .*dmarc incomplete`, lines[2], "a failed domain is never listed as A 100")
}
