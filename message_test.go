package mailcheck_test

import (
	"context"
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const plainHeader = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hello\r\n" +
	"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\n"

func codesOf(c *mailcheck.Check) []string {
	var out []string
	for _, f := range c.Findings {
		out = append(out, string(f.Code))
	}
	return out
}

func checkMessage(t *testing.T, msg string, opts ...mailcheck.Option) *mailcheck.MessageReport {
	t.Helper()
	rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(msg),
		append([]mailcheck.Option{mailcheck.WithResolver(demoResolver(t))}, opts...)...)
	require.NoError(t, err)
	require.Len(t, rep.Checks, 5, "headers, dkim, dmarc, attachments, content")
	return rep
}

func TestMessageHeaderRules(t *testing.T) {
	tests := []struct {
		name, msg string
		codes     []string
		profile   mailcheck.Profile
	}{
		{"a complete header passes", plainHeader + "\r\nbody\r\n", nil, ""},
		{"no From field", "To: b@example.net\r\nDate: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n",
			[]string{"message.from-missing"}, ""},
		{"two From fields", plainHeader + "From: mallory@example.org\r\n\r\nbody\r\n",
			[]string{"message.duplicate-header"}, ""},
		{"two addresses in one From", strings.Replace(plainHeader, "Alice <alice@example.com>", "a@example.com, b@example.org", 1) + "\r\nx\r\n",
			[]string{"message.from-multiple"}, ""},
		{"an unparseable From", strings.Replace(plainHeader, "Alice <alice@example.com>", "<<not an address", 1) + "\r\nx\r\n",
			[]string{"message.from-invalid"}, ""},
		{"a From that is an empty group", strings.Replace(plainHeader, "Alice <alice@example.com>", "undisclosed:;", 1) + "\r\nx\r\n",
			[]string{"message.from-invalid"}, ""},
		{"no Date", strings.Replace(plainHeader, "Date: Fri, 27 Nov 2026 14:48:00 +0000\r\n", "", 1) + "\r\nx\r\n",
			[]string{"message.date-missing"}, ""},
		{"a Date in the wrong form", strings.Replace(plainHeader, "Fri, 27 Nov 2026 14:48:00 +0000", "2026-11-27T14:48:00Z", 1) + "\r\nx\r\n",
			[]string{"message.date-invalid"}, ""},
		{"no Message-ID", strings.Replace(plainHeader, "Message-ID: <1@example.com>\r\n", "", 1) + "\r\nx\r\n",
			[]string{"message.message-id-missing"}, ""},
		{"a Message-ID without angle brackets", strings.Replace(plainHeader, "<1@example.com>", "1-at-example", 1) + "\r\nx\r\n",
			[]string{"message.message-id-invalid"}, ""},
		{"two Subject fields", plainHeader + "Subject: again\r\n\r\nx\r\n", []string{"message.duplicate-header"}, ""},
		{"bulk mail without one-click unsubscribe", plainHeader + "\r\nx\r\n", []string{"message.unsubscribe-missing", "message.one-click-missing"}, mailcheck.ProfileBulkSender},
		{"bulk mail with one-click unsubscribe", plainHeader + "List-Unsubscribe: <https://example.com/u/1>\r\n" +
			"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nx\r\n", []string{"message.unsubscribe-unsigned"}, mailcheck.ProfileBulkSender},
		{"bytes that are not a header at all", "\x00\x01\x02 garbage without a colon\r\n\r\n", []string{"message.unparseable"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []mailcheck.Option
			if tc.profile != "" {
				opts = append(opts, mailcheck.WithProfile(tc.profile))
			}
			rep := checkMessage(t, tc.msg, opts...)
			headers := rep.Check("headers")
			assert.Equal(t, "headers", headers.ID)
			assert.Equal(t, tc.codes, codesOf(headers))
		})
	}
}

func TestMessageSignedPerRFC8463Passes(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("testdata/zones/dkim-rfc8463.zone")
	require.NoError(t, err)
	msg, err := os.ReadFile("testdata/dkim/rfc8463-a3.eml")
	require.NoError(t, err)
	rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(string(msg)),
		mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
	require.NoError(t, err)
	assert.Equal(t, "football.example.com", rep.FromDomain)
	assert.Equal(t, mailcheck.StatusPass, rep.Check("headers").Status, codesOf(rep.Check("headers")))
	assert.Contains(t, codesOf(rep.Check("dkim")), "dkim.aligned-pass")
	assert.Equal(t, mailcheck.StatusPass, rep.Check("attachments").Status)
	assert.False(t, rep.Incomplete)
}

func TestMessageWithAnExecutableIsRejected(t *testing.T) {
	exe := base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00 this is not really a program"))
	msg := plainHeader + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n" +
		"Content-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		exe + "\r\n--b--\r\n"
	rep := checkMessage(t, msg, mailcheck.WithAttachmentOptions(attachments.WithReceivers("gmail")))
	assert.Equal(t, mailcheck.StatusFail, rep.Status)
	assert.Equal(t, mailcheck.StatusFail, rep.Check("attachments").Status)
	assert.Contains(t, codesOf(rep.Check("attachments")), "attachments.forbidden")
	assert.Contains(t, codesOf(rep.Check("dkim")), "dkim.unsigned")
}
