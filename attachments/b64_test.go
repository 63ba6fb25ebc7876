package attachments

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference decodes as the scanner did before b64Decoder: the standard library's
// decoder over a reader that drops every byte outside the alphabet.
func reference(in []byte) ([]byte, error) {
	var kept []byte
	for _, c := range in {
		if b64Alphabet[c] {
			kept = append(kept, c)
		}
	}
	return io.ReadAll(base64.NewDecoder(base64.RawStdEncoding, bytes.NewReader(kept)))
}

// oddReader hands out its input in pieces of random size, so group boundaries fall
// everywhere.
type oddReader struct {
	b   []byte
	rnd *rand.Rand
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), 1+r.rnd.IntN(70))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// readAllIn reads d with buffers of random size, as bufio, io.Copy and the sniffers
// do.
func readAllIn(d io.Reader, rnd *rand.Rand) ([]byte, error) {
	var out []byte
	for {
		p := make([]byte, 1+rnd.IntN(9000))
		n, err := d.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func checkSameAsReference(t *testing.T, in []byte, seed uint64) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 1))
	want, wantErr := reference(in)
	got, err := readAllIn(newB64Decoder(&oddReader{b: in, rnd: rnd}), rnd)
	require.Equal(t, len(want), len(got), "decoded length of %q", in[:min(len(in), 80)])
	require.True(t, bytes.Equal(want, got), "decoded bytes differ")
	var ce, wce base64.CorruptInputError
	assert.Equal(t, errors.As(wantErr, &wce), errors.As(err, &ce), "a single leftover character is corrupt input: %v vs %v", wantErr, err)
}

func TestB64DecoderMatchesTheStandardDecoderOverTheFilteredInput(t *testing.T) {
	cases := [][]byte{
		nil, []byte("\r\n"), []byte("QQ"), []byte("QUI"), []byte("QUJD"), []byte("Q"), []byte("QUJDR"),
		[]byte("QUJD\r\nREVG\r\n"), []byte("QU=JD=\r\n=="), []byte("QUJDRA==\r\nRUZH"), []byte("!!!***QUJD"),
	}
	for i, c := range cases {
		checkSameAsReference(t, c, uint64(i))
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	for i := range 300 {
		raw := make([]byte, rnd.IntN(200_000))
		for j := range raw {
			raw[j] = byte(rnd.Uint32())
		}
		enc := []byte(base64.StdEncoding.EncodeToString(raw))
		var lines bytes.Buffer // 76-character lines, with the odd stray byte
		for len(enc) > 0 {
			n := min(76, len(enc))
			lines.Write(enc[:n])
			enc = enc[n:]
			if rnd.IntN(50) == 0 {
				lines.WriteByte("= \t.-"[rnd.IntN(5)])
			}
			lines.WriteString("\r\n")
		}
		checkSameAsReference(t, lines.Bytes(), uint64(i))
		checkSameAsReference(t, lines.Bytes()[:rnd.IntN(lines.Len()+1)], uint64(i)) // cut anywhere
	}
}

func TestB64DecoderPassesOnTheSourcesError(t *testing.T) {
	boom := errors.New("boom")
	d := newB64Decoder(io.MultiReader(bytes.NewReader([]byte("QUJD")), iotestErr{boom}))
	got, err := io.ReadAll(d)
	assert.Equal(t, "ABC", string(got))
	assert.ErrorIs(t, err, boom)
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }

func FuzzB64Decoder(f *testing.F) {
	f.Add([]byte("QUJD\r\nREVG\r\n"), uint64(1))
	f.Add([]byte("QU=JD=\r\n==Q"), uint64(2))
	f.Fuzz(func(t *testing.T, in []byte, seed uint64) {
		checkSameAsReference(t, in, seed)
	})
}
