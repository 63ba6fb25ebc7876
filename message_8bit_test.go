package mailcheck_test

import (
	"encoding/base64"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Receivers accept header fields with raw UTF-8 (RFC 6532) and, from older clients,
// raw 8-bit bytes in another charset; the check must read them as they do.
func TestMessageWithRaw8BitHeaders(t *testing.T) {
	exe := base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 not really a program"))
	withFile := func(from, subject, filename string) string {
		return "From: " + from + "\r\nTo: bob@example.net\r\nSubject: " + subject + "\r\n" +
			"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
			"--b\r\nContent-Type: application/octet-stream\r\n" +
			"Content-Disposition: attachment; filename=\"" + filename + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			exe + "\r\n--b--\r\n"
	}
	tests := []struct {
		name, msg, fromDomain, file string
	}{
		{"raw UTF-8 in From, Subject and the file name (RFC 6532)",
			withFile("Jöse Müller <jose@example.com>", "Prüfbericht für Q3 ✓", "Prüfbericht.exe"), "example.com", "Prüfbericht.exe"},
		{"a raw UTF-8 address (RFC 6532 §3.2)",
			withFile("José <josé@example.com>", "hi", "a.exe"), "example.com", "a.exe"},
		{"raw Latin-1 in From, Subject and the file name",
			withFile("Jos\xe9 M\xfcller <jose@example.com>", "R\xe9sum\xe9 f\xfcr Sie", "r\xe9sum\xe9.exe"), "example.com", "résumé.exe"},
		{"a display name encoded in a charset the standard library lacks",
			withFile("=?iso-8859-2?q?J=F3zef_Ma=B3ecki?= <jozef@example.com>", "=?iso-8859-2?q?Raport?=", "raport.exe"), "example.com", "raport.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := checkMessage(t, tt.msg, mailcheck.WithAttachmentOptions(attachments.WithReceivers("gmail")))
			assert.Equal(t, tt.fromDomain, rep.FromDomain)
			assert.Empty(t, codesOf(rep.Check("headers")), "the header is what receivers require")
			assert.Equal(t, mailcheck.StatusPass, rep.Check("headers").Status)
			dk := rep.Check("dkim")
			assert.Equal(t, []string{"dkim.unsigned"}, codesOf(dk), "the DKIM check reads the same From")
			res, ok := rep.Check("attachments").Details.(*attachments.Report)
			require.True(t, ok)
			require.Len(t, res.Attachments, 1)
			assert.Contains(t, res.Attachments[0].Names, tt.file)
			assert.True(t, res.Rejected(), "Gmail rejects the .exe whatever the charset of its name")
		})
	}
}

func TestMessageThatIsNotAMessage(t *testing.T) {
	tests := []struct{ name, in, why string }{
		{"empty input", "", "it is empty"},
		{"an ELF binary", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00\x01\x00\x00\x00", "is not a header field"},
		{"random bytes", "\x8a\x13\xf0:\x9c\x00\x7f\xfe\r\n\x01\x02", "is not a header field"},
		{"only blank lines", "\r\n\r\n", "it has no header fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := checkMessage(t, tt.in)
			require.Equal(t, []string{"message.unparseable"}, codesOf(rep.Check("headers")))
			assert.Contains(t, rep.Check("headers").Findings[0].Message, tt.why)
			assert.Equal(t, mailcheck.StatusFail, rep.Status)
		})
	}
	t.Run("an mbox From line before the header is skipped", func(t *testing.T) {
		rep := checkMessage(t, "From alice@example.com Fri Nov 27 14:48:00 2026\r\n"+plainHeader+"\r\nx\r\n")
		assert.Empty(t, codesOf(rep.Check("headers")))
		assert.Equal(t, "example.com", rep.FromDomain)
	})
	t.Run("a line that is not a field ends the header, as at Postfix", func(t *testing.T) {
		rep := checkMessage(t, "From: Alice <alice@example.com>\r\nnot a field\r\nFrom: Eve <eve@example.org>\r\n\r\nx\r\n")
		assert.NotContains(t, codesOf(rep.Check("headers")), "message.duplicate-header")
		assert.Equal(t, "example.com", rep.FromDomain)
	})
}
