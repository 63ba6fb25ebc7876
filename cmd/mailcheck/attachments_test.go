package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeMessage writes a message with one base64 attachment and returns its path.
func writeMessage(t *testing.T, name string, data []byte) string {
	t.Helper()
	msg := "Subject: test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(data) + "\r\n--b--\r\n"
	path := filepath.Join(t.TempDir(), "msg.eml")
	require.NoError(t, os.WriteFile(path, []byte(msg), 0o600))
	return path
}

func zipOf(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create(name)
	require.NoError(t, err)
	f.Write(data)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func TestAttachmentsCommand(t *testing.T) {
	clean := writeMessage(t, "report.pdf", []byte("%PDF-1.4\n%%EOF\n"))
	zipped := writeMessage(t, "invoice.zip", zipOf(t, "docs/invoice.pdf.exe", []byte("MZ")))
	iso := writeMessage(t, "notes.xyz", []byte("plain"))
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{"a clean message exits 0", []string{"attachments", clean}, 0, []string{"ATTACHMENTS", "PASS", "report.pdf", "infomaniak  accepts"}, ""},
		{"an exe in a zip exits 1 and shows the tree", []string{"attachments", zipped}, 1,
			[]string{"FAIL", "invoice.zip", "└─ docs/invoice.pdf.exe", "infomaniak rejects", "REJECTS", "Spam Message Rejected", "attachments.forbidden-in-archive"}, ""},
		{"receivers are selectable", []string{"attachments", "--receiver", "microsoft", zipped}, 0, []string{"microsoft", "accepts"}, ""},
		{"all receivers can be selected", []string{"attachments", zipped, "--receiver", "all"}, 1, []string{"gmail", "outlook"}, ""},
		{"an extra blocked extension rejects", []string{"attachments", "--block", ".xyz", iso}, 1, []string{"custom rejects"}, ""},
		{"an unknown receiver exits 2", []string{"attachments", "--receiver", "yahoo", clean}, 2, nil, "unknown receiver"},
		{"a missing file exits 2", []string{"attachments", "no/such.eml"}, 2, nil, "no such file"},
		{"no file exits 2", []string{"attachments"}, 2, nil, "exactly one FILE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			for _, s := range tc.stdout {
				assert.Contains(t, out, s)
			}
			if tc.stderr != "" {
				assert.Contains(t, errOut, tc.stderr)
			}
		})
	}
}

func TestAttachmentsJSONAndStdin(t *testing.T) {
	path := writeMessage(t, "invoice.zip", zipOf(t, "run.js", []byte("x")))
	msg, err := os.ReadFile(path)
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	e := &env{stdin: bytes.NewReader(msg), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run([]string{"mailcheck", "attachments", "--format", "json", "-"}, e)
	require.Equal(t, 1, code, errOut.String())
	var check struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Findings []struct {
			Code string `json:"code"`
		} `json:"findings"`
		Details struct {
			Attachments []struct {
				Part     string `json:"part"`
				Contents []struct {
					Entry string `json:"entry"`
				} `json:"contents"`
			} `json:"attachments"`
		} `json:"details"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &check))
	assert.Equal(t, "attachments", check.ID)
	assert.Equal(t, "fail", check.Status)
	require.Len(t, check.Details.Attachments, 1)
	assert.Equal(t, "2", check.Details.Attachments[0].Part)
	assert.Equal(t, "run.js", check.Details.Attachments[0].Contents[0].Entry)
	assert.True(t, strings.Contains(out.String(), "attachments.forbidden-in-archive"))
}

// The JSON of `mailcheck attachments` on generated corpus messages; the golden files
// show the schema.
func TestAttachmentsGolden(t *testing.T) {
	for _, name := range []string{"zip-with-double-extension", "clean-pdf", "winmail-dat"} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "attachments", "--receiver", "all", "--format", "json", "../../testdata/attachments/"+name+".eml")
			require.Contains(t, []int{0, 1}, code, errOut)
			assertGoldenJSON(t, filepath.Join("..", "..", "testdata", "attachments", name+".json"), out)
		})
	}
}

// The custom receiver of --block reads as a sentence, not "your own block list is
// blocked by your own list".
func TestBlockListReadsAsASentence(t *testing.T) {
	code, out, errOut := runCLI(t, "attachments", "--block", "iso", "../../testdata/attachments/iso-image.eml")
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, `custom      REJECTS  your block list rejects the message: "photos.iso" ends in .iso, which you asked to block`+"\n")
	assert.Contains(t, out, "Attachment 1 photos.iso is rejected by your block list")
	assert.NotContains(t, out, "your own")
	assert.NotContains(t, out, "blocked by your own list")
}
