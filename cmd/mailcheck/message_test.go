package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const signedMessage = "../../testdata/dkim/rfc8463-a3.eml"
const rfc8463Zone = "../../testdata/zones/dkim-rfc8463.zone"

func TestMessageCommand(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.eml")
	require.NoError(t, os.WriteFile(bad, []byte("Subject: no from\r\n\r\nhi\r\n"), 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a signed, aligned message passes", []string{"--zone", rfc8463Zone, "message", signedMessage}, 0, "aligned with From"},
		{"a message without From fails", []string{"--zone", rfc8463Zone, "message", bad}, 1, "message.from-missing"},
		{"a missing file is a usage error", []string{"message", "no/such.eml"}, 2, ""},
		{"two files are a usage error", []string{"message", bad, bad}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			assert.Contains(t, out, tc.want)
		})
	}
}

func TestMessageCommandReadsStandardInputAsJSON(t *testing.T) {
	msg, err := os.ReadFile(signedMessage)
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	e := &env{stdin: bytes.NewReader(msg), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run([]string{"mailcheck", "message", "-", "--zone", rfc8463Zone, "--format", "json"}, e)
	require.Equal(t, 0, code, errOut.String())
	var rep map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	assert.Equal(t, "football.example.com", rep["from_domain"])
	checks := rep["checks"].([]any)
	var ids []string
	for _, c := range checks {
		ids = append(ids, c.(map[string]any)["id"].(string))
	}
	assert.Equal(t, "headers dkim dmarc attachments content", strings.Join(ids, " "))
}
