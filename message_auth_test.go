package mailcheck_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/netip"
	"strings"
	"sync"
	"testing"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	authKeyOnce sync.Once
	authKey     *rsa.PrivateKey
)

// testSigningKey is one RSA 2048 key for every selector in the auth zone.
func testSigningKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	authKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		authKey = k
	})
	return authKey
}

// authZone is the world of the authentication tests: example.com sends from
// 192.0.2.0/24 under p=reject (sp=quarantine, np=reject); esp.example is another
// provider; testing.example publishes t=y; strict.example adkim=s and aspf=s.
func authZone(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&testSigningKey(t).PublicKey)
	require.NoError(t, err)
	p := base64.StdEncoding.EncodeToString(der)
	key := func(owner string) string {
		v := "v=DKIM1; k=rsa; p=" + p
		return owner + ` 300 IN TXT "` + v[:200] + `" "` + v[200:] + `"` + "\n"
	}
	return "" +
		"example.com. 300 IN A 192.0.2.1\n" +
		`example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"` + "\n" +
		`_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:d@example.com"` + "\n" +
		key("mail._domainkey.example.com.") +
		"news.example.com. 300 IN A 192.0.2.2\n" +
		"mail.example.com. 300 IN A 192.0.2.25\n" +
		`mail.example.com. 300 IN TXT "v=spf1 a -all"` + "\n" +
		`esp.example. 300 IN TXT "v=spf1 ip4:203.0.113.0/24 -all"` + "\n" +
		key("s1._domainkey.esp.example.") +
		"testing.example. 300 IN A 192.0.2.3\n" +
		`testing.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"` + "\n" +
		`_dmarc.testing.example. 300 IN TXT "v=DMARC1; p=reject; t=y"` + "\n" +
		"strict.example. 300 IN A 192.0.2.4\n" +
		`strict.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"` + "\n" +
		`_dmarc.strict.example. 300 IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"` + "\n" +
		key("mail._domainkey.strict.example.") +
		"news.strict.example. 300 IN A 192.0.2.5\n" +
		`bounce.strict.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"` + "\n"
}

func authResolver(t *testing.T) *dnscheck.Resolver {
	t.Helper()
	return dnstest.Start(t, dnstest.Zone(t, authZone(t))).Resolver(t)
}

// mail builds a message from the author address, with extra header lines.
func mail(from string, extra ...string) string {
	return "From: Alice <" + from + ">\r\nTo: bob@example.net\r\nSubject: hello\r\n" +
		"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\n" +
		strings.Join(extra, "") + "\r\nHello Bob.\r\n"
}

// sign DKIM-signs msg with d=domain s=selector over headers (From, To, Subject, Date by default).
func sign(t *testing.T, msg, domain, selector string, headers ...string) string {
	t.Helper()
	if len(headers) == 0 {
		headers = []string{"From", "To", "Subject", "Date", "Message-ID"}
	}
	var b bytes.Buffer
	err := msgauth.Sign(&b, strings.NewReader(msg), &msgauth.SignOptions{
		Domain: domain, Selector: selector, Signer: testSigningKey(t), HeaderKeys: headers})
	require.NoError(t, err)
	return b.String()
}

func checkAuth(t *testing.T, msg string, opts ...mailcheck.Option) *mailcheck.MessageReport {
	t.Helper()
	rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(msg),
		append([]mailcheck.Option{mailcheck.WithResolver(authResolver(t))}, opts...)...)
	require.NoError(t, err)
	return rep
}

func envelope(ip, mailFrom, helo string) mailcheck.Option {
	return mailcheck.WithEnvelope(netip.MustParseAddr(ip), mailFrom, helo)
}

func finding(c *mailcheck.Check, code mailcheck.Code) *mailcheck.Finding {
	for i := range c.Findings {
		if c.Findings[i].Code == code {
			return &c.Findings[i]
		}
	}
	return nil
}

func TestPredictedDMARC(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		opts    []mailcheck.Option
		result  message.Result
		via     []string
		code    mailcheck.Code
		sev     mailcheck.Severity
		status  mailcheck.Status
		words   string // in the finding's message
		verdict string // the verdict line starts with it
	}{
		{"an aligned DKIM signature passes, through another provider's server",
			sign(t, mail("alice@example.com"), "example.com", "mail"), []mailcheck.Option{envelope("203.0.113.5", "bounce@esp.example", "")},
			message.Pass, []string{"dkim"}, message.CodePredictedPass, mailcheck.Info, mailcheck.StatusPass,
			"through DKIM d=example.com (aligned, adkim=r)", "would be accepted by every selected receiver"},
		{"SPF alone passes, with a warning that forwarding breaks it",
			mail("alice@example.com"), []mailcheck.Option{envelope("192.0.2.10", "bounce@example.com", "")},
			message.Pass, []string{"spf"}, message.CodeSPFOnly, mailcheck.Warning, mailcheck.StatusWarn,
			"a forward without SRS", "would be accepted by every selected receiver"},
		{"both fail under p=reject: the message is rejected, and why is said in words",
			sign(t, mail("alice@example.com"), "esp.example", "s1"), []mailcheck.Option{envelope("203.0.113.5", "bounce@example.com", "")},
			message.Fail, nil, message.CodePredictedFail, mailcheck.Error, mailcheck.StatusFail,
			"under p=reject, so the receiver rejects it: sent through another provider's server (203.0.113.5 is not in example.com's SPF: fail) and the DKIM signature is d=esp.example, not aligned with example.com (adkim=r)",
			"would be rejected by infomaniak: DMARC fails under p=reject — sent through another provider's server"},
		{"an existing subdomain gets sp",
			mail("alice@news.example.com"), []mailcheck.Option{envelope("203.0.113.5", "bounce@esp.example", "")},
			message.Fail, nil, message.CodePredictedFail, mailcheck.Error, mailcheck.StatusFail,
			"under sp=quarantine, so the receiver puts it in spam", "would be put in spam by infomaniak: DMARC fails under sp=quarantine"},
		{"a non-existent subdomain gets np, which RFC 7489 receivers do not know",
			mail("alice@ghost.example.com"), []mailcheck.Option{envelope("203.0.113.5", "bounce@esp.example", "")},
			message.Fail, nil, message.CodePredictedFail, mailcheck.Error, mailcheck.StatusFail,
			"under np=reject (RFC 9989 receivers; RFC 7489 receivers apply sp=quarantine)", "would be rejected by infomaniak"},
		{"t=y lowers reject to quarantine for RFC 9989 receivers only",
			mail("alice@testing.example"), []mailcheck.Option{envelope("203.0.113.5", "bounce@esp.example", "")},
			message.Fail, nil, message.CodePredictedFail, mailcheck.Error, mailcheck.StatusFail,
			"under p=reject with t=y (applied as quarantine) (RFC 9989 receivers; RFC 7489 receivers apply p=reject)", "would be rejected by infomaniak"},
		{"strict adkim and aspf refuse a parent domain's signature and MAIL FROM",
			sign(t, mail("alice@news.strict.example"), "strict.example", "mail"), []mailcheck.Option{envelope("192.0.2.10", "bounce@bounce.strict.example", "")},
			message.Fail, nil, message.CodePredictedFail, mailcheck.Error, mailcheck.StatusFail,
			"SPF passes for the MAIL FROM domain bounce.strict.example, which is not aligned with news.strict.example (aspf=s) and the DKIM signature is d=strict.example, not aligned with news.strict.example (adkim=s)",
			"would be rejected by infomaniak"},
		{"a null sender is checked by its HELO name, which aligns",
			mail("alice@example.com"), []mailcheck.Option{envelope("192.0.2.25", "<>", "mail.example.com")},
			message.Pass, []string{"spf"}, message.CodePredictedPass, mailcheck.Info, mailcheck.StatusWarn,
			"through SPF for the HELO name mail.example.com (aligned, aspf=r)", "would be accepted"},
		{"an unsigned message the MTA will sign is predicted with the signature it will get",
			mail("alice@example.com"), []mailcheck.Option{mailcheck.WithExpectSigning()},
			message.Pass, []string{"dkim"}, message.CodePredictedPass, mailcheck.Info, mailcheck.StatusPass,
			"the DKIM signature the MTA is expected to add (assumed d=example.com, aligned)", "would be accepted"},
		{"without an envelope an unaligned message is a warning: SPF is unknown",
			mail("alice@example.com"), nil,
			message.Fail, nil, message.CodePredictedFail, mailcheck.Warning, mailcheck.StatusWarn,
			"SPF was not evaluated", "would be accepted by every selected receiver, unless SPF fails too"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := checkAuth(t, tc.msg, tc.opts...)
			d := rep.Check("dmarc")
			require.NotNil(t, d)
			pred := d.Details.(*message.Prediction)
			assert.Equal(t, tc.result, pred.Result)
			assert.Equal(t, tc.via, pred.Via)
			f := finding(d, tc.code)
			require.NotNil(t, f, "%s in %v", tc.code, d.Findings)
			assert.Equal(t, tc.sev, f.Severity)
			assert.Contains(t, f.Message, tc.words)
			assert.Equal(t, tc.status, d.Status, d.Findings)
			assert.True(t, strings.HasPrefix(rep.Verdict.Line, tc.verdict), rep.Verdict.Line)
		})
	}
}

func TestEnvelopeSPFCheck(t *testing.T) {
	t.Run("MAIL FROM defaults to the Return-Path field and is judged for alignment", func(t *testing.T) {
		rep := checkAuth(t, sign(t, mail("alice@example.com", "Return-Path: <bounce@esp.example>\r\n"), "example.com", "mail"),
			envelope("203.0.113.5", "", "out.esp.example"))
		s := rep.Check("spf")
		require.NotNil(t, s)
		a := s.Details.(*message.SPFAuth)
		assert.Equal(t, "return-path", a.MailFromSource)
		assert.Equal(t, "esp.example", a.Domain)
		assert.Equal(t, "pass", string(a.Outcome.Result))
		assert.False(t, a.Aligned)
		assert.NotNil(t, finding(s, message.CodeSPFNotAligned))
		assert.Equal(t, []string{"headers", "spf", "dkim", "dmarc", "attachments", "content"}, ids(rep))
	})
	t.Run("a null sender checks postmaster@HELO", func(t *testing.T) {
		rep := checkAuth(t, mail("alice@example.com"), envelope("192.0.2.25", "<>", "mail.example.com"))
		a := rep.Check("spf").Details.(*message.SPFAuth)
		assert.Equal(t, "helo", a.Scope)
		assert.Equal(t, "postmaster@mail.example.com", a.Outcome.Sender)
		assert.True(t, a.Aligned)
	})
	t.Run("an SPF fail is a warning when DMARC passes through DKIM", func(t *testing.T) {
		rep := checkAuth(t, sign(t, mail("alice@example.com"), "example.com", "mail"), envelope("203.0.113.5", "bounce@example.com", ""))
		assert.Equal(t, mailcheck.StatusWarn, rep.Check("spf").Status)
		assert.Equal(t, mailcheck.StatusPass, rep.Check("dmarc").Status)
	})
}

func ids(rep *mailcheck.MessageReport) []string {
	var out []string
	for _, c := range rep.Checks {
		out = append(out, c.ID)
	}
	return out
}

func TestExpectSigningMakesUnsignedInfo(t *testing.T) {
	plain := checkAuth(t, mail("alice@example.com"))
	assert.Equal(t, mailcheck.Warning, finding(plain.Check("dkim"), dkim.CodeUnsigned).Severity)
	signed := checkAuth(t, mail("alice@example.com"), mailcheck.WithExpectSigning())
	assert.Equal(t, mailcheck.Info, finding(signed.Check("dkim"), dkim.CodeUnsigned).Severity)
	assert.Equal(t, mailcheck.StatusPass, signed.Check("dkim").Status)
	assert.True(t, signed.Check("dmarc").Details.(*message.Prediction).AssumesSigning)
}

func TestBulkSenderUnsubscribe(t *testing.T) {
	lu := "List-Unsubscribe: <https://example.com/u/1>, <mailto:u@example.com>\r\n"
	lup := "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
	all := []string{"From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post"}
	tests := []struct {
		name  string
		msg   string
		opts  []mailcheck.Option
		codes []string
	}{
		{"both fields signed by an aligned signature pass", sign(t, mail("alice@example.com", lu, lup), "example.com", "mail", all...), nil, nil},
		{"no fields at all", sign(t, mail("alice@example.com"), "example.com", "mail"), nil,
			[]string{"message.unsubscribe-missing", "message.one-click-missing"}},
		{"a mailto: URI alone is not one-click", sign(t, mail("alice@example.com", "List-Unsubscribe: <mailto:u@example.com>\r\n", lup), "example.com", "mail", all...), nil,
			[]string{"message.unsubscribe-missing"}},
		{"List-Unsubscribe-Post with another value", sign(t, mail("alice@example.com", lu, "List-Unsubscribe-Post: yes\r\n"), "example.com", "mail", all...), nil,
			[]string{"message.one-click-missing"}},
		{"fields left out of h=", sign(t, mail("alice@example.com", lu, lup), "example.com", "mail"), nil,
			[]string{"message.unsubscribe-unsigned"}},
		{"fields signed only by another provider's unaligned signature", sign(t, mail("alice@example.com", lu, lup), "esp.example", "s1", all...), nil,
			[]string{"message.unsubscribe-unsigned"}},
		{"unsigned, but the MTA will sign: a reminder", mail("alice@example.com", lu, lup), []mailcheck.Option{mailcheck.WithExpectSigning()},
			[]string{"message.unsubscribe-unsigned"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := checkAuth(t, tc.msg, append(tc.opts, mailcheck.WithProfile(mailcheck.ProfileBulkSender))...)
			assert.Equal(t, tc.codes, codesOf(rep.Check("headers")))
		})
	}
	t.Run("the reminder is info", func(t *testing.T) {
		rep := checkAuth(t, mail("alice@example.com", lu, lup), mailcheck.WithExpectSigning(), mailcheck.WithProfile(mailcheck.ProfileBulkSender))
		assert.Equal(t, mailcheck.Info, rep.Check("headers").Findings[0].Severity)
	})
}

func TestTheVerdictNamesAReceiverThatRefusesTheSize(t *testing.T) {
	body := strings.Repeat(strings.Repeat("x", 76)+"\r\n", 37<<20/78)
	msg := "From: a@example.com\r\nTo: b@example.net\r\nDate: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\nSubject: big\r\n\r\n" + body
	rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(msg), mailcheck.WithResolver(demoResolver(t)),
		mailcheck.WithAttachmentOptions(attachments.WithReceivers("microsoft", "infomaniak")))
	require.NoError(t, err)
	assert.False(t, rep.Verdict.Accepted)
	assert.Contains(t, rep.Verdict.Line, "microsoft")
	for _, rv := range rep.Verdict.Receivers {
		switch rv.Receiver {
		case "microsoft":
			assert.Equal(t, "reject", rv.Action)
			assert.Contains(t, strings.Join(rv.Reasons, " "), "over microsoft's limit")
		case "infomaniak":
			assert.Equal(t, "accept", rv.Action, "210 MB is Infomaniak's limit")
		}
	}
}
