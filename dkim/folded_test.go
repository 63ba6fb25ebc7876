package dkim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"strings"
	"testing"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// foldedMessage returns a message signed relaxed/relaxed with the Ed25519 key at
// ed._domainkey.example.com whose signed Subject is then folded before each of its
// n words: relaxed canonicalization unfolds first (RFC 6376 §3.4.2), so the signature
// still verifies, and the verifier must read all n continuation lines. Signing the
// unfolded form keeps go-msgauth's own quadratic header reader out of the set-up.
func foldedMessage(t testing.TB, n int, word string) string {
	t.Helper()
	subject := strings.Repeat(" "+word, n)
	msg := "From: Alice <alice@example.com>\r\nSubject:" + subject + "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n"
	signed := sign(t, msg, withKey(edPrivate), withSelector("ed"))
	return strings.Replace(signed, "Subject:"+subject, "Subject:"+strings.ReplaceAll(subject, " "+word, "\r\n "+word), 1)
}

// edResolver answers for ed._domainkey.example.com from a zone, without a server.
func edResolver(t testing.TB) *dnscheck.Resolver {
	t.Helper()
	testKeys(t)
	zone, err := dnscheck.ParseZone(strings.NewReader(txt("ed._domainkey.example.com.", "v=DKIM1; k=ed25519; p="+rawEd(edPrivate.Public().(ed25519.PublicKey)))), "test")
	require.NoError(t, err)
	return dnscheck.NewZoneResolver(zone)
}

func TestVerifyMessageReadsHeavilyFoldedFields(t *testing.T) {
	r := edResolver(t)
	t.Run("a signed field folded over 200,000 three-byte lines verifies", func(t *testing.T) {
		msg := foldedMessage(t, 200000, "x")
		// Counted from the Subject on: the folded b= of the signature above it may
		// also have a line starting " x".
		require.Equal(t, 200000, strings.Count(msg[strings.Index(msg, "\r\nSubject:"):], "\r\n x"))
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(msg))
		require.NoError(t, err)
		require.Len(t, res.Signatures, 1)
		assert.Equal(t, Pass, res.Signatures[0].Result, res.Signatures[0].Detail)
	})
	t.Run("an unsigned field folded over 200,000 lines is not handed to the verifier", func(t *testing.T) {
		msg := foldedMessage(t, 1, "x")
		msg = strings.Replace(msg, "\r\n\r\n", "\r\nX-Junk: a"+strings.Repeat("\r\n b", 200000)+"\r\n\r\n", 1)
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(msg))
		require.NoError(t, err)
		assert.Equal(t, Pass, res.Signatures[0].Result, res.Signatures[0].Detail)
	})
	t.Run("a field simple canonicalization reads keeps its folds", func(t *testing.T) {
		msg := "From: Alice <alice@example.com>\r\nSubject: a\r\n b\r\n\tc\r\n\r\nHello.\r\n"
		signed := sign(t, msg, withKey(edPrivate), withSelector("ed"), withCanon(msgauth.CanonicalizationSimple, msgauth.CanonicalizationSimple))
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed))
		require.NoError(t, err)
		assert.Equal(t, Pass, res.Signatures[0].Result, res.Signatures[0].Detail)
		// And the folds are signed: unfolding the field breaks the signature.
		res, err = VerifyMessage(context.Background(), r, strings.NewReader(strings.Replace(signed, "a\r\n b", "a b", 1)))
		require.NoError(t, err)
		assert.Equal(t, ReasonBadSignature, res.Signatures[0].Reason)
	})
	t.Run("a signed field folded too far for go-msgauth under simple canonicalization is unverifiable, not slow", func(t *testing.T) {
		msg := "From: Alice <alice@example.com>\r\nSubject:" + strings.Repeat("\r\n x", 200000) + "\r\n\r\nHello.\r\n"
		signed := sign(t, "From: Alice <alice@example.com>\r\n\r\nHello.\r\n", withKey(edPrivate), withSelector("ed"),
			withCanon(msgauth.CanonicalizationSimple, msgauth.CanonicalizationSimple), withHeaders("From", "Subject"))
		sig := signed[:strings.Index(signed, "From: Alice")]
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(sig+msg))
		require.NoError(t, err)
		assert.Equal(t, Neutral, res.Signatures[0].Result)
		assert.Equal(t, ReasonVerifierLimit, res.Signatures[0].Reason)
		assert.Equal(t, []Code{CodeSignatureUnverifiable}, codes(res.AllFindings()))
	})
	t.Run("an h= naming one field 100,000 times over 100,000 such fields is unverifiable, not slow", func(t *testing.T) {
		signed := sign(t, "From: Alice <alice@example.com>\r\n\r\nHello.\r\n", withKey(edPrivate), withSelector("ed"),
			withHeaders(append([]string{"From"}, strings.Split(strings.Repeat("x", 100000), "")...)...))
		sig, rest, _ := strings.Cut(signed, "From: Alice")
		msg := sig + strings.Repeat("X: 1\r\n", 100000) + "From: Alice" + rest
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(msg))
		require.NoError(t, err)
		assert.Equal(t, ReasonVerifierLimit, res.Signatures[0].Reason)
	})
}

// BenchmarkVerifyFoldedHeader verifies a message whose signed Subject is folded over
// ever more three-byte lines: ns/op divided by the size (the MB/s column) must stay
// flat from 100 KB to 8 MB, which a quadratic reader cannot do.
func BenchmarkVerifyFoldedHeader(b *testing.B) {
	r := edResolver(b)
	for _, size := range []int{100 << 10, 1 << 20, 8 << 20} {
		msg := []byte(foldedMessage(b, size/4, "x"))
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				res, err := VerifyMessage(context.Background(), r, bytes.NewReader(msg))
				if err != nil || res.Signatures[0].Result != Pass {
					b.Fatal("verification failed")
				}
			}
		})
	}
}

// cancelAfter cancels a context once n bytes have been read through it.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	p = p[:min(len(p), max(c.n, 1))]
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func TestVerifyMessageStopsAtTheDeadline(t *testing.T) {
	r := edResolver(t)
	signed := sign(t, "From: Alice <alice@example.com>\r\n\r\n"+strings.Repeat("a line of the body\r\n", 100000),
		withKey(edPrivate), withSelector("ed"))
	hdrLen := strings.Index(signed, "\r\n\r\n") + 4
	t.Run("the context ending while the body is hashed leaves the signature unknown", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res, err := VerifyMessage(ctx, r, &cancelAfter{r: strings.NewReader(signed), n: hdrLen + 1000, cancel: cancel})
		require.NoError(t, err)
		require.Len(t, res.Signatures, 1)
		s := res.Signatures[0]
		assert.Equal(t, TempError, s.Result)
		assert.Equal(t, ReasonTimeout, s.Reason)
		require.Equal(t, []Code{CodeTimeout}, codes(res.AllFindings()))
		assert.True(t, res.AllFindings()[0].Incomplete)
	})
	t.Run("the context ending inside the header says the header was not read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		res, err := VerifyMessage(ctx, r, &cancelAfter{r: strings.NewReader(signed), n: 10, cancel: cancel})
		require.NoError(t, err)
		require.Equal(t, []Code{CodeTimeout}, codes(res.AllFindings()))
		assert.Contains(t, res.Findings[0].Message, "before the whole header was read")
		assert.True(t, res.Findings[0].Incomplete)
	})
	t.Run("without a deadline the same message passes", func(t *testing.T) {
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed))
		require.NoError(t, err)
		assert.Equal(t, Pass, res.Signatures[0].Result, res.Signatures[0].Detail)
	})
}

func TestVerifierHeaderKeepsWhatGoMsgauthWouldPick(t *testing.T) {
	// go-msgauth picks "ſubject" (U+017F) for h=subject, by strings.EqualFold; the
	// header it is handed must keep that field so the result is the same.
	r := edResolver(t)
	signed := sign(t, "From: Alice <alice@example.com>\r\n\u017fubject: hi\r\n\r\nHello.\r\n", withKey(edPrivate), withSelector("ed"),
		withHeaders("From", "Subject"))
	res, err := VerifyMessage(context.Background(), r, strings.NewReader(signed))
	require.NoError(t, err)
	assert.Equal(t, Pass, res.Signatures[0].Result, res.Signatures[0].Detail)
	res, err = VerifyMessage(context.Background(), r, strings.NewReader(strings.Replace(signed, "hi", "ho", 1)))
	require.NoError(t, err)
	assert.Equal(t, ReasonBadSignature, res.Signatures[0].Reason, "the field was hashed")
}
