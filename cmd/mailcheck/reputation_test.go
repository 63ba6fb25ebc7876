package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkStatus returns the status of one check in a JSON report.
func checkStatus(t *testing.T, report string, id string) string {
	t.Helper()
	var rep struct {
		Checks []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checks"`
	}
	require.NoError(t, json.Unmarshal([]byte(report), &rep))
	for _, c := range rep.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	require.FailNow(t, "no check "+id)
	return ""
}

func TestTheReportLooksUpBlocklistsUnlessToldNot(t *testing.T) {
	code, out, _ := runCLI(t, "--zone", demoZone, "--format", "json", "example.com")
	require.Equal(t, 0, code)
	assert.Equal(t, "pass", checkStatus(t, out, "reputation"), "on by default, answered by the zone (offline)")

	code, out, _ = runCLI(t, "--zone", demoZone, "--format", "json", "--no-reputation", "example.com")
	require.Equal(t, 0, code)
	assert.Equal(t, "skip", checkStatus(t, out, "reputation"))
}

func TestBulkLooksUpBlocklistsOnlyWithReputation(t *testing.T) {
	_, out, _ := runBulk(t, "example.com\n", "--format", "json")
	assert.Equal(t, "skip", checkStatus(t, strings.TrimSpace(out), "reputation"), "off in bulk by default")
	_, out, _ = runBulk(t, "example.com\n", "--format", "json", "--reputation")
	assert.Equal(t, "pass", checkStatus(t, strings.TrimSpace(out), "reputation"))
}
