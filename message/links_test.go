package message

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hdr = "From: a@example.com\r\nTo: b@example.net\r\nSubject: t\r\nDate: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n"

// alternative is a message with a text/plain and a text/html part.
func alternative(text, htmlBody string) string {
	return hdr + "Content-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n" +
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + htmlBody + "\r\n--b--\r\n"
}

func plain(text string) string {
	return hdr + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
}

func linkCodes(t *testing.T, msg string) ([]string, *Links) {
	t.Helper()
	res, err := CheckLinks(context.Background(), strings.NewReader(msg))
	require.NoError(t, err)
	var out []string
	for _, f := range res.Findings {
		out = append(out, string(f.Code))
	}
	return out, res
}

func TestLinkRulesTrigger(t *testing.T) {
	for _, tc := range []struct {
		name, msg, code, link string
	}{
		{"a scheme without its colon, and a dot after the slashes (the issue's link)", plain("Book at http//.domain.xyz/book now."), "message.malformed-link", "http//.domain.xyz/book"},
		{"a scheme with one slash", plain("See http:/example.com/x"), "message.malformed-link", "http:/example.com/x"},
		{"a misspelt scheme", plain("See htp://example.com/x"), "message.malformed-link", "htp://example.com/x"},
		{"three slashes: no host", plain("See https:///path"), "message.malformed-link", "https:///path"},
		{"an empty host", alternative("x", `<a href="http://">site</a>`), "message.malformed-link", "http://"},
		{"a dot right after the scheme in an href", alternative("x", `<a href="https://.example.com/">site</a>`), "message.malformed-link", "https://.example.com/"},
		{"a malformed href", alternative("x", `<a href="http//www.example.com/">our site</a>`), "message.malformed-link", "http//www.example.com/"},
		{"link text naming another domain", alternative("x", `<p><a href="https://login.evil.example/paypal">https://www.paypal.com/signin</a></p>`), "message.link-text-mismatch", "https://login.evil.example/paypal"},
		{"link text that is a bare domain", alternative("x", `<a href="https://track.mailer.example/c/1">example.com</a>`), "message.link-text-mismatch", "https://track.mailer.example/c/1"},
		{"an IPv4 host", plain("Log in at http://192.0.2.10/login"), "message.ip-link", "http://192.0.2.10/login"},
		{"an IPv6 host with a port", alternative("x", `<a href="https://[2001:db8::1]:8443/">portal</a>`), "message.ip-link", "https://[2001:db8::1]:8443/"},
		{"a decimal IPv4 host", plain("http://3232235777/x"), "message.ip-link", "http://3232235777/x"},
		{"an HTML entity hides the IP", alternative("x", `<a href="http&#58;//10.0.0.1/">x</a>`), "message.ip-link", "http://10.0.0.1/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes, res := linkCodes(t, tc.msg)
			assert.Equal(t, []string{tc.code}, codes)
			require.NotEmpty(t, res.Findings)
			assert.Contains(t, res.Findings[0].Message, fmt.Sprintf("%q", tc.link))
		})
	}
}

func TestCleanLinksPass(t *testing.T) {
	for _, tc := range []struct{ name, msg string }{
		{"ports and paths", plain("https://example.com:8443/a?b=c#d and http://example.com/x, (https://example.org/y).")},
		{"IDNs, in text and href", alternative("https://bücher.example/ and https://xn--bcher-kva.example/",
			`<a href="https://xn--bcher-kva.example/shop">bücher.example</a>`)},
		{"the same registrable domain in text and target", alternative("x",
			`<a href="https://click.news.example.com/r/1">https://www.example.com/offer</a> <a href="https://example.co.uk/">www.example.co.uk</a>`)},
		{"mailto, tel, anchors and relative links", alternative("Write to mailto:info@example.com or call tel:+41221234567.",
			`<a href="mailto:info@example.com">info@example.com</a> <a href="tel:+41221234567">+41 22 123 45 67</a> <a href="#top">Top</a> <a href="/about">About</a> <a href="//cdn.example.com/x">cdn</a> <a href="page.html">page.html</a>`)},
		{"words as link text", alternative("x", `<a href="https://tracker.example/1">Click here</a> <a href="https://files.example/r.pdf">report.pdf</a> <a href="https://x.example/">Setup.exe</a>`)},
		{"prose with colons", plain("Note: HTTP: is a protocol; time 12:30; ratio 3:1; e.g.: fine")},
		{"script and style contents are not text", alternative("x", `<style>a{b:url(http//x)}</style><script>var u="http//x";</script>`)},
		{"other schemes", plain("ftp://ftp.example.com/pub file:///C:/x urn:isbn:123 news:comp.mail")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codes, _ := linkCodes(t, tc.msg)
			assert.Empty(t, codes)
		})
	}
}

func TestHTMLOnly(t *testing.T) {
	htmlOnly := hdr + "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello</p>\r\n"
	codes, res := linkCodes(t, htmlOnly)
	assert.Equal(t, []string{"message.html-only"}, codes)
	assert.Equal(t, finding.Warning, res.Findings[0].Severity)

	codes, _ = linkCodes(t, alternative("Hello", "<p>Hello</p>"))
	assert.Empty(t, codes, "multipart/alternative with a text part")

	forwarded := hdr + "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: old\r\nContent-Type: text/html\r\n\r\n<a href=\"http//x.example\">x</a>\r\n--m--\r\n"
	codes, _ = linkCodes(t, forwarded)
	assert.Empty(t, codes, "an attached message is not the sender's own text")
}

func TestLinksAreDecoded(t *testing.T) {
	t.Run("base64 HTML", func(t *testing.T) {
		body := base64.StdEncoding.EncodeToString([]byte(`<a href="http://192.0.2.1/">x</a>`))
		msg := hdr + "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + "\r\n--b--\r\n"
		codes, _ := linkCodes(t, msg)
		assert.Equal(t, []string{"message.ip-link"}, codes)
	})
	t.Run("quoted-printable text in Latin-1, the link split by a soft break", func(t *testing.T) {
		msg := hdr + "Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nR=E9servez sur http//.domain=\r\n.xyz/r maintenant\r\n"
		codes, res := linkCodes(t, msg)
		assert.Equal(t, []string{"message.malformed-link"}, codes)
		assert.Contains(t, res.Findings[0].Message, `"http//.domain.xyz/r"`)
	})
	t.Run("attachments are not read for links", func(t *testing.T) {
		msg := hdr + "Content-Type: multipart/mixed; boundary=m\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nhi\r\n--m\r\nContent-Type: text/plain; name=\"log.txt\"\r\nContent-Disposition: attachment; filename=\"log.txt\"\r\n\r\nhttp//broken\r\n--m--\r\n"
		codes, _ := linkCodes(t, msg)
		assert.Empty(t, codes)
	})
}

func TestLinkFindingsAreCountedOnce(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, "http//bad%d.example http//bad0.example\r\n", i)
	}
	_, res := linkCodes(t, alternative(b.String(), `<a href="http//bad0.example">http//bad0.example</a>`))
	require.Len(t, res.Findings, 1)
	f := res.Findings[0]
	assert.True(t, strings.HasPrefix(f.Message, "30 malformed link(s)"), f.Message)
	assert.Len(t, f.Evidence.Records, maxLinkExamples)
}

func TestLinkReadingIsBounded(t *testing.T) {
	big := strings.Repeat("word ", MaxLinkPartBytes/5+10) + " http://192.0.2.1/"
	codes, res := linkCodes(t, plain(big))
	assert.Empty(t, codes, "the link past the per-part bound is not read")
	assert.True(t, res.Truncated)
	assert.Equal(t, int64(MaxLinkPartBytes), res.Bytes)
}

func TestOneEditFrom(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"htp", "http", true}, {"htttp", "http", true}, {"hhtp", "http", true}, {"htpt", "http", true},
		{"thtp", "http", true}, {"https", "http", true}, {"http", "http", false}, {"ftp", "http", false},
		{"hxxp", "http", false}, {"file", "http", false},
	} {
		assert.Equal(t, tc.want, oneEditFrom(tc.a, tc.b), "%s → %s", tc.a, tc.b)
	}
}

func TestLinkDomainsAreTheRegistrableDomainsLinkedTo(t *testing.T) {
	_, res := linkCodes(t, alternative(
		"See https://www.Example.com/a and https://click.news.example.co.uk/x?u=1, again https://example.com/b.\r\n"+
			"Not domains: http://192.0.2.1/ http//bad.example mailto:x@mail.example.org",
		`<a href="https://shop.example.net/">shop</a> <a href="https://www.example.com/c">here</a>`))
	assert.Equal(t, []string{"example.com", "example.co.uk", "example.net"}, res.Domains)

	var b strings.Builder
	for i := range MaxLinkDomains + 5 {
		fmt.Fprintf(&b, "https://d%d.example/ ", i)
	}
	_, res = linkCodes(t, plain(b.String()))
	require.Len(t, res.Domains, MaxLinkDomains, "bounded")
	assert.Equal(t, "d0.example", res.Domains[0])
}
