package mailcheck_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
)

// explainOverDNS explains a notice through the in-process DNS server serving the
// bounce zone and repZone's blocklist entries (198.0.0.30 on Spamhaus ZEN, 198.0.0.31
// on UCEPROTECT Level 1).
func explainOverDNS(t *testing.T, input string, opts ...mailcheck.Option) *mailcheck.BounceReport {
	t.Helper()
	zone, err := os.ReadFile(bounceZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, dnstest.Zone(t, string(zone)+repZone+linkLists))
	r := srv.Resolver(t)
	rep, err := mailcheck.ExplainBounce(context.Background(), strings.NewReader(input), append([]mailcheck.Option{mailcheck.WithResolver(r)}, opts...)...)
	require.NoError(t, err)
	return rep
}

// linkLists lists one link domain on Spamhaus DBL (127.0.1.2: spam domain).
const linkLists = `
listed-link.example.dbl.spamhaus.org. A 127.0.1.2
`

func TestExplainBounceLooksTheBlockedIPUpInBlocklists(t *testing.T) {
	t.Run("a block that names no list finds the listing by looking the IP up", func(t *testing.T) {
		rep := explainOverDNS(t, dsn("x@example.org", "", "5.7.1", "554 5.7.1 Service unavailable; Client host [198.0.0.31] blocked", ""))
		b := rep.Bounces[0]
		assert.Equal(t, []string{"bounce.blocklisted", "bounce.ptr-missing"}, findingCodes(b.Findings))
		assert.Contains(t, b.Findings[0].Message, "UCEPROTECT")
		assert.Contains(t, b.Findings[0].Fix, "uceprotect.net")
		assert.Equal(t, []string{"ptr", "reputation"}, checkIDs(rep))
		assert.Equal(t, mailcheck.StatusFail, rep.Status)
	})
	t.Run("the list the reply names is reported once, from the reply", func(t *testing.T) {
		rep := explainOverDNS(t, dsn("x@example.org", "", "5.7.1", "554 5.7.1 Service unavailable; Client host [198.0.0.30] blocked using Spamhaus", ""))
		b := rep.Bounces[0]
		assert.Equal(t, []string{"bounce.blocklisted", "bounce.ptr-missing"}, findingCodes(b.Findings))
		assert.Contains(t, b.Findings[0].Message, "listed by Spamhaus, which the receiver consults")
	})
	t.Run("an IP on no list adds no listing", func(t *testing.T) {
		rep := explainOverDNS(t, dsn("x@example.org", "", "5.7.1", "554 5.7.1 Service unavailable; Client host [198.0.0.20] blocked", ""))
		assert.Equal(t, []string{"bounce.ptr-missing"}, findingCodes(rep.Bounces[0].Findings))
		rc := checkByID(rep, "reputation")
		require.NotNil(t, rc)
		assert.Equal(t, mailcheck.StatusPass, rc.Status)
	})
	t.Run("with the lookups off only reverse DNS runs", func(t *testing.T) {
		rep := explainOverDNS(t, dsn("x@example.org", "", "5.7.1", "554 5.7.1 Service unavailable; Client host [198.0.0.31] blocked", ""), mailcheck.WithReputation(false))
		assert.Equal(t, []string{"bounce.ptr-missing"}, findingCodes(rep.Bounces[0].Findings))
		assert.Equal(t, []string{"ptr"}, checkIDs(rep))
	})
}

func TestExplainBounceChecksTheLinksOfTheReturnedMessage(t *testing.T) {
	original := "From: alice@sender.example\r\nTo: bob@example.org\r\nSubject: invoice\r\n" +
		"Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@sender.example>\r\n" +
		"Content-Type: text/plain\r\n\r\nPay here: http://203.0.113.9/pay\r\n"
	notice := strings.Replace(dsn("bob@example.org", "", "5.7.1", "554 5.7.1 Spam Message Rejected", ""), "--b--\r\n",
		"--b\r\nContent-Type: message/rfc822\r\n\r\n"+original+"--b--\r\n", 1)
	rep := explainOverDNS(t, notice)
	b := rep.Bounces[0]
	require.Equal(t, []string{"bounce.content-rejected"}, findingCodes(b.Findings))
	assert.Equal(t, mailcheck.Error, b.Findings[0].Severity)
	assert.Contains(t, b.Findings[0].Message, "203.0.113.9")
	content := checkByID(rep, "message-content")
	require.NotNil(t, content, "the link check's findings are in the report")
	assert.Contains(t, findingCodes(content.Findings), "message.ip-link")
}

func TestExplainBounceLooksTheReturnedLinksUpInDomainBlocklists(t *testing.T) {
	notice := func(link string) string {
		original := "From: alice@sender.example\r\nTo: bob@example.org\r\nSubject: offer\r\n" +
			"Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: <2@sender.example>\r\n" +
			"Content-Type: text/plain\r\n\r\nOur offer: " + link + "\r\n"
		return strings.Replace(dsn("bob@example.org", "", "5.7.1", "554 5.7.1 Spam Message Rejected", ""), "--b--\r\n",
			"--b\r\nContent-Type: message/rfc822\r\n\r\n"+original+"--b--\r\n", 1)
	}
	t.Run("a link to a listed domain is named as the cause", func(t *testing.T) {
		rep := explainOverDNS(t, notice("https://www.listed-link.example/offer"))
		f := rep.Bounces[0].Findings
		require.Equal(t, []string{"bounce.content-rejected"}, findingCodes(f))
		assert.Equal(t, mailcheck.Error, f[0].Severity)
		assert.Contains(t, f[0].Message, "a link to listed-link.example, listed on Spamhaus DBL")
		assert.Contains(t, f[0].Fix, "check.spamhaus.org")
		lr := checkByID(rep, "link-reputation")
		require.NotNil(t, lr)
		assert.Contains(t, findingCodes(lr.Findings), "reputation.domain-listed")
	})
	t.Run("links on no list say the wording or reputation decided", func(t *testing.T) {
		rep := explainOverDNS(t, notice("https://clean-link.example/offer"))
		f := rep.Bounces[0].Findings
		require.Equal(t, []string{"bounce.content-rejected"}, findingCodes(f))
		assert.Equal(t, mailcheck.Warning, f[0].Severity)
		assert.Contains(t, f[0].Message, "on none of the blocklists looked up")
	})
	t.Run("with the lookups off the links are not looked up", func(t *testing.T) {
		rep := explainOverDNS(t, notice("https://www.listed-link.example/offer"), mailcheck.WithReputation(false))
		assert.Nil(t, checkByID(rep, "link-reputation"))
		assert.Equal(t, mailcheck.Warning, rep.Bounces[0].Findings[0].Severity)
	})
}

func TestCheckMessageLooksLinkDomainsUpOnlyWhenAsked(t *testing.T) {
	zone, err := os.ReadFile(bounceZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, dnstest.Zone(t, string(zone)+linkLists))
	msg := "From: alice@sender.example\r\nTo: bob@example.org\r\nSubject: offer\r\n" +
		"Date: Sun, 06 Dec 2026 10:00:00 +0000\r\nMessage-ID: <3@sender.example>\r\n" +
		"Content-Type: text/plain\r\n\r\nOur offer: https://www.listed-link.example/offer and https://clean-link.example/\r\n"
	check := func(opts ...mailcheck.Option) *mailcheck.Check {
		t.Helper()
		rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(msg), append([]mailcheck.Option{mailcheck.WithResolver(srv.Resolver(t))}, opts...)...)
		require.NoError(t, err)
		c := rep.Check("content")
		require.NotNil(t, c)
		return c
	}

	off := check()
	assert.NotContains(t, findingCodes(off.Findings), "message.link-listed")
	assert.Zero(t, srv.Count("listed-link.example.dbl.spamhaus.org.", "A"), "no blocklist query unless asked")

	on := check(mailcheck.WithReputation(true))
	assert.NotZero(t, srv.Count("listed-link.example.dbl.spamhaus.org.", "A"), "asked when on")
	require.Equal(t, []string{"message.link-listed"}, findingCodes(on.Findings))
	f := on.Findings[0]
	assert.Equal(t, mailcheck.Warning, f.Severity)
	assert.Contains(t, f.Message, "links to listed-link.example, which is listed on Spamhaus DBL")
	assert.Contains(t, f.Fix, "check.spamhaus.org")
	assert.Equal(t, mailcheck.StatusWarn, on.Status)
	cr := on.Details.(*mailcheck.ContentReport)
	require.NotNil(t, cr.LinkReputation)
	assert.Equal(t, []string{"listed-link.example", "clean-link.example"}, cr.Links.Domains)
}
