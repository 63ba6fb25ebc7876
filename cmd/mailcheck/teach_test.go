package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorsSayWhatToTypeInstead(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a flag typo gets a suggestion", []string{"--fromat", "json", "example.com"}, 2, "did you mean --format?"},
		{"a typo in a command's flag too", []string{"spf", "--zone", demoZone, "--sendr", "a@example.com", "example.com"}, 2, "did you mean --sender?"},
		{"a duration without its unit", []string{"--timeout", "5", "example.com"}, 2, "write a duration with its unit, e.g. 5s"},
		{"a top-level domain", []string{"--zone", demoZone, "com"}, 2, `"com" is a top-level domain; give your domain under it`},
		{"words with spaces", []string{"--zone", demoZone, "not a domain"}, 2, "contains a space"},
		{"a flag no command has", []string{"--zone", demoZone, "--frobnicate", "example.com"}, 2, "unknown flag --frobnicate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code)
			assert.Contains(t, errOut, tc.want)
			assert.NotContains(t, errOut, "dnscheck:", "internal prefixes never reach the user")
			assert.Equal(t, 1, strings.Count(errOut, "mailcheck:"), "one prefix: %q", errOut)
		})
	}
}

func TestAPastedURLOrAddressIsTakenForItsDomain(t *testing.T) {
	for _, arg := range []string{"https://example.com/path?x=1", "postmaster@example.com"} {
		code, out, errOut := runCLI(t, "--zone", demoZone, arg)
		assert.Equal(t, 0, code, errOut)
		assert.Contains(t, errOut, "checking its domain, example.com")
		assert.True(t, strings.HasPrefix(out, "example.com  grade A"), out)
	}
}

func TestQuietPrintsNothingButKeepsTheExitCode(t *testing.T) {
	code, out, _ := runCLI(t, "--quiet", "--zone", demoZone, "nodmarc.example")
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	code, out, _ = runCLI(t, "-q", "--zone", demoZone, "example.com")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
}

func TestCompletionAndManualAreGeneratedFromTheFlags(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCLI(t, "completion", shell)
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "mailcheck", shell)
	}
	_, fish, _ := runCLI(t, "completion", "fish")
	assert.Contains(t, fish, "min-score", "fish completion lists the flags")
	code, _, _ := runCLI(t, "completion", "tcsh")
	assert.Equal(t, 2, code)

	code, man, _ := runCLI(t, "man")
	require.Equal(t, 0, code)
	assert.Contains(t, man, ".TH")
	assert.Contains(t, man, "trust-anchor")

}

func TestEditDistanceCountsATranspositionAsOneTypo(t *testing.T) {
	assert.Equal(t, 1, editDistance("fromat", "format"))
	assert.Equal(t, 0, editDistance("zone", "zone"))
	assert.Equal(t, 3, editDistance("", "abc"))
	assert.Equal(t, "", nearest("xyz", []string{"format", "zone"}))
}

func TestMistakesThatUsedToConfuseGetASentence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a report flag given to another command", []string{"mx", "--profile", "parked", "example.com"}, "--profile belongs to the full report"},
		{"--sender without --ip", []string{"spf", "--zone", demoZone, "--sender", "a@example.com", "example.com"}, "give the address with --ip"},
		{"a directory as the message", []string{"message", t.TempDir()}, "is a directory; give a message file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, errOut, tc.want)
			assert.Equal(t, 1, strings.Count(errOut, "mailcheck:"), "one prefix: %q", errOut)
		})
	}
}

func TestHelpKeepsTheReportsFlagsApartFromTheGlobalOnes(t *testing.T) {
	_, out, _ := runCLI(t, "--help")
	_, options, ok := strings.Cut(out, "GLOBAL OPTIONS:")
	require.True(t, ok, out)
	global, report, found := strings.Cut(options, "The full report (mailcheck DOMAIN")
	require.True(t, found, out)
	assert.Contains(t, global, "--zone")
	assert.NotContains(t, global, "--profile", "a report flag is not listed as global")
	assert.Contains(t, report, "--profile")
	assert.Contains(t, report, "--min-score")
}
