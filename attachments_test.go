package mailcheck_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneAttachment builds a message with one base64 attachment.
func oneAttachment(name, ctype string, data []byte) string {
	return "Subject: test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: " + ctype + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(data) + "\r\n--b--\r\n"
}

func TestCheckAttachmentsStatus(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		opts []attachments.Option
		want mailcheck.Status
	}{
		{"a PDF passes", oneAttachment("report.pdf", "application/pdf", []byte("%PDF-1.4\n%%EOF\n")), nil, mailcheck.StatusPass},
		{"an .exe fails at the default receiver", oneAttachment("setup.exe", "application/octet-stream", []byte("MZ")), nil, mailcheck.StatusFail},
		{"a file Outlook only hides warns", oneAttachment("site.url", "application/octet-stream", []byte("[InternetShortcut]")), []attachments.Option{attachments.WithReceivers("outlook")}, mailcheck.StatusWarn},
		{"an executable named .pdf at a name-only receiver warns", oneAttachment("statement.pdf", "application/pdf", []byte("MZ")), nil, mailcheck.StatusWarn},
		{"an executable named .pdf at Gmail fails", oneAttachment("statement.pdf", "application/pdf", []byte("MZ")), []attachments.Option{attachments.WithReceivers("gmail")}, mailcheck.StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := mailcheck.CheckAttachments(context.Background(), strings.NewReader(tt.msg), mailcheck.WithAttachmentOptions(tt.opts...))
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Status, c.Summary)
			assert.Equal(t, "attachments", c.ID)
			assert.IsType(t, &attachments.Report{}, c.Details)
		})
	}
}

// CheckAttachments on a message whose zip holds a script, judged by Gmail.
func ExampleCheckAttachments() {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, _ := w.Create("scripts/run.js")
	f.Write([]byte("WScript.Echo(1)"))
	w.Close()
	msg := oneAttachment("scripts.zip", "application/zip", buf.Bytes())
	check, err := mailcheck.CheckAttachments(context.Background(), strings.NewReader(msg), mailcheck.WithAttachmentOptions(attachments.WithReceivers("gmail")))
	if err != nil {
		panic(err)
	}
	fmt.Println(check.Status)
	fmt.Println(check.Summary)
	for _, f := range check.Findings {
		fmt.Println(f.Code)
	}
	// Output:
	// fail
	// 1 attachment(s), 1 file(s) inside archives or containers. Rejected by gmail.
	// attachments.forbidden-in-archive
}
