package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const spfZone = "../../testdata/zones/spf-demo.zone"

func TestSPFEvaluation(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		code        int
		result      string
		explanation string
	}{
		{"a listed IP passes", []string{"--ip", "192.0.2.5", "--sender", "alice@good.example"}, 0, "pass", ""},
		{"an included host passes", []string{"--ip", "198.51.100.10", "--sender", "alice@good.example"}, 0, "pass", ""},
		{"fail exits 1 with the explanation", []string{"--ip", "203.0.113.9", "--sender", "alice@good.example"}, 1, "fail", "203.0.113.9 is not allowed to send mail for good.example"},
		{"softfail exits 1", []string{"--ip", "203.0.113.9", "soft.example"}, 1, "softfail", ""},
		{"permerror exits 1", []string{"--ip", "203.0.113.9", "broken.example"}, 1, "permerror", ""},
		{"none exits 0", []string{"--ip", "203.0.113.9", "nothing.example"}, 0, "none", ""},
		{"the HELO identity is used without a sender", []string{"--ip", "203.0.113.7", "--helo", "helo.example"}, 0, "pass", ""},
		{"a sender without a local part uses postmaster", []string{"--ip", "192.0.2.5", "--sender", "@good.example"}, 0, "pass", ""},
		{"DOMAIN overrides the sender's domain", []string{"--ip", "192.0.2.1", "--sender", "bob@good.example", "soft.example"}, 0, "pass", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--zone", spfZone, "--format", "json", "spf"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			assert.Equal(t, tc.code, code, errOut)
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &v), out)
			assert.Equal(t, tc.result, v["result"])
			if tc.explanation == "" {
				assert.NotContains(t, v, "explanation")
			} else {
				assert.Equal(t, tc.explanation, v["explanation"])
			}
			assert.Contains(t, v, "findings")
			assert.Contains(t, v, "trace")
		})
	}
}

func TestSPFTemperrorExits3(t *testing.T) {
	code, out, errOut := runCLI(t, "--resolver", "127.0.0.1:1", "--timeout", "1s", "--format", "json", "spf", "--ip", "192.0.2.1", "example.com")
	require.Equal(t, 3, code, errOut)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, "temperror", v["result"])
}

func TestSPFAuditPrintsTheTree(t *testing.T) {
	code, out, errOut := runCLI(t, "--zone", spfZone, "spf", "heavy.example")
	assert.Equal(t, 1, code, errOut)
	for _, want := range []string{
		"include h1.example  cost 5, total 6",
		"include h2.example  cost 4, total 11",
		"void 1 (gone.example)",
		"receivers stop here: 11th lookup at a:mail.good.example",
		"spf.lookup-limit",
		"total: 11 DNS lookups",
	} {
		assert.Contains(t, out, want)
	}
	code, out, _ = runCLI(t, "--zone", spfZone, "spf", "good.example", "--ip", "192.0.2.1", "--ip", "203.0.113.1")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "self-test 192.0.2.1: pass")
	assert.Contains(t, out, "self-test 203.0.113.1: fail")
}

func TestSPFUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no domain":             {"spf"},
		"a bad IP":              {"spf", "--ip", "300.1.1.1", "example.com"},
		"an IP and no domain":   {"spf", "--ip", "192.0.2.1"},
		"two domains with --ip": {"spf", "--ip", "192.0.2.1", "a.example", "b.example"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"--zone", spfZone}, args...)...)
			assert.Equal(t, 2, code)
			assert.NotEmpty(t, errOut)
		})
	}
}

// The JSON of `mailcheck spf` is the documented schema; the golden files show it.
func TestSPFJSONGolden(t *testing.T) {
	for name, args := range map[string][]string{
		"spf-audit-good.example.json":  {"spf", "good.example"},
		"spf-audit-heavy.example.json": {"spf", "heavy.example"},
		"spf-ip-fail.json":             {"spf", "--ip", "203.0.113.9", "--sender", "alice@good.example"},
	} {
		t.Run(name, func(t *testing.T) {
			_, out, errOut := runCLI(t, append([]string{"--zone", spfZone, "--format", "json"}, args...)...)
			require.True(t, json.Valid([]byte(out)), errOut)
			assertGoldenJSON(t, filepath.Join("testdata", name), out)
		})
	}
}
