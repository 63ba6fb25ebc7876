package mailcheck_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/bounce"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bounceZone = "testdata/zones/bounce.zone"

func explain(t *testing.T, input string) *mailcheck.BounceReport {
	t.Helper()
	z, err := dnscheck.LoadZoneFile(bounceZone)
	require.NoError(t, err)
	if !strings.Contains(input, "\n") {
		b, err := os.ReadFile("testdata/bounce/" + input)
		require.NoError(t, err)
		input = string(b)
	}
	rep, err := mailcheck.ExplainBounce(context.Background(), strings.NewReader(input), mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
	require.NoError(t, err)
	return rep
}

func findingCodes(fs []mailcheck.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, string(f.Code))
	}
	return out
}

func checkIDs(rep *mailcheck.BounceReport) []string {
	out := []string{}
	for _, c := range rep.Checks {
		out = append(out, c.ID)
	}
	return out
}

func checkByID(rep *mailcheck.BounceReport, id string) *mailcheck.Check {
	for _, c := range rep.Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// dsn builds a Postfix-style DSN to one recipient with the given reply, an optional
// Original-Recipient and an optional returned header.
func dsn(rcpt, orig, status, diag, headers string) string {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@mx.sender.example\r\nTo: alice@sender.example\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.sender.example\r\n\r\n")
	b.WriteString("Final-Recipient: rfc822; " + rcpt + "\r\n")
	if orig != "" {
		b.WriteString("Original-Recipient: rfc822; " + orig + "\r\n")
	}
	b.WriteString("Action: failed\r\nStatus: " + status + "\r\nDiagnostic-Code: smtp; " + diag + "\r\n\r\n")
	if headers != "" {
		b.WriteString("--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" + headers + "\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.String()
}

func TestExplainBounceAuthenticationFailures(t *testing.T) {
	t.Run("a DMARC rejection replays SPF for the IP the receiver recorded and finds DKIM missing", func(t *testing.T) {
		rep := explain(t, "written/exchange-online-dmarc.eml")
		assert.Equal(t, "sender.example", rep.FromDomain)
		assert.Equal(t, "198.51.100.20", rep.SendingIP)
		require.NotNil(t, rep.ReceiverSaw)
		assert.Equal(t, "fail", rep.ReceiverSaw.DMARC)
		require.Len(t, rep.Bounces, 1)
		b := rep.Bounces[0]
		assert.Equal(t, bounce.AuthFailure, b.Reason)
		assert.Equal(t, []string{"bounce.auth-failure", "bounce.spf-not-authorized", "bounce.dkim-not-aligned"}, findingCodes(b.Findings))
		assert.Contains(t, b.Findings[0].Message, "p=reject")
		assert.Equal(t, []string{"spf", "spf-host", "dmarc", "dkim"}, checkIDs(rep))
		assert.Equal(t, mailcheck.StatusFail, checkByID(rep, "spf-host").Status)
		assert.Equal(t, mailcheck.StatusFail, rep.Status)
	})
	t.Run("mail sent from the server the SPF record lists is not reported unauthorized", func(t *testing.T) {
		headers := "Authentication-Results: mx.example.org; spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=sender.example; dkim=none; dmarc=pass header.from=sender.example\r\n" +
			"From: alice@sender.example\r\nReturn-Path: <alice@sender.example>\r\nTo: bob@example.org\r\nSubject: x\r\n"
		rep := explain(t, dsn("bob@example.org", "", "5.7.26", "550 5.7.26 DMARC policy rejection", headers))
		assert.Equal(t, "192.0.2.10", rep.SendingIP)
		codes := findingCodes(rep.Bounces[0].Findings)
		assert.NotContains(t, codes, "bounce.spf-not-authorized")
		assert.Contains(t, codes, "bounce.dkim-not-aligned")
		assert.Equal(t, mailcheck.StatusPass, checkByID(rep, "spf-host").Status)
	})
	t.Run("a notice with neither IP nor results says what to run instead", func(t *testing.T) {
		rep := explain(t, dsn("bob@example.org", "", "5.7.26", "550 5.7.26 Unauthenticated email from sender.example is not accepted due to domain's DMARC policy", ""))
		assert.Equal(t, "sender.example", rep.FromDomain)
		assert.Equal(t, []string{"bounce.auth-failure", "bounce.ip-unknown"}, findingCodes(rep.Bounces[0].Findings))
		assert.Equal(t, []string{"spf", "dmarc", "dkim"}, checkIDs(rep))
	})
}

func TestExplainBounceForwardWithoutSRS(t *testing.T) {
	t.Run("a forward whose SPF failed at the forwarder's IP with no aligned DKIM is named, with both fixes", func(t *testing.T) {
		rep := explain(t, "postfix-forward-without-srs.eml")
		b := rep.Bounces[0]
		assert.Equal(t, "bob@forwarder.example", b.OriginalRecipient)
		assert.Equal(t, []string{"bounce.auth-failure", "bounce.forward-without-srs"}, findingCodes(b.Findings))
		fwd := b.Findings[1]
		assert.Contains(t, fwd.Message, "127.0.0.1")
		assert.Contains(t, fwd.Message, "check_host(127.0.0.1, sender.example) = fail")
		assert.Contains(t, fwd.Fix, "DKIM, d=sender.example")
		assert.Contains(t, fwd.Fix, "SRS")
		assert.Contains(t, fwd.Fix, "forwarder.example")
		assert.Contains(t, checkIDs(rep), "message-dkim", "the returned copy is verified")
	})
	t.Run("a forward whose aligned DKIM signature survived is not blamed on SRS", func(t *testing.T) {
		headers := "Authentication-Results: mx.gmail.example; spf=fail (sender IP is 127.0.0.1) smtp.mailfrom=sender.example; dkim=pass header.d=sender.example; dmarc=fail\r\n" +
			"From: alice@sender.example\r\nTo: bob@forwarder.example\r\nSubject: x\r\n"
		rep := explain(t, dsn("unauth-fwd@gmail.example", "bob@forwarder.example", "5.7.26", "550 5.7.26 DMARC policy", headers))
		assert.NotContains(t, findingCodes(rep.Bounces[0].Findings), "bounce.forward-without-srs")
	})
	t.Run("a recipient in the same domain is not a forward", func(t *testing.T) {
		headers := "Authentication-Results: mx; spf=fail (sender IP is 127.0.0.1); dkim=none\r\nFrom: alice@sender.example\r\nSubject: x\r\n"
		rep := explain(t, dsn("bob@gmail.example", "robert@gmail.example", "5.7.26", "550 5.7.26 DMARC policy", headers))
		codes := findingCodes(rep.Bounces[0].Findings)
		assert.NotContains(t, codes, "bounce.forward-without-srs")
		assert.Contains(t, codes, "bounce.spf-not-authorized")
	})
}

func TestExplainBounceContentRejections(t *testing.T) {
	t.Run("Spam Message Rejected with a zip holding an .exe names the attachment", func(t *testing.T) {
		rep := explain(t, "postfix-other-spam-zip.eml")
		b := rep.Bounces[0]
		assert.Equal(t, bounce.SpamDetected, b.Reason)
		require.Equal(t, []string{"bounce.content-rejected"}, findingCodes(b.Findings))
		assert.Equal(t, mailcheck.Error, b.Findings[0].Severity)
		assert.Contains(t, b.Findings[0].Message, "invoice.exe")
		att := checkByID(rep, "message-attachments")
		require.NotNil(t, att)
		assert.Contains(t, findingCodes(att.Findings), "attachments.forbidden-in-archive")
	})
	t.Run("Gmail's blocked-attachment reply checks the returned zip too", func(t *testing.T) {
		rep := explain(t, "postfix-gmail-attachment-zip.eml")
		assert.Equal(t, bounce.PolicyViolation, rep.Bounces[0].Reason)
		assert.Equal(t, mailcheck.Error, rep.Bounces[0].Findings[0].Severity)
	})
	t.Run("a spam verdict on a clean message says the text or reputation decided", func(t *testing.T) {
		rep := explain(t, "written/yahoo-remote-spam.eml")
		f := rep.Bounces[0].Findings
		require.Equal(t, []string{"bounce.content-rejected"}, findingCodes(f))
		assert.Equal(t, mailcheck.Warning, f[0].Severity)
	})
	t.Run("a content rejection without the message asks for a copy", func(t *testing.T) {
		rep := explain(t, dsn("bob@example.org", "", "5.7.1", "554 5.7.1 Spam Message Rejected", ""))
		assert.Equal(t, []string{"bounce.no-original"}, findingCodes(rep.Bounces[0].Findings))
		assert.Empty(t, rep.Checks)
	})
	t.Run("an RFC 5322 rejection with only the header back checks the header", func(t *testing.T) {
		headers := "From: alice@sender.example\r\nFrom: bob@sender.example\r\nTo: x@example.org\r\nSubject: x\r\n"
		rep := explain(t, dsn("x@example.org", "", "5.7.512", "550 5.7.512 Access denied, message must be RFC 5322 section 3.6.2 compliant", headers))
		assert.Equal(t, []string{"message-headers"}, checkIDs(rep))
		f := rep.Bounces[0].Findings
		require.Len(t, f, 1)
		assert.Contains(t, f[0].Message, "From")
	})
}

func TestExplainBounceReverseDNS(t *testing.T) {
	tests := []struct {
		name, input string
		want        []string
		status      mailcheck.Status
	}{
		{"Gmail's 5.7.25 finds the PTR name does not resolve back", "postfix-gmail-ptr.eml", []string{"bounce.ptr-not-confirmed"}, mailcheck.StatusFail},
		{"an IP without a PTR record is reported missing", dsn("x@example.org", "", "5.7.25", "550 5.7.25 [198.51.100.20] The IP address sending this message does not have a PTR record", ""), []string{"bounce.ptr-missing"}, mailcheck.StatusFail},
		{"a block on a forward-confirmed IP says reverse DNS is not the cause", dsn("x@example.org", "", "5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using Spamhaus", ""), []string{"bounce.blocklisted", "bounce.ptr-confirmed"}, mailcheck.StatusFail},
		{"Microsoft's banned sending IP names its delisting portal", "postfix-outlook-banned-ip.eml", []string{"bounce.blocklisted", "bounce.ptr-not-confirmed"}, mailcheck.StatusFail},
		{"a reputation deferral checks the IP it names", "postfix-yahoo-tss04.eml", []string{"bounce.ptr-not-confirmed"}, mailcheck.StatusFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := explain(t, tc.input)
			assert.Equal(t, tc.want, findingCodes(rep.Bounces[0].Findings))
			assert.Equal(t, []string{"ptr"}, checkIDs(rep))
			assert.Equal(t, tc.status, rep.Status)
		})
	}
	t.Run("the delisting portal is the one the receiver uses", func(t *testing.T) {
		rep := explain(t, "postfix-outlook-banned-ip.eml")
		assert.Contains(t, rep.Bounces[0].Findings[0].Fix, "sender.office.com")
	})
}

func TestExplainBounceRecipientSideReasonsRunNoChecks(t *testing.T) {
	for _, file := range []string{"postfix-local-userunknown.eml", "postfix-gmail-overquota.eml", "written/qmail-mailboxfull.eml", "postfix-connection-refused.eml"} {
		t.Run(file+" needs nothing from the sender", func(t *testing.T) {
			rep := explain(t, file)
			assert.Empty(t, rep.Checks)
			assert.Empty(t, rep.Bounces[0].Findings)
			assert.NotEmpty(t, rep.Bounces[0].Cause)
			assert.Equal(t, mailcheck.StatusPass, rep.Status)
		})
	}
}

func TestExplainBounceComplaintsAndNonBounces(t *testing.T) {
	t.Run("an ARF report is a complaint to act on", func(t *testing.T) {
		rep := explain(t, "written/arf-abuse.eml")
		assert.Equal(t, bounce.FormatARF, rep.Format)
		assert.Equal(t, []string{"bounce.complaint"}, findingCodes(rep.Bounces[0].Findings))
		assert.Equal(t, mailcheck.StatusWarn, rep.Status)
	})
	t.Run("an ordinary message is refused as not a bounce", func(t *testing.T) {
		_, err := mailcheck.ExplainBounce(context.Background(), strings.NewReader("From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n"))
		assert.True(t, errors.Is(err, bounce.ErrNotBounce))
	})
	t.Run("every reason has a cause", func(t *testing.T) {
		for _, r := range bounce.Reasons {
			assert.NotEqual(t, "Unknown reason.", mailcheck.CauseOf(r), r)
		}
	})
}
