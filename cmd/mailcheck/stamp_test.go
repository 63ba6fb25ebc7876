package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Stored reports can be compared: the domain report and the message report say which
// mailcheck made them and when, in UTC.
func TestReportsCarryTheVersionAndTheTime(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"the domain report", []string{"--zone", demoZone, "--format", "json", "example.com"}},
		{"the message report", []string{"--zone", rfc8463Zone, "--format", "json", "message", signedMessage}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			_, out, errOut := runCLI(t, tt.args...)
			var rep struct {
				Version   string `json:"mailcheck_version"`
				CheckedAt string `json:"checked_at"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &rep), errOut)
			assert.Equal(t, mailcheck.Version(), rep.Version)
			assert.NotEmpty(t, rep.Version)
			at, err := time.Parse(time.RFC3339, rep.CheckedAt)
			require.NoError(t, err, "checked_at is RFC 3339: %q", rep.CheckedAt)
			assert.True(t, strings.HasSuffix(rep.CheckedAt, "Z"), "checked_at is UTC: %q", rep.CheckedAt)
			assert.WithinRange(t, at, before, time.Now())
		})
	}
}
