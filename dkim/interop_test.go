package dkim

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The interop corpus (testdata/dkim/interop, see its README.md) holds messages signed
// by implementations other than go-msgauth: the mailauth npm package and a small
// standard-library signer. The expected results come from the RFCs, not from what a
// verifier happens to say.
const interopDir = "../testdata/dkim/interop"

// want is one signature's expected outcome.
type want struct {
	result Outcome
	reason Reason
}

var (
	pass        = want{Pass, ""}
	badSig      = want{Fail, ReasonBadSignature}
	bodyChanged = want{Fail, ReasonBodyHashMismatch}
)

func TestVerifyMessageInterop(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("../testdata/zones/dkim-interop.zone")
	require.NoError(t, err)
	r := dnstest.Start(t, z).Resolver(t)
	now := func() time.Time { return time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC) }

	tests := []struct {
		file    string
		name    string
		want    []want
		aligned bool
	}{
		// Canonicalizations and key types (mailauth).
		{"rsa2048-relaxed-relaxed.eml", "an RSA 2048 relaxed/relaxed signature passes", []want{pass}, true},
		{"rsa2048-simple-simple.eml", "an RSA 2048 simple/simple signature passes", []want{pass}, true},
		{"rsa1024-relaxed-simple.eml", "an RSA 1024 relaxed/simple signature passes", []want{pass}, true},
		{"ed25519-simple-relaxed.eml", "an Ed25519 simple/relaxed signature passes (RFC 8463)", []want{pass}, true},
		{"ed25519-relaxed-relaxed.eml", "an Ed25519 relaxed/relaxed signature passes (RFC 8463)", []want{pass}, true},
		{"ed25519-hand-simple-simple.eml", "a hand-made Ed25519 simple/simple signature passes (RFC 8463 §3)", []want{pass}, true},
		// Header and body shapes (mailauth).
		{"folded-headers-simple-simple.eml", "header fields folded over several lines pass with simple (RFC 6376 §3.4.1)", []want{pass}, true},
		{"folded-headers-relaxed-relaxed.eml", "header fields folded over several lines pass with relaxed (RFC 6376 §3.4.2)", []want{pass}, true},
		{"empty-body-simple-simple.eml", "an empty body passes with simple: it hashes as one CRLF (RFC 6376 §3.4.3)", []want{pass}, true},
		{"empty-body-relaxed-relaxed.eml", "an empty body passes with relaxed: it hashes as nothing (RFC 6376 §3.4.4)", []want{pass}, true},
		{"empty-body-relaxed-blank-lines.eml", "blank lines added to an empty relaxed body still pass (RFC 6376 §3.4.4)", []want{pass}, true},
		{"trailing-space-simple-simple.eml", "trailing whitespace and blank lines pass with simple (RFC 6376 §3.4.3)", []want{pass}, true},
		{"trailing-space-relaxed-relaxed.eml", "trailing whitespace and blank lines pass with relaxed (RFC 6376 §3.4.4)", []want{pass}, true},
		{"utf8-simple-simple.eml", "8-bit UTF-8 in header and body passes with simple", []want{pass}, true},
		{"utf8-relaxed-relaxed.eml", "8-bit UTF-8 in header and body passes with relaxed and Ed25519", []want{pass}, true},
		{"utf8-hand-relaxed-relaxed.eml", "a header byte 0xA0 inside UTF-8 is not whitespace for relaxed canonicalization (RFC 6376 §3.4.2)", []want{pass}, true},
		// mailauth 4.13.3 canonicalizes header fields as a Latin-1 string with the
		// JavaScript regexp \s, which takes byte 0xA0 (here from 報, E5 A0 B1) for
		// whitespace and writes a space. RFC 6376 §3.4.2 has only SP and HTAB as
		// whitespace, so what it signed is not this message's canonical form: by the
		// RFC the signature does not verify (mailauth's own verifier, having the same
		// quirk, says pass, and fails the RFC-made signature just above).
		{"utf8-a0-byte-relaxed-relaxed.eml", "a signature made over 0xA0 bytes turned into spaces is a bad signature (RFC 6376 §3.4.2)", []want{badSig}, false},
		{"long-lines-relaxed-relaxed.eml", "a 900-octet header field and a 4000-octet body line pass with relaxed", []want{pass}, true},
		{"long-lines-simple-simple.eml", "a 900-octet header field and a 4000-octet body line pass with simple", []want{pass}, true},
		{"crlf-simple-simple.eml", "a message with CRLF line ends passes", []want{pass}, true},
		{"lf-simple-simple.eml", "the same message stored with LF line ends passes: canonical form is CRLF (RFC 6376 §3.4, §5.3)", []want{pass}, true},
		{"lf-relaxed-relaxed.eml", "a relaxed signature on a message stored with LF line ends passes", []want{pass}, true},
		// nodemailer 8.0.7 (lib/dkim), the signer most Node.js senders use.
		{"nodemailer-relaxed-relaxed.eml", "a nodemailer relaxed/relaxed signature passes", []want{pass}, true},
		// nodemailer canonicalizes header fields with the JavaScript regexp \s on
		// decoded text, which takes U+00A0 and U+3000 for whitespace; RFC 6376 §3.4.2
		// has only SP and HTAB, so the signature is over other data than the RFC's
		// canonical form (mailauth's verifier fails it too).
		{"nodemailer-nbsp-relaxed-relaxed.eml", "a nodemailer signature over a Subject with U+00A0 and U+3000 is a bad signature (RFC 6376 §3.4.2)", []want{badSig}, false},
		// c= defaults (hand-signed).
		{"c-relaxed-only.eml", "c=relaxed alone means relaxed/simple and passes (RFC 6376 §3.5)", []want{pass}, true},
		{"c-absent.eml", "a signature without c= is simple/simple and passes (RFC 6376 §3.5)", []want{pass}, true},
		// Several signatures and alignment (mailauth).
		{"two-signatures-one-broken.eml", "of two signatures the valid one passes and the one with the wrong key fails", []want{pass, badSig}, true},
		{"parent-domain-aligned.eml", "d= the parent of the From domain passes and is aligned in relaxed mode (RFC 7489 §3.1.1)", []want{pass}, true},
		{"other-org-not-aligned.eml", "d= in another organizational domain passes but is not aligned", []want{pass}, false},
		// Hand-signed (standard library signer).
		{"oversigned-from.eml", "h=from:from over-signs From and passes (RFC 6376 §5.4.2)", []want{pass}, true},
		{"oversigned-from-second-from.eml", "a second From added to an over-signed message breaks the signature (RFC 6376 §5.4.2)", []want{badSig}, false},
		{"absent-header-signed.eml", "a field in h= that the message lacks hashes as nothing and passes (RFC 6376 §5.4)", []want{pass}, true},
		{"absent-header-added.eml", "adding the field h= named while absent breaks the signature (RFC 6376 §5.4)", []want{badSig}, false},
		{"identity-subdomain.eml", "i= in a subdomain of d= passes (RFC 6376 §3.5)", []want{pass}, true},
		{"identity-subdomain-strict-key.eml", "i= in a subdomain of d= with a t=s key is unusable (RFC 6376 §3.6.1)", []want{{PermError, ReasonKeyUnusable}}, false},
		// By RFC 6376 §3.5 and §3.7 this signature is valid: only the b= tag's value is
		// removed before hashing. go-msgauth 0.7.0 also removes the "b=example.org@..."
		// inside i= and so cannot check it; the report says exactly that rather than
		// calling the signature bad (or good).
		{"identity-local-part-b-equals.eml", "i= whose local part holds \"b=\" is reported as not checkable by go-msgauth, not as bad", []want{{Neutral, ReasonVerifierLimit}}, false},
		{"no-body-no-empty-line-simple-simple.eml", "a message of header fields only, without the empty line, passes with simple (RFC 5322 §3.5, RFC 6376 §3.4.3)", []want{pass}, true},
		{"no-body-no-empty-line-relaxed-relaxed.eml", "a message of header fields only, without the empty line, passes with relaxed (RFC 6376 §3.4.4)", []want{pass}, true},
		// By RFC 6376 §3.5 and RFC 4343 i= is within d= here. go-msgauth 0.7.0 compares
		// the two with case and stops with "domain mismatch"; the report says it could
		// not check the signature instead of calling it invalid.
		{"identity-domain-case.eml", "d=Example.COM with i=alice@example.com is reported as not checkable by go-msgauth, not as invalid", []want{{Neutral, ReasonVerifierLimit}}, false},
		{"identity-outside-domain.eml", "i= outside d= makes the signature invalid (RFC 6376 §3.5, §6.1.1)", []want{{PermError, ReasonSyntax}}, false},
		// Key records in less common shapes (testdata/zones/dkim-interop.zone).
		{"key-fws.eml", "a key whose p= holds spaces, a tab and a fold is usable (RFC 6376 §3.6.1 base64string)", []want{pass}, true},
		{"key-upper.eml", "a key with k=RSA, h=SHA256 and s=Email is unusable: tag values are case-sensitive (RFC 6376 §3.2)", []want{{PermError, ReasonKeyUnusable}}, false},
		{"key-hashes.eml", "a key whose h= also names an unknown hash is usable (RFC 6376 §3.6.1)", []want{pass}, true},
		{"key-legacy-g.eml", "a key with RFC 4871's g= is usable: RFC 6376 ignores the tag", []want{pass}, true},
		{"key-trailing.eml", "a key with an unknown tag and a trailing semicolon is usable (RFC 6376 §3.2)", []want{pass}, true},
		{"key-duplicate.eml", "a key record with a repeated tag is unusable (RFC 6376 §3.2)", []want{{PermError, ReasonKeyUnusable}}, false},
		{"key-unknown-k.eml", "a key with an unknown k= is unusable (RFC 6376 §3.6.1)", []want{{PermError, ReasonKeyUnusable}}, false},
		// Edits after signing.
		{"tampered-body.eml", "a changed body is a body hash mismatch", []want{bodyChanged}, false},
		{"tampered-signed-header.eml", "a changed signed header field is a bad signature", []want{badSig}, false},
		{"unsigned-header-added.eml", "header fields added on the way that were not signed still pass", []want{pass}, true},
		// RFC 6376 §5.4.2 picks the last From, which is the signed one, so the
		// signature passes; but with two From fields the author is ambiguous and DMARC
		// must not count the signature (RFC 7489 §6.6.1), so it is not aligned.
		{"from-added-above.eml", "a second From added above the signed one passes but is not aligned (RFC 7489 §6.6.1)", []want{pass}, false},
		{"relaxed-header-respaced.eml", "a signed field re-spaced and its name upper-cased still passes with relaxed (RFC 6376 §3.4.2)", []want{pass}, true},
		{"simple-header-respaced.eml", "a signed field re-spaced fails with simple (RFC 6376 §3.4.1)", []want{badSig}, false},
		{"subject-added-above.eml", "a Subject added above the signed one passes: the verifier takes the last instance (RFC 6376 §5.4.2)", []want{pass}, true},
		{"subject-added-below.eml", "a Subject added below the signed one breaks the signature (RFC 6376 §5.4.2)", []want{badSig}, false},
		{"simple-body-more-blank-lines.eml", "blank lines added at the end of a simple body still pass (RFC 6376 §3.4.3)", []want{pass}, true},
		{"simple-body-respaced.eml", "whitespace changed inside a simple body is a body hash mismatch", []want{bodyChanged}, false},
		{"relaxed-body-respaced.eml", "whitespace changed inside a relaxed body still passes (RFC 6376 §3.4.4)", []want{pass}, true},
	}
	files, err := filepath.Glob(filepath.Join(interopDir, "*.eml"))
	require.NoError(t, err)
	var listed []string
	for _, tt := range tests {
		listed = append(listed, tt.file)
	}
	for _, f := range files {
		assert.Contains(t, listed, filepath.Base(f), "every corpus message has an expected outcome")
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(interopDir, tt.file))
			require.NoError(t, err)
			defer f.Close()
			res, err := VerifyMessage(context.Background(), r, f, WithNow(now))
			require.NoError(t, err)
			require.Len(t, res.Signatures, len(tt.want))
			for i, w := range tt.want {
				s := res.Signatures[i]
				assert.Equal(t, w.result, s.Result, "signature %d: %s", i, s.Detail)
				assert.Equal(t, w.reason, s.Reason, "signature %d: %s", i, s.Detail)
			}
			assert.Equal(t, tt.aligned, res.Aligned)
		})
	}
}

// TestVerifyMessageInteropFacts checks what is reported about signatures written by
// another implementation: mailauth writes h= with spaces after the colons, which
// RFC 6376 §3.5 allows (FWS around ":").
func TestVerifyMessageInteropFacts(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("../testdata/zones/dkim-interop.zone")
	require.NoError(t, err)
	r := dnstest.Start(t, z).Resolver(t)
	read := func(t *testing.T, file string) *MessageReport {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(interopDir, file))
		require.NoError(t, err)
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(string(b)))
		require.NoError(t, err)
		require.NotEmpty(t, res.Signatures)
		return res
	}

	t.Run("mailauth's spaced h= list is read name by name", func(t *testing.T) {
		s := read(t, "rsa2048-relaxed-relaxed.eml").Signatures[0]
		assert.Equal(t, []string{"Content-Type", "MIME-Version", "Message-ID", "Date", "Subject", "To", "From"}, s.SignedHeaders)
		assert.True(t, s.Coverage.From)
		assert.True(t, s.Coverage.Subject)
		assert.Equal(t, "relaxed/relaxed", s.Canonicalization)
		assert.Equal(t, 2048, s.KeyBits)
	})
	t.Run("an Ed25519 key is reported with its type", func(t *testing.T) {
		s := read(t, "ed25519-simple-relaxed.eml").Signatures[0]
		assert.Equal(t, "ed25519-sha256", s.Algorithm)
		assert.Equal(t, KeyEd25519, s.KeyType)
		assert.Equal(t, "simple/relaxed", s.Canonicalization)
	})
	t.Run("a 1024-bit key passes with the short-key warning", func(t *testing.T) {
		res := read(t, "rsa1024-relaxed-simple.eml")
		assert.Equal(t, 1024, res.Signatures[0].KeyBits)
		assert.Equal(t, []Code{CodeKeyShort, CodeAlignedPass}, codes(res.AllFindings()))
	})
	t.Run("over-signing is reported as written", func(t *testing.T) {
		s := read(t, "oversigned-from.eml").Signatures[0]
		assert.Equal(t, []string{"from", "from", "to", "subject", "date", "message-id"}, s.SignedHeaders)
	})
	t.Run("a second From leaves the author domain unknown", func(t *testing.T) {
		res := read(t, "oversigned-from-second-from.eml")
		assert.Empty(t, res.FromDomain)
		assert.Contains(t, res.FromError, "2 From header fields")
	})
	t.Run("a signature by another organization is reported as not aligned", func(t *testing.T) {
		res := read(t, "other-org-not-aligned.eml")
		assert.Equal(t, "esp.example.net", res.Signatures[0].Domain)
		assert.False(t, res.Signatures[0].Aligned)
		assert.True(t, slices.Contains(codes(res.Findings), CodeNotAligned))
	})
	t.Run("a parent-domain signature is not aligned under strict alignment", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(interopDir, "parent-domain-aligned.eml"))
		require.NoError(t, err)
		strict := func(from, d string) bool { return strings.EqualFold(from, d) }
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(string(b)), WithAlignment(strict))
		require.NoError(t, err)
		assert.Equal(t, "mail.example.com", res.FromDomain)
		assert.Equal(t, Pass, res.Signatures[0].Result)
		assert.False(t, res.Aligned)
	})
	t.Run("a signature go-msgauth cannot check says why, with a warning", func(t *testing.T) {
		res := read(t, "identity-local-part-b-equals.eml")
		s := res.Signatures[0]
		assert.Contains(t, s.Detail, "i=")
		assert.Equal(t, []Code{CodeSignatureUnverifiable}, codes(res.AllFindings()))
	})
	t.Run("d= and i= differing only in case is reported as not checkable, with a warning", func(t *testing.T) {
		res := read(t, "identity-domain-case.eml")
		assert.Equal(t, "example.com", res.Signatures[0].Domain)
		assert.Contains(t, res.Signatures[0].Detail, "d=Example.COM")
		assert.Equal(t, []Code{CodeSignatureUnverifiable}, codes(res.AllFindings()))
	})
	t.Run("a bad relaxed signature over U+00A0 names it as the likely cause", func(t *testing.T) {
		s := read(t, "nodemailer-nbsp-relaxed-relaxed.eml").Signatures[0]
		assert.Equal(t, ReasonBadSignature, s.Reason)
		assert.Contains(t, s.Detail, "the signed Subject field holds U+00A0")
	})
	t.Run("a bad relaxed signature over a UTF-8 byte 0xA0 names it as the likely cause", func(t *testing.T) {
		s := read(t, "utf8-a0-byte-relaxed-relaxed.eml").Signatures[0]
		assert.Equal(t, ReasonBadSignature, s.Reason)
		assert.Contains(t, s.Detail, `the signed Subject field holds the byte 0xA0 (in '報')`)
	})
	t.Run("a bad simple signature gets no whitespace hint", func(t *testing.T) {
		s := read(t, "simple-header-respaced.eml").Signatures[0]
		assert.Equal(t, ReasonBadSignature, s.Reason)
		assert.NotContains(t, s.Detail, "RFC 6376 §3.4.2")
	})
	t.Run("c= defaults are filled in", func(t *testing.T) {
		assert.Equal(t, "relaxed/simple", read(t, "c-relaxed-only.eml").Signatures[0].Canonicalization)
		assert.Equal(t, "simple/simple", read(t, "c-absent.eml").Signatures[0].Canonicalization)
	})
	t.Run("i= is reported as signed", func(t *testing.T) {
		s := read(t, "identity-subdomain.eml").Signatures[0]
		assert.Equal(t, "bounces@mail.example.com", s.Identifier)
	})
}
