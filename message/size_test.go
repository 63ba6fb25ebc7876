package message

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func policy(t *testing.T, name string) attachments.Policy {
	t.Helper()
	p, ok := attachments.LookupPolicy(name)
	require.True(t, ok)
	return p
}

// sized is a reader of n bytes of CRLF text, without holding them.
func sized(n int64) io.Reader {
	line := strings.Repeat("A", 74) + "\r\n"
	return io.LimitReader(&repeat{s: line}, n)
}

type repeat struct {
	s string
	i int
}

func (r *repeat) Read(p []byte) (int, error) {
	for k := range p {
		p[k] = r.s[r.i]
		r.i = (r.i + 1) % len(r.s)
	}
	return len(p), nil
}

func TestTooLarge(t *testing.T) {
	all := []attachments.Policy{policy(t, "infomaniak"), policy(t, "gmail"), policy(t, "microsoft"), policy(t, "outlook")}

	t.Run("a 40 MB message is refused by Microsoft 365 only, naming it and its limit", func(t *testing.T) {
		res, err := CheckSize(context.Background(), sized(40_000_000), all)
		require.NoError(t, err)
		assert.Equal(t, int64(40_000_000), res.WireBytes)
		require.Len(t, res.Findings, 1)
		f := res.Findings[0]
		assert.Equal(t, CodeTooLarge, f.Code)
		assert.Contains(t, f.Message, "Microsoft 365")
		assert.Contains(t, f.Message, "37,748,736 bytes")
		assert.Contains(t, f.Fix, "transfer link")
		require.Len(t, res.Limits, 3, "outlook publishes no limit")
		assert.Equal(t, []bool{false, false, true}, []bool{res.Limits[0].Exceeded, res.Limits[1].Exceeded, res.Limits[2].Exceeded})
		for _, l := range res.Limits {
			assert.NotEmpty(t, l.Source)
			assert.Regexp(t, `^\d{4}-\d{2}-\d{2}$`, l.Date)
		}
	})
	t.Run("a message one byte over Gmail's limit is refused by Gmail and Microsoft", func(t *testing.T) {
		res, err := CheckSize(context.Background(), sized(50_000_001), all)
		require.NoError(t, err)
		require.Len(t, res.Findings, 2)
		assert.Contains(t, res.Findings[0].Message, "Gmail")
		assert.Contains(t, res.Findings[1].Message, "Microsoft 365")
	})
	t.Run("a message at Gmail's limit exactly passes Gmail", func(t *testing.T) {
		res, err := CheckSize(context.Background(), sized(50_000_000), []attachments.Policy{policy(t, "gmail")})
		require.NoError(t, err)
		assert.Empty(t, res.Findings)
	})
	t.Run("a small message passes every receiver", func(t *testing.T) {
		res, err := CheckSize(context.Background(), strings.NewReader(plain("hello")), all)
		require.NoError(t, err)
		assert.Empty(t, res.Findings)
	})
	t.Run("bare LF line endings count as CRLF on the wire", func(t *testing.T) {
		msg := bytes.Repeat([]byte("abc\n"), 10)
		msg = append(msg, "x\r\ny\n"...)
		res, err := CheckSize(context.Background(), bytes.NewReader(msg), nil)
		require.NoError(t, err)
		assert.Equal(t, int64(len(msg)), res.Bytes)
		assert.Equal(t, int64(len(msg)+11), res.WireBytes)
	})
	t.Run("Infomaniak's limit, 201 MiB, is its published byte count", func(t *testing.T) {
		assert.Equal(t, int64(210_763_776), policy(t, "infomaniak").MaxMessageBytes)
		assert.Equal(t, int64(201<<20), policy(t, "infomaniak").MaxMessageBytes)
	})
}

// TestWireBytesCountsEachBareLFOnce checks the counted LFs against the rule byte by
// byte (an LF not after a CR gains a CR), on random CR/LF/x text read in pieces of
// every length, so a CRLF split between two reads is seen.
func TestWireBytesCountsEachBareLFOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		msg := make([]byte, rng.IntN(300))
		for j := range msg {
			msg[j] = "\r\nx"[rng.IntN(3)]
		}
		want := int64(len(msg))
		for j, c := range msg {
			if c == '\n' && (j == 0 || msg[j-1] != '\r') {
				want++
			}
		}
		var r io.Reader = bytes.NewReader(msg)
		if i%2 == 1 {
			r = iotest.OneByteReader(r)
		} else {
			r = iotest.HalfReader(r)
		}
		res, err := CheckSize(context.Background(), r, nil)
		require.NoError(t, err)
		assert.Equal(t, want, res.WireBytes, "%q", msg)
	}
}
