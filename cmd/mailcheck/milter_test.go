package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMilterUsageErrorsNameTheFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--on-dns-error", "hold"}, `--on-dns-error: "hold" is not an action for dns problems (one of: tempfail, tag, accept)`},
		{[]string{"--on-attachment", "bounce"}, `--on-attachment: "bounce" is not an action for attachment problems`},
		{[]string{"--ip", "mx.example.com"}, `--ip "mx.example.com" is neither an IP address nor "client"`},
		{[]string{"--headers", "authres,received"}, `--headers: "received" is not a field`},
		{[]string{"--max-size", "10MB"}, `--max-size: "10MB" is not a size`},
		{[]string{"--max-concurrent", "0"}, `--max-concurrent must be at least 1`},
		{[]string{"--listen", "127.0.0.1:8891"}, `--listen: socket "127.0.0.1:8891": unknown kind "127.0.0.1" (inet, inet6 or unix)`},
		{[]string{"--format", "csv"}, `--format must be text (logfmt lines) or json for the milter's log`},
		{[]string{"extra"}, `milter takes no arguments`},
	} {
		code, _, stderr := runCLI(t, append([]string{"milter", "--zone", "../../testdata/zones/demo.zone"}, tc.args...)...)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Contains(t, stderr, tc.msg, tc.args)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1000": 1000, "64M": 64 << 20, "512k": 512 << 10, "1G": 1 << 30} {
		n, err := parseSize(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, n, in)
	}
	for _, in := range []string{"", "M", "-5", "0", "1.5M", "99999999999G"} {
		_, err := parseSize(in)
		assert.Error(t, err, in)
	}
}
