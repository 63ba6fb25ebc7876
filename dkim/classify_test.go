package dkim

import (
	"context"
	"crypto/ed25519"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClassifyPinsGoMsgauthErrors builds, for every go-msgauth 0.7.0 failure that
// classify tells apart by its text, a message that produces it, and pins the
// classification (and, where the reason keeps it, the text). A go-msgauth upgrade
// that rewords an error makes the signature fall to ReasonOther, and this test fail.
func TestClassifyPinsGoMsgauthErrors(t *testing.T) {
	testKeys(t)
	rsaKey := spki(t, &rsa2048.PublicKey)
	ed := rawEd(edPrivate.Public().(ed25519.PublicKey))
	zone := txt("r2048._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey)) +
		txt("ed._domainkey.example.com.", "v=DKIM1; k=ed25519; p="+ed) +
		txt("sha1only._domainkey.example.com.", "v=DKIM1; h=sha1; p="+rsaKey) +
		txt("otherservice._domainkey.example.com.", "v=DKIM1; s=other; p="+rsaKey) +
		txt("twice._domainkey.example.com.", "v=DKIM1; p="+rsaKey) + txt("twice._domainkey.example.com.", "v=DKIM1; p="+rsaKey) +
		txt("badbase64._domainkey.example.com.", "v=DKIM1; p=!!!!") +
		txt("v2._domainkey.example.com.", "v=DKIM2; p="+rsaKey)
	_, r := serve(t, zone)

	// expiredBySigner returns a signature whose x= is past by the clock go-msgauth
	// reads (time.Now) and still ahead by the one this package is given, so the
	// expiry is go-msgauth's finding.
	x := time.Now().Add(-time.Minute).Unix()
	expiredBySigner := func(t *testing.T) string {
		signed := sign(t, plainMessage, withExpiry(time.Now().Add(time.Hour)))
		signed = regexp.MustCompile(`t=\d+`).ReplaceAllString(signed, "t="+strconv.FormatInt(x-3600, 10))
		return regexp.MustCompile(`x=\d+`).ReplaceAllString(signed, "x="+strconv.FormatInt(x, 10))
	}

	tests := []struct {
		name   string
		msg    func(t *testing.T) string
		opts   []Option
		result Outcome
		reason Reason
		detail string // go-msgauth's text, where the reason keeps it
	}{
		{`"body hash did not verify" is a body hash mismatch`,
			func(t *testing.T) string { return strings.Replace(sign(t, plainMessage), "attached", "lost", 1) },
			nil, Fail, ReasonBodyHashMismatch, ""},
		{`"signature did not verify" is a bad signature`,
			func(t *testing.T) string { return strings.Replace(sign(t, plainMessage), "Quarterly", "Monthly", 1) },
			nil, Fail, ReasonBadSignature, ""},
		{`"signature has expired" is expired`,
			expiredBySigner, []Option{WithNow(func() time.Time { return time.Unix(x-60, 0) })},
			Fail, ReasonExpired, "signature has expired"},
		{`"inappropriate key algorithm" is an unusable key`,
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("ed")) },
			nil, PermError, ReasonKeyUnusable, "inappropriate key algorithm"},
		{`"inappropriate hash algorithm" is an unusable key`,
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("sha1only")) },
			nil, PermError, ReasonKeyUnusable, "inappropriate hash algorithm"},
		{`"inappropriate service" is an unusable key`,
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("otherservice")) },
			nil, PermError, ReasonKeyUnusable, "inappropriate service"},
		{`"multiple TXT records found for key" is an unusable key`,
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("twice")) },
			nil, PermError, ReasonKeyUnusable, "multiple TXT records found for key"},
		{`"key syntax error" is an unusable key`,
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("badbase64")) },
			nil, PermError, ReasonKeyUnusable, "key syntax error"},
		{`"incompatible public key version" is an unusable key`,
			func(t *testing.T) string { return sign(t, plainMessage, withSelector("v2")) },
			nil, PermError, ReasonKeyUnusable, "incompatible public key version"},
		{`an error classify does not know keeps its text: "unsupported hash algorithm"`,
			func(t *testing.T) string {
				return editSignature(t, sign(t, plainMessage), "a=rsa-sha256", "a=rsa-sha512")
			},
			nil, PermError, ReasonOther, "unsupported hash algorithm"},
		{`an error classify does not know keeps its text: "unsupported header canonicalization algorithm"`,
			func(t *testing.T) string {
				return editSignature(t, sign(t, plainMessage), "c=relaxed/relaxed", "c=loose/relaxed")
			},
			nil, PermError, ReasonOther, "unsupported header canonicalization algorithm"},
		{`go-msgauth flaw: "domain mismatch" for d= and i= differing in case is unverifiable`,
			func(t *testing.T) string {
				return sign(t, plainMessage, withDomain("Example.COM"), withIdentifier("alice@example.com"))
			},
			nil, Neutral, ReasonVerifierLimit, "compares their domains with case"},
		{`go-msgauth flaw: "signature did not verify" with "b=" inside i= is unverifiable`,
			func(t *testing.T) string { return sign(t, plainMessage, withIdentifier("bounce-b=bob@example.com")) },
			nil, Neutral, ReasonVerifierLimit, `"b=" also occurs in i=`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := VerifyMessage(context.Background(), r, strings.NewReader(tt.msg(t)), tt.opts...)
			require.NoError(t, err)
			require.Len(t, res.Signatures, 1)
			s := res.Signatures[0]
			assert.Equal(t, tt.result, s.Result, "detail: %s", s.Detail)
			assert.Equal(t, tt.reason, s.Reason, "detail: %s", s.Detail)
			assert.Contains(t, s.Detail, tt.detail)
		})
	}
}
