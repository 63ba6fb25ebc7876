package bounce

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseFile(t *testing.T, name string) *Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	require.NoError(t, err)
	rep, err := ParseBytes(b)
	require.NoError(t, err)
	return rep
}

func TestParseReadsEachFormatsFields(t *testing.T) {
	t.Run("a Postfix DSN gives the reply, the remote MTA, the command and the forward's original recipient", func(t *testing.T) {
		rep := parseFile(t, "postfix-forward-without-srs.eml")
		assert.Equal(t, FormatDSN, rep.Format)
		assert.Equal(t, "mx.sender.example", rep.ReportingMTA)
		assert.Equal(t, "alice+forward-without-srs@sender.example", rep.Sender)
		require.Len(t, rep.Recipients, 1)
		rc := rep.Recipients[0]
		assert.Equal(t, "unauth-fwd@gmail.example", rc.Address)
		assert.Equal(t, "bob@forwarder.example", rc.OriginalRecipient)
		assert.Equal(t, 550, rc.ReplyCode)
		assert.Equal(t, "5.7.26", rc.Status)
		assert.Equal(t, "DATA", rc.Command)
		assert.Equal(t, "127.0.0.1", rc.RemoteMTA)
		assert.NotContains(t, rc.Diagnostic, "550-5.7.26", "the multi-line prefixes are removed")
		assert.Contains(t, rc.Diagnostic, "SPF [sender.example] with ip: [127.0.0.1] = did not pass")
		require.NotNil(t, rep.Original)
		assert.False(t, rep.Original.HeadersOnly)
		assert.Contains(t, string(rep.Original.Raw), "From: Alice <alice@sender.example>")
	})
	t.Run("an Exchange Online NDR returns the header the receiver saw", func(t *testing.T) {
		rep := parseFile(t, "written/exchange-online-dmarc.eml")
		assert.Equal(t, "exchange", rep.Source)
		require.NotNil(t, rep.Original)
		assert.True(t, rep.Original.HeadersOnly)
		assert.Contains(t, string(rep.Original.Raw), "spf=fail (sender IP is 198.51.100.20)")
	})
	t.Run("an Exim notice names the host and its address", func(t *testing.T) {
		rep := parseFile(t, "written/exim-userunknown.eml")
		assert.Equal(t, FormatText, rep.Format)
		assert.Equal(t, "exim", rep.Source)
		rc := rep.Recipients[0]
		assert.Equal(t, "mx.example.org", rc.RemoteMTA)
		assert.Equal(t, "192.0.2.33", rc.RemoteIP)
		assert.Equal(t, "RCPT", rc.Command)
		assert.True(t, strings.HasPrefix(rc.Diagnostic, "550 5.1.1"), rc.Diagnostic)
		require.NotNil(t, rep.Original, "the copy after Exim's marker")
		assert.Contains(t, string(rep.Original.Raw), "Subject: Lunch")
	})
	t.Run("an Exim DSN (Exim 4.96) gives the reply without Exim's retry note, and the command", func(t *testing.T) {
		rep := parseFile(t, "exim-gmail-overquota-temp.eml")
		assert.Equal(t, FormatDSN, rep.Format)
		assert.Equal(t, "exim", rep.Source)
		assert.Equal(t, "mx.sender.example", rep.ReportingMTA)
		require.Len(t, rep.Recipients, 1)
		rc := rep.Recipients[0]
		assert.Equal(t, "failed", rc.Action)
		assert.Equal(t, "4.2.2", rc.Status, "the reply's code, not the DSN's 5.0.0")
		assert.Equal(t, 452, rc.ReplyCode)
		assert.Equal(t, "RCPT", rc.Command)
		assert.Equal(t, "127.0.0.1", rc.RemoteMTA)
		assert.NotContains(t, rc.Diagnostic, "452-4.2.2")
		assert.True(t, strings.HasSuffix(rc.Diagnostic, "a1si103 - gsmtp"), rc.Diagnostic)

		rc = parseFile(t, "exim-size-limit.eml").Recipients[0]
		assert.Equal(t, "MAIL", rc.Command, "Exim: after MAIL FROM:<...> SIZE=n")
		rc = parseFile(t, "exim-gmail-dmarc.eml").Recipients[0]
		assert.Equal(t, "DATA", rc.Command, "Exim: after end of data")
	})
	t.Run("a qmail notice gives the remote IP and drops qmail's own words", func(t *testing.T) {
		rc := parseFile(t, "written/qmail-mailboxfull.eml").Recipients[0]
		assert.Equal(t, "192.0.2.44", rc.RemoteIP)
		assert.Equal(t, "552 5.2.2 <dave@example.net>: Mailbox full", rc.Diagnostic)
	})
	t.Run("an ARF report is a feedback report with its source IP", func(t *testing.T) {
		rep := parseFile(t, "written/arf-abuse.eml")
		assert.Equal(t, FormatARF, rep.Format)
		require.NotNil(t, rep.Feedback)
		assert.Equal(t, "abuse", rep.Feedback.FeedbackType)
		assert.Equal(t, "192.0.2.10", rep.SourceIP)
		assert.Equal(t, Feedback, rep.Recipients[0].Reason)
	})
	t.Run("an SES bounce notification gives the sender and its sending IP", func(t *testing.T) {
		rep := parseFile(t, "written/amazonses-bounce.json")
		assert.Equal(t, FormatSESJSON, rep.Format)
		assert.Equal(t, "alice@sender.example", rep.Sender)
		assert.Equal(t, "203.0.113.5", rep.SourceIP)
		assert.Equal(t, AuthFailure, rep.Recipients[0].Reason)
	})
}

// Exim writes "Unrouteable address" both for a local part its own domain does not
// have and for a domain it cannot reach; the recipient's domain tells them apart.
func TestEximUnrouteableAddressDependsOnTheDomain(t *testing.T) {
	notice := func(rcpt string) []byte {
		return []byte("From: Mail Delivery System <Mailer-Daemon@sender.example>\r\n" +
			"To: alice@sender.example\r\nX-Failed-Recipients: " + rcpt + "\r\n" +
			"Subject: Mail delivery failed: returning message to sender\r\n\r\n" +
			"This message was created automatically by mail delivery software.\r\n\r\n" +
			"A message that you sent could not be delivered to one or more of its\r\n" +
			"recipients. This is a permanent error. The following address(es) failed:\r\n\r\n" +
			"  " + rcpt + "\r\n    Unrouteable address\r\n")
	}
	for _, tc := range []struct {
		rcpt string
		want Reason
	}{
		{"nosuchuser@sender.example", UserUnknown}, // the notice writer's own domain
		{"someone@nohost.example", HostUnknown},    // a domain it could not route
	} {
		rep, err := ParseBytes(notice(tc.rcpt))
		require.NoError(t, err)
		require.Len(t, rep.Recipients, 1)
		assert.Equal(t, tc.rcpt, rep.Recipients[0].Address)
		assert.Equal(t, "Unrouteable address", rep.Recipients[0].Diagnostic)
		assert.Equal(t, tc.want, rep.Recipients[0].Reason, tc.rcpt)
	}
}

func TestParseReadsABounceForwardedAsAnAttachment(t *testing.T) {
	inner, err := os.ReadFile(filepath.Join(corpusDir, "written/qmail-mailboxfull.eml"))
	require.NoError(t, err)
	fwd := "From: alice@sender.example\r\nTo: helpdesk@sender.example\r\nSubject: Fwd: failure notice\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=f\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\nWhy did this bounce?\r\n" +
		"--f\r\nContent-Type: message/rfc822\r\n\r\n" + string(inner) + "\r\n--f--\r\n"
	rep, err := ParseBytes([]byte(fwd))
	require.NoError(t, err)
	require.Len(t, rep.Recipients, 1)
	assert.Equal(t, "dave@example.net", rep.Recipients[0].Address)
	assert.Equal(t, MailboxFull, rep.Recipients[0].Reason)
}

func TestParseSaysWhatInputThatIsNotABounceLooksLike(t *testing.T) {
	mdn := "From: bob@example.org\r\nTo: alice@sender.example\r\nSubject: Read: hi\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nread\r\n" +
		"--b\r\nContent-Type: message/disposition-notification\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nDisposition: manual-action/MDN-sent-manually; displayed\r\n--b--\r\n"
	tests := []struct {
		name, input, looksLike string
	}{
		{"an ordinary message is named with its sender and subject", "From: bob@example.org\r\nSubject: lunch\r\n\r\nLunch?\r\n", `an ordinary message from bob@example.org (subject "lunch")`},
		{"an out-of-office reply is an automatic reply", "From: bob@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Out of Office: lunch\r\n\r\nAway.\r\n", "an automatic reply"},
		{"a read receipt is an MDN", mdn, "read receipt"},
		{"text without a header is not a message", "hello there, this is not mail\n", "not an email message"},
		{"empty input is empty", "", "empty input"},
		{"JSON that is not SES's is said to be so", `{"hello": 1}`, "not an Amazon SES"},
		{"a mailer's notice without a readable recipient says so", "From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail\r\n\r\nSomething went wrong.\r\n", "cannot read"},
		{"a mailer's auto-submitted notice is not taken for an out-of-office reply", "From: MAILER-DAEMON@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Mail delivery failed\r\n\r\nSomething went wrong.\r\n", "cannot read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tc.input))
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrNotBounce))
			var nb *NotBounceError
			require.ErrorAs(t, err, &nb)
			assert.Contains(t, nb.LooksLike, tc.looksLike)
		})
	}
}

func TestParseBoundsItsInput(t *testing.T) {
	t.Run("input over MaxSize is refused without reading it all", func(t *testing.T) {
		r := &countingReader{n: MaxSize + 100}
		_, err := Parse(r)
		assert.ErrorIs(t, err, ErrTooLarge)
		assert.LessOrEqual(t, r.read, MaxSize+1+32*1024, "reads stop just past the limit")
	})
	t.Run("a notice with thousands of recipients reports at most maxRecipients", func(t *testing.T) {
		var b bytes.Buffer
		b.WriteString("From: MAILER-DAEMON@example.org\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n")
		for i := 0; i < 3*maxRecipients; i++ {
			b.WriteString("Final-Recipient: rfc822; u@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n")
		}
		b.WriteString("--b--\r\n")
		rep, err := ParseBytes(b.Bytes())
		require.NoError(t, err)
		assert.Len(t, rep.Recipients, maxRecipients)
	})
	t.Run("deeply nested multiparts stop at maxDepth", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("From: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; i < 200; i++ {
			b.WriteString("--b" + itoa(i-1) + "\r\nContent-Type: multipart/mixed; boundary=b" + itoa(i) + "\r\n\r\n")
		}
		_, err := ParseBytes([]byte(b.String()))
		assert.ErrorIs(t, err, ErrNotBounce)
	})
}

type countingReader struct{ n, read int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, os.ErrClosed
	}
	k := min(len(p), r.n-r.read)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.read += k
	return k, nil
}
