package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dkimZone = "../../testdata/zones/dkim-demo.zone"

func TestDKIMCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"keys found by probing are listed with their provider and CNAME", []string{"dkim", "example.com"}, 0,
			[]string{"DKIM  example.com  PASS", "selector1  RSA 2048  (usual for Microsoft 365)  → selector1-example-com._domainkey.example.onmicrosoft.com", "google  RSA 2048", "probed 29 common selectors"}},
		{"bad keys fail with their findings", []string{"dkim", "broken.example"}, 1,
			[]string{"FAIL", "mail  RSA 512  t=y", "dkim.key-weak", "dkim.key-sha1-only", "dkim.key-short", "fix:"}},
		{"selectors given are reported even when missing", []string{"dkim", "broken.example", "--selector", "old", "--selector", "nope"}, 1,
			[]string{"old  revoked", "nope  missing (NXDOMAIN)", "dkim.key-missing"}},
		{"no key found is an inconclusive warning, exit 0", []string{"dkim", "nokeys.example"}, 0,
			[]string{"WARN", "dkim.no-selector-found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"--zone", dkimZone}, tt.args...)...)
			assert.Equal(t, tt.code, code, errOut)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestDKIMCommandRejectsBadSelectors(t *testing.T) {
	code, _, errOut := runCLI(t, "--zone", dkimZone, "dkim", "example.com", "--selector", "a..b")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "invalid selector")
}

// The JSON of `mailcheck dkim` is the check object; the golden files show its shape.
func TestDKIMJSONGolden(t *testing.T) {
	for _, domain := range []string{"example.com", "broken.example", "nokeys.example"} {
		t.Run(domain, func(t *testing.T) {
			_, out, errOut := runCLI(t, "--zone", dkimZone, "--format", "json", "dkim", domain)
			require.True(t, json.Valid([]byte(out)), errOut)
			assertGoldenJSON(t, filepath.Join("testdata", "dkim-"+domain+".json"), out)
		})
	}
}
