package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	demoZone    = "../../testdata/zones/demo.zone"
	scoringZone = "../../testdata/zones/scoring.zone"
)

// assertGoldenJSON compares JSON output with a golden file semantically; -update
// rewrites the file.
func assertGoldenJSON(t *testing.T, golden, out string) {
	t.Helper()
	out = stripRunFields(t, out)
	assert.JSONEq(t, readGolden(t, golden, out), out)
}

// stripRunFields removes what changes from run to run (mailcheck_version and
// checked_at) from a JSON object, so golden files hold only what the checks found.
func stripRunFields(t *testing.T, out string) string {
	t.Helper()
	var v map[string]json.RawMessage
	if json.Unmarshal([]byte(out), &v) != nil {
		return out
	}
	if _, ok := v["checked_at"]; !ok {
		return out
	}
	delete(v, "mailcheck_version")
	delete(v, "checked_at")
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return string(b) + "\n"
}

// assertGolden compares text output with a golden file byte for byte.
func assertGolden(t *testing.T, golden, out string) {
	t.Helper()
	assert.Equal(t, readGolden(t, golden, out), out)
}

func readGolden(t *testing.T, golden, out string) string {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./cmd/mailcheck -update to create it")
	return string(want)
}

// runCLI runs the CLI in-process and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run(append([]string{"mailcheck"}, args...), e)
	return code, out.String(), errOut.String()
}

func TestFlagsWorkBeforeAndAfterTheDomain(t *testing.T) {
	orders := [][]string{
		{"--zone", demoZone, "--format", "json", "mx", "example.com"},
		{"mx", "example.com", "--zone", demoZone, "--format", "json"},
		{"mx", "--format=json", "example.com", "--zone=" + demoZone},
		{"--format", "json", "mx", "--zone", demoZone, "--", "example.com"},
	}
	var first string
	for _, args := range orders {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			require.Equal(t, 0, code, errOut)
			assert.True(t, json.Valid([]byte(out)))
			if first == "" {
				first = out
			}
			assert.JSONEq(t, first, out)
		})
	}
}

func TestExitCodes(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, "slow.test. IN MX 10 mx.slow.test.\nmx.slow.test. IN A 198.51.99.1\n"))
	srv.SetFault("mx.slow.test", dns.TypeAAAA, dnstest.Fault{Drop: true})
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"a healthy domain exits 0", []string{"--zone", demoZone, "mx", "example.com"}, 0, ""},
		{"a failed check exits 1", []string{"--zone", demoZone, "mx", "broken.example"}, 1, ""},
		{"a DNS timeout with no failure exits 3", []string{"--resolver", srv.Addr, "--timeout", "1s", "mx", "slow.test"}, 3, ""},
		{"an unknown flag exits 2", []string{"mx", "--bogus", "example.com"}, 2, "bogus"},
		{"a missing domain exits 2", []string{"--zone", demoZone, "mx"}, 2, "exactly one DOMAIN"},
		{"two domains exit 2", []string{"--zone", demoZone, "mx", "a.example", "b.example"}, 2, "exactly one DOMAIN"},
		{"an IP address as the domain exits 2", []string{"--zone", demoZone, "mx", "192.0.2.1"}, 2, "IP address"},
		{"a label over 63 octets exits 2", []string{"--zone", demoZone, "mx", strings.Repeat("x", 64) + ".com"}, 2, "63"},
		{"a name over 253 octets exits 2", []string{"--zone", demoZone, "mx", strings.Repeat("abcdefghi.", 26) + "com"}, 2, "253"},
		{"an empty domain exits 2", []string{"--zone", demoZone, "mx", ""}, 2, "empty"},
		{"invalid characters exit 2", []string{"--zone", demoZone, "mx", "exa_mple!.com"}, 2, "not allowed"},
		{"an unreadable zone file exits 2", []string{"--zone", "no/such/file.zone", "mx", "example.com"}, 2, "no such file"},
		{"a bad format exits 2", []string{"--zone", demoZone, "--format", "xml", "mx", "example.com"}, 2, "text or json"},
		{"an unknown command exits 2", []string{"frobnicate", "example.com"}, 2, "unknown command"},
		{"no arguments show help and exit 2", nil, 2, ""},
		{"--help exits 0", []string{"--help"}, 0, ""},
		{"--version exits 0", []string{"--version"}, 0, ""},
		{"a command's --help exits 0", []string{"mx", "--help"}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			assert.Contains(t, errOut, tc.stderr)
			assert.NotContains(t, errOut, "goroutine", "no stack trace")
			if tc.code == 2 && tc.stderr != "" {
				assert.Equal(t, 1, strings.Count(errOut, "\n"), "usage errors are one line")
			}
		})
	}
}

func TestBadZoneFileNamesTheLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.zone")
	require.NoError(t, os.WriteFile(bad, []byte("ok.test. IN A 192.0.2.1\n\nbad.test. IN MX notanumber mx.test.\n"), 0o644))
	code, _, errOut := runCLI(t, "--zone", bad, "mx", "ok.test")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "line 3")
}

func TestHelpTeaches(t *testing.T) {
	_, out, _ := runCLI(t, "--help")
	for _, want := range []string{"mx", "--zone", "--resolver", "--format", "--no-color", "Exit codes", "3 no failure found"} {
		assert.Contains(t, out, want)
	}
	_, out, _ = runCLI(t, "mx", "--help")
	assert.Contains(t, out, "RFC 7505")
}

func TestUnicodeDomainShownInBothForms(t *testing.T) {
	zone := filepath.Join(t.TempDir(), "idn.zone")
	require.NoError(t, os.WriteFile(zone, []byte("xn--bcher-kva.example. IN MX 0 .\n"), 0o644))
	code, out, errOut := runCLI(t, "--zone", zone, "mx", "bücher.example")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "xn--bcher-kva.example (bücher.example)")
	_, out, _ = runCLI(t, "--zone", zone, "--format", "json", "mx", "bücher.example")
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, "xn--bcher-kva.example", v["domain"])
	assert.Equal(t, "bücher.example", v["domain_unicode"])
}

func TestColourOnlyOnATerminal(t *testing.T) {
	run1 := func(terminal bool, noColor string, args ...string) string {
		var out bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, terminal: terminal,
			getenv: func(k string) string {
				if k == "NO_COLOR" {
					return noColor
				}
				return ""
			}}
		run(append([]string{"mailcheck", "--zone", demoZone, "mx", "broken.example"}, args...), e)
		return out.String()
	}
	assert.Contains(t, run1(true, ""), "\x1b[")
	assert.NotContains(t, run1(false, ""), "\x1b[", "not a terminal")
	assert.NotContains(t, run1(true, "1"), "\x1b[", "NO_COLOR")
	assert.NotContains(t, run1(true, "", "--no-color"), "\x1b[", "--no-color")
}

func TestCleanEscapesWhatCouldDriveATerminal(t *testing.T) {
	tests := map[string]string{
		"plain text stays":             "v=spf1 -all",
		"escape sequence":              "red \x1b[31mtext",
		"carriage return":              "over\rwrite",
		"bell and NUL":                 "\a\x00",
		"C1 control":                   "a\u009bb",
		"right-to-left override":       "invoice\u202efdp.exe",
		"zero-width space":             "ex\u200bample",
		"invalid UTF-8":                "bad\xff\xfe",
		"non-ASCII letters stay as is": "bücher",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			out := clean(in)
			for _, r := range out {
				assert.False(t, unsafeRune(r), "%q survived in %q", r, out)
			}
			assert.True(t, strings.ToValidUTF8(out, "") == out)
		})
	}
	assert.Equal(t, `red \x1b[31mtext`, clean("red \x1b[31mtext"))
	assert.Equal(t, `invoice\u202efdp.exe`, clean("invoice\u202efdp.exe"))
	assert.Equal(t, "bücher", clean("bücher"))
}

// The JSON of `mailcheck mx` is the documented schema; the golden file shows it.
func TestMXJSONGolden(t *testing.T) {
	for _, domain := range []string{"example.com", "broken.example", "parked.example"} {
		t.Run(domain, func(t *testing.T) {
			_, out, errOut := runCLI(t, "--zone", demoZone, "--format", "json", "mx", domain)
			require.True(t, json.Valid([]byte(out)), errOut)
			assertGoldenJSON(t, filepath.Join("testdata", "mx-"+domain+".json"), out)
		})
	}
}

// TXT records full of terminal escapes must never reach the terminal raw.
func TestHostileDNSDataIsEscaped(t *testing.T) {
	const zone = "../../testdata/zones/hostile.zone"
	for _, cmd := range [][]string{{}, {"spf"}, {"dmarc"}, {"dkim"}, {"mx"}} {
		t.Run(strings.Join(append([]string{"mailcheck"}, cmd...), " "), func(t *testing.T) {
			args := append([]string{"--zone", zone}, cmd...)
			_, out, errOut := runCLI(t, append(args, "hostile.example")...)
			require.NotEmpty(t, out, errOut)
			for i, r := range out + errOut {
				if r != '\n' && unsafeRune(r) {
					t.Fatalf("raw %U at offset %d of the output", r, i)
				}
			}
			if len(cmd) == 0 || cmd[0] == "spf" || cmd[0] == "dmarc" { // these print the records
				assert.Contains(t, out, `\x1b`, "the escape is shown, escaped")
			}
		})
	}
}

func TestABadResolverIsAUsageErrorBeforeAnyQuery(t *testing.T) {
	// A server that logs what it is asked: a good --resolver beside a bad one must
	// not be asked anything.
	srv := dnstest.Start(t, dnstest.Zone(t, "example.com. IN MX 10 mx.example.com.\n"))
	domains := filepath.Join(t.TempDir(), "domains.txt")
	require.NoError(t, os.WriteFile(domains, []byte("example.com\n"), 0o644))
	tests := []struct {
		name, resolver, want string
	}{
		{"a host name", "foo", `"foo" is not an IP address`},
		{"a port out of range", "127.0.0.1:99999", `port "99999" is not a number from 1 to 65535`},
		{"an empty host", ":53", "no IP address"},
		{"a non-numeric port", "127.0.0.1:domain", `port "domain"`},
	}
	for _, tc := range tests {
		for _, cmd := range [][]string{{"example.com"}, {"mx", "example.com"}, {"spf", "example.com"}, {"dmarc", "example.com"},
			{"dkim", "example.com"}, {"bulk", domains}} {
			t.Run(tc.name+" exits 2 from "+cmd[0], func(t *testing.T) {
				args := append([]string{"--resolver", srv.Addr, "--resolver", tc.resolver}, cmd...)
				code, out, errOut := runCLI(t, args...)
				assert.Equal(t, 2, code, errOut)
				assert.Empty(t, out)
				assert.Contains(t, errOut, "--resolver")
				assert.Contains(t, errOut, tc.want, "the message names the bad value")
				assert.Equal(t, 1, strings.Count(errOut, "\n"), "one line")
				assert.Empty(t, srv.Log(), "nothing was asked")
			})
		}
	}
}

// An executable given as --zone (the binary itself, say) gets one line saying what it
// is, not kilobytes of its escaped bytes as a "bad TTL".
func TestAnExecutableAsZoneIsOneLine(t *testing.T) {
	self, err := os.Executable() // the test binary: a real executable on this platform
	require.NoError(t, err)
	code, out, errOut := runCLI(t, "--zone", self, "example.com")
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Equal(t, "mailcheck: "+self+" is not a zone file: it looks like binary data (an executable?)\n", errOut)
}
