package dkim

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"os"
	"strings"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/header"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/publicsuffix"
)

const plainMessage = "From: Alice <alice@example.com>\r\n" +
	"To: Bob <bob@example.org>\r\n" +
	"Subject: Quarterly numbers\r\n" +
	"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"Hello Bob,\r\n\r\nthe numbers are attached.\r\n"

const listMessage = "From: News <news@example.com>\r\n" +
	"To: Bob <bob@example.org>\r\n" +
	"Subject: Newsletter\r\n" +
	"List-Unsubscribe: <https://example.com/u/1>\r\n" +
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" +
	"\r\n" +
	"News.\r\n"

// verifyZone publishes every key the message tests sign with.
func verifyZone(t *testing.T) (*dnstest.Server, *dnscheck.Resolver) {
	t.Helper()
	testKeys(t)
	ed := rawEd(edPrivate.Public().(ed25519.PublicKey))
	zone := txt("r2048._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey)) +
		txt("r1024._domainkey.example.com.", rsaRecord(t, &rsa1024.PublicKey)) +
		txt("ed._domainkey.example.com.", "v=DKIM1; k=ed25519; p="+ed) +
		txt("old._domainkey.example.com.", "v=DKIM1; p=") +
		txt("testing._domainkey.example.com.", "v=DKIM1; t=y; p="+spki(t, &rsa2048.PublicKey)) +
		txt("short._domainkey.example.com.", rsaRecord(t, fakeRSA(t, 512))) +
		txt("wrongtype._domainkey.example.com.", "v=DKIM1; k=rsa; p="+ed) +
		txt("fail._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey)) +
		txt("strict._domainkey.example.com.", "v=DKIM1; t=s; p="+spki(t, &rsa2048.PublicKey)) +
		txt("r2048._domainkey.mail.example.com.", rsaRecord(t, &rsa2048.PublicKey)) +
		txt("r2048._domainkey.esp.example.net.", rsaRecord(t, &rsa2048.PublicKey))
	srv, r := serve(t, zone)
	srv.SetFault("fail._domainkey.example.com.", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	return srv, r
}

type signOpt func(*msgauth.SignOptions)

func withKey(s crypto.Signer) signOpt { return func(o *msgauth.SignOptions) { o.Signer = s } }
func withCanon(h, b msgauth.Canonicalization) signOpt {
	return func(o *msgauth.SignOptions) { o.HeaderCanonicalization, o.BodyCanonicalization = h, b }
}
func withDomain(d string) signOpt     { return func(o *msgauth.SignOptions) { o.Domain = d } }
func withHeaders(h ...string) signOpt { return func(o *msgauth.SignOptions) { o.HeaderKeys = h } }
func withExpiry(x time.Time) signOpt  { return func(o *msgauth.SignOptions) { o.Expiration = x } }
func withSelector(s string) signOpt   { return func(o *msgauth.SignOptions) { o.Selector = s } }
func withIdentifier(i string) signOpt { return func(o *msgauth.SignOptions) { o.Identifier = i } }

// sign signs msg with go-msgauth, by default with the 2048-bit key at
// r2048._domainkey.example.com, relaxed/relaxed.
func sign(t testing.TB, msg string, opts ...signOpt) string {
	t.Helper()
	testKeys(t)
	o := msgauth.SignOptions{Domain: "example.com", Selector: "r2048", Signer: rsa2048,
		HeaderCanonicalization: msgauth.CanonicalizationRelaxed, BodyCanonicalization: msgauth.CanonicalizationRelaxed}
	for _, f := range opts {
		f(&o)
	}
	var b bytes.Buffer
	require.NoError(t, msgauth.Sign(&b, strings.NewReader(msg), &o))
	return b.String()
}

// editSignature changes the first DKIM-Signature field's text. The signature no
// longer verifies cryptographically; the tests using it check that the earlier,
// clearer reason is the one reported.
func editSignature(t *testing.T, signed, old, new string) string {
	t.Helper()
	i := strings.Index(signed, old)
	require.GreaterOrEqual(t, i, 0, "%q not in %q", old, signed)
	return signed[:i] + new + signed[i+len(old):]
}

func TestVerifyMessageOutcomes(t *testing.T) {
	_, r := verifyZone(t)
	tests := []struct {
		name    string
		msg     func(t *testing.T) string
		result  Outcome
		reason  Reason
		codes   []Code
		aligned bool
	}{
		{"an RSA 2048 relaxed signature passes and is aligned",
			func(t *testing.T) string { return sign(t, plainMessage) },
			Pass, "", []Code{CodeAlignedPass}, true},
		{"an RSA 1024 simple signature passes with a short-key warning",
			func(t *testing.T) string {
				return sign(t, plainMessage, withKey(rsa1024), withSelector("r1024"), withCanon(msgauth.CanonicalizationSimple, msgauth.CanonicalizationSimple))
			},
			Pass, "", []Code{CodeKeyShort, CodeAlignedPass}, true},
		{"an Ed25519 relaxed/simple signature passes",
			func(t *testing.T) string {
				return sign(t, plainMessage, withKey(edPrivate), withSelector("ed"), withCanon(msgauth.CanonicalizationRelaxed, msgauth.CanonicalizationSimple))
			},
			Pass, "", []Code{CodeAlignedPass}, true},
		{"a changed body is a body hash mismatch",
			func(t *testing.T) string {
				return strings.Replace(sign(t, plainMessage), "numbers are attached", "numbers are wrong", 1)
			},
			Fail, ReasonBodyHashMismatch, []Code{CodeBodyHashMismatch}, false},
		{"a changed signed header is a bad signature",
			func(t *testing.T) string {
				return strings.Replace(sign(t, plainMessage), "Subject: Quarterly numbers", "Subject: Quarterly numbers!", 1)
			},
			Fail, ReasonBadSignature, []Code{CodeSignatureInvalid}, false},
		{"an added body footer under simple canonicalization is a body hash mismatch",
			func(t *testing.T) string {
				return sign(t, plainMessage, withCanon(msgauth.CanonicalizationSimple, msgauth.CanonicalizationSimple)) + "-- \r\nSent via list\r\n"
			},
			Fail, ReasonBodyHashMismatch, []Code{CodeBodyHashMismatch}, false},
		{"a signature with l= is refused by policy",
			func(t *testing.T) string { return editSignature(t, sign(t, plainMessage), " v=1;", " v=1; l=10;") },
			Policy, ReasonLengthTag, []Code{CodeLengthTag}, false},
		{"an rsa-sha1 signature is refused by policy",
			func(t *testing.T) string {
				return editSignature(t, sign(t, plainMessage), "a=rsa-sha256", "a=rsa-sha1")
			},
			Policy, ReasonSHA1, []Code{CodeSignatureInvalid}, false},
		{"a key under 1024 bits is refused by policy",
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("short")) },
			Policy, ReasonShortKey, []Code{CodeKeyWeak}, false},
		{"a missing key is reported as missing",
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("gone")) },
			PermError, ReasonKeyMissing, []Code{CodeKeyMissing}, false},
		{"a revoked key is reported as revoked",
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("old")) },
			PermError, ReasonKeyRevoked, []Code{CodeKeyRevoked}, false},
		{"a key of the wrong type cannot be used",
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("wrongtype")) },
			PermError, ReasonKeyUnusable, []Code{CodeKeyTypeMismatch, CodeSignatureInvalid}, false},
		{"a SERVFAIL on the key is a temporary error",
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("fail")) },
			TempError, ReasonDNSError, []Code{CodeDNSError}, false},
		{"a signature that does not cover From is ignored",
			func(t *testing.T) string {
				return editSignature(t, sign(t, plainMessage, withHeaders("From", "To", "Subject")), "h=From:", "h=Date:")
			},
			PermError, ReasonFromNotSigned, []Code{CodeFromNotSigned}, false},
		{"a signature without bh= is a syntax error",
			func(t *testing.T) string { return editSignature(t, sign(t, plainMessage), " bh=", " xh=") },
			PermError, ReasonSyntax, []Code{CodeSignatureInvalid}, false},
		{"an expiry before the signing time is a syntax error",
			func(t *testing.T) string { return editSignature(t, sign(t, plainMessage), " v=1;", " v=1; x=1;") },
			PermError, ReasonSyntax, []Code{CodeSignatureInvalid}, false},
		{"a t=s key refuses an identity in a subdomain",
			func(t *testing.T) string {
				return sign(t, plainMessage, withSelector("strict"), withIdentifier("news@mail.example.com"))
			},
			PermError, ReasonKeyUnusable, []Code{CodeKeyStrict, CodeSignatureInvalid}, false},
		{"a t=s key accepts an identity at d= itself",
			func(t *testing.T) string {
				return sign(t, plainMessage, withSelector("strict"), withIdentifier("news@example.com"))
			},
			Pass, "", []Code{CodeKeyStrict, CodeAlignedPass}, true},
		{"a valid signature by another domain is not aligned",
			func(t *testing.T) string { return sign(t, plainMessage, withDomain("esp.example.net")) },
			Pass, "", []Code{CodeNotAligned}, false},
		{"a signature by a subdomain is aligned in relaxed mode",
			func(t *testing.T) string { return sign(t, plainMessage, withDomain("mail.example.com")) },
			Pass, "", []Code{CodeAlignedPass}, true},
		{"a pass with a testing key counts as unsigned for alignment",
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("testing")) },
			Pass, "", []Code{CodeKeyTesting}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := VerifyMessage(context.Background(), r, strings.NewReader(tt.msg(t)))
			require.NoError(t, err)
			require.Len(t, res.Signatures, 1)
			s := res.Signatures[0]
			assert.Equal(t, tt.result, s.Result, "detail: %s", s.Detail)
			assert.Equal(t, tt.reason, s.Reason, "detail: %s", s.Detail)
			assert.Equal(t, tt.codes, codes(res.AllFindings()))
			assert.Equal(t, tt.aligned, res.Aligned)
			assert.Equal(t, "example.com", res.FromDomain)
		})
	}
}

func TestVerifyMessageExpiry(t *testing.T) {
	_, r := verifyZone(t)
	signed := sign(t, plainMessage, withExpiry(time.Now().Add(time.Hour)))
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed), WithNow(later))
	require.NoError(t, err)
	s := res.Signatures[0]
	assert.Equal(t, Fail, s.Result)
	assert.Equal(t, ReasonExpired, s.Reason)
	assert.True(t, s.Expired)
	assert.Equal(t, []Code{CodeExpired}, codes(res.AllFindings()))

	res, err = VerifyMessage(context.Background(), r, strings.NewReader(signed))
	require.NoError(t, err)
	assert.Equal(t, Pass, res.Signatures[0].Result, "not expired yet")
}

func TestVerifyMessageReportsSignatureFacts(t *testing.T) {
	_, r := verifyZone(t)
	signed := sign(t, listMessage, withHeaders("From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"), withExpiry(time.Now().Add(24*time.Hour)))
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed))
	require.NoError(t, err)
	require.Len(t, res.Signatures, 1)
	s := res.Signatures[0]
	assert.Equal(t, "example.com", s.Domain)
	assert.Equal(t, "r2048", s.Selector)
	assert.Equal(t, "rsa-sha256", s.Algorithm)
	assert.Equal(t, "relaxed/relaxed", s.Canonicalization)
	assert.Equal(t, []string{"From", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post"}, s.SignedHeaders)
	assert.Equal(t, Coverage{From: true, Subject: true, ListUnsubscribe: true, ListUnsubscribePost: true}, s.Coverage)
	assert.Equal(t, KeyRSA, s.KeyType)
	assert.Equal(t, 2048, s.KeyBits)
	require.NotNil(t, s.Timestamp)
	require.NotNil(t, s.Expiration)
	assert.False(t, s.Expired)
	assert.Nil(t, s.BodyLength)
	assert.Equal(t, Pass, s.Result)
	assert.True(t, s.Aligned)
	assert.Equal(t, []Code{CodeAlignedPass}, codes(res.AllFindings()))
}

func TestVerifyMessageWantsListUnsubscribeSigned(t *testing.T) {
	_, r := verifyZone(t)
	signed := sign(t, listMessage, withHeaders("From", "Subject"))
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed))
	require.NoError(t, err)
	assert.Equal(t, Coverage{From: true, Subject: true}, res.Signatures[0].Coverage)
	assert.Equal(t, []Code{CodeAlignedPass, CodeListUnsubscribeNotSigned}, codes(res.AllFindings()))
}

func TestVerifyMessageUnsigned(t *testing.T) {
	_, r := verifyZone(t)
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(plainMessage))
	require.NoError(t, err)
	assert.Empty(t, res.Signatures)
	assert.Equal(t, []Code{CodeUnsigned}, codes(res.Findings))
}

func TestVerifyMessageKeepsSignaturesApart(t *testing.T) {
	_, r := verifyZone(t)
	// The outer signature (an ESP's) is added last, so it comes first in the header.
	inner := sign(t, plainMessage, withSelector("gone"))
	both := sign(t, inner, withDomain("esp.example.net"))
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(both))
	require.NoError(t, err)
	require.Len(t, res.Signatures, 2)
	assert.Equal(t, "esp.example.net", res.Signatures[0].Domain)
	assert.Equal(t, Pass, res.Signatures[0].Result)
	assert.Equal(t, PermError, res.Signatures[1].Result)
	assert.Equal(t, ReasonKeyMissing, res.Signatures[1].Reason)
	assert.False(t, res.Aligned)
	assert.Equal(t, []Code{CodeKeyMissing, CodeNotAligned}, codes(res.AllFindings()))
}

func TestVerifyMessageAlignmentIsConfigurable(t *testing.T) {
	_, r := verifyZone(t)
	strict := func(from, d string) bool { return strings.EqualFold(from, d) }
	signed := sign(t, plainMessage, withDomain("mail.example.com"))
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed), WithAlignment(strict))
	require.NoError(t, err)
	assert.False(t, res.Aligned)
	assert.Equal(t, []Code{CodeNotAligned}, codes(res.AllFindings()))

	relaxed := func(from, d string) bool {
		a, _ := publicsuffix.EffectiveTLDPlusOne(from)
		b, _ := publicsuffix.EffectiveTLDPlusOne(d)
		return a != "" && a == b
	}
	res, err = VerifyMessage(context.Background(), r, strings.NewReader(signed), WithAlignment(relaxed))
	require.NoError(t, err)
	assert.True(t, res.Aligned)
}

func TestVerifyMessageNeedsOneFromDomain(t *testing.T) {
	_, r := verifyZone(t)
	msg := "From: a@example.com, b@example.org\r\nSubject: x\r\n\r\nbody\r\n"
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(sign(t, msg)))
	require.NoError(t, err)
	assert.Empty(t, res.FromDomain)
	assert.Contains(t, res.FromError, "2 addresses")
	assert.Equal(t, Pass, res.Signatures[0].Result)
	assert.Equal(t, []Code{CodeNotAligned}, codes(res.AllFindings()))
}

func TestVerifyMessageRFC8463Example(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("../testdata/zones/dkim-rfc8463.zone")
	require.NoError(t, err)
	r := dnstest.Start(t, z).Resolver(t)
	f, err := os.Open("../testdata/dkim/rfc8463-a3.eml")
	require.NoError(t, err)
	defer f.Close()

	res, err := VerifyMessage(context.Background(), r, f)
	require.NoError(t, err)
	require.Len(t, res.Signatures, 2)
	ed, rsa := res.Signatures[0], res.Signatures[1]
	assert.Equal(t, Pass, ed.Result, ed.Detail)
	assert.Equal(t, "ed25519-sha256", ed.Algorithm)
	assert.Equal(t, KeyEd25519, ed.KeyType)
	assert.Equal(t, "@football.example.com", ed.Identifier)
	assert.Equal(t, []string{"from", "to", "subject", "date", "message-id", "from", "subject", "date"}, ed.SignedHeaders)
	assert.Equal(t, time.Unix(1528637909, 0).UTC(), *ed.Timestamp)
	assert.Equal(t, Pass, rsa.Result, rsa.Detail)
	assert.Equal(t, 1024, rsa.KeyBits)
	assert.True(t, res.Aligned)
	assert.Equal(t, []Code{CodeKeyShort, CodeAlignedPass}, codes(res.AllFindings()))
}

func TestVerifyMessageBadInput(t *testing.T) {
	_, r := verifyZone(t)
	for _, msg := range []string{"", "no header end", "DKIM-Signature: v=1; a=rsa-sha256\r\n", "\r\n\r\n", "DKIM-Signature: ;;;\r\n\r\nbody", "DKIM-Signature: v=1\r\n\r\r\nFrom: a@example.com\r\n\r\nbody"} {
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(msg))
		require.NoError(t, err, "message %q", msg)
		for _, s := range res.Signatures {
			assert.NotEqual(t, Pass, s.Result)
		}
	}
}
func TestVerifyMessageAcceptsLFLineEnds(t *testing.T) {
	_, r := verifyZone(t)
	for _, canon := range []signOpt{withCanon("simple", "simple"), withCanon("relaxed", "relaxed")} {
		signed := strings.ReplaceAll(sign(t, plainMessage, canon), "\r\n", "\n")
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed))
		require.NoError(t, err)
		assert.Equal(t, Pass, res.Signatures[0].Result, res.Signatures[0].Detail)
	}
}

func TestWhitespaceHint(t *testing.T) {
	relaxed := &Signature{Canonicalization: "relaxed/relaxed", SignedHeaders: []string{"from", "subject"}}
	tests := []struct {
		name  string
		sig   *Signature
		field string
		want  string
	}{
		{"U+00A0 in a signed field is named", relaxed, "Subject: a\u00a0b\r\n", "holds U+00A0"},
		{"U+3000 in a signed field is named", relaxed, "Subject: a\u3000b\r\n", "holds U+3000"},
		{"a UTF-8 character with a byte 0xA0 is named", relaxed, "Subject: 報告\r\n", "holds the byte 0xA0 (in '報')"},
		{"a lone Latin-1 byte 0xA0 is named", relaxed, "Subject: a\xa0b\r\n", "holds the byte 0xA0, which"},
		{"a vertical tab is named", relaxed, "Subject: a\vb\r\n", "holds U+000B"},
		{"an unsigned field is not looked at", relaxed, "X-Note: a\u00a0b\r\n", ""},
		{"plain ASCII gives no hint", relaxed, "Subject: a  b\r\n", ""},
		{"simple header canonicalization gives no hint", &Signature{Canonicalization: "simple/simple", SignedHeaders: []string{"subject"}}, "Subject: a\u00a0b\r\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, err := header.Read(bufio.NewReader(strings.NewReader(tt.field+"\r\n")), 0)
			require.NoError(t, err)
			got := whitespaceHint(tt.sig, sec.Fields)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tt.want)
		})
	}
}
