package attachments

import (
	"encoding/base64"
	"io"
)

// b64Alphabet marks the bytes of the base64 alphabet (RFC 4648 §4, without '=').
var b64Alphabet = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = true
	}
	return t
}()

// b64Decoder decodes a base64 body as receivers do: characters outside the alphabet
// (line breaks, padding in the middle, stray bytes) are skipped rather than ending the
// decode. It filters and decodes in one pass over its own buffer, so the body is
// copied once; encoding/base64's NewDecoder would scan it again for line breaks.
// A trailing group of 2 or 3 characters decodes to its 1 or 2 bytes; a single
// leftover character is base64.CorruptInputError, after everything before it.
type b64Decoder struct {
	r   io.Reader
	enc []byte // enc[:n] are alphabet characters not yet decoded
	n   int
	dec []byte // decoded bytes not yet returned (in spare)
	// spare takes the decoded bytes when the caller's buffer is too small for them.
	spare []byte
	err   error // the source's error, returned once enc and dec are drained
}

func newB64Decoder(r io.Reader) *b64Decoder {
	return &b64Decoder{r: r, enc: make([]byte, 32<<10)}
}

func (d *b64Decoder) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(d.dec) > 0 {
		n := copy(p, d.dec)
		d.dec = d.dec[n:]
		return n, nil
	}
	for d.n < 4 && d.err == nil {
		m, err := d.r.Read(d.enc[d.n:])
		k := d.n
		for _, c := range d.enc[d.n : d.n+m] {
			// Branch-free: the byte is always written, and kept only if it counts.
			d.enc[k] = c
			if b64Alphabet[c] {
				k++
			}
		}
		d.n, d.err = k, err
	}
	if d.n == 0 {
		return 0, d.err
	}
	quads := d.n / 4 * 4
	if quads == 0 { // the end: 1 to 3 characters left
		if d.n == 1 {
			d.n = 0
			if d.err == io.EOF {
				d.err = base64.CorruptInputError(0)
			}
			return 0, d.err
		}
		var tail [2]byte
		m, _ := base64.RawStdEncoding.Decode(tail[:], d.enc[:d.n]) // cannot fail: alphabet only
		d.n = 0
		n := copy(p, tail[:m])
		d.dec = append(d.spareBuf()[:0], tail[n:m]...)
		return n, nil
	}
	// Decode straight into p when it has room (the usual case: a 32 KiB copy
	// buffer), else into spare and hand it out over the next calls. Full groups of
	// alphabet characters cannot fail to decode.
	var m int
	if len(p) >= quads/4*3 {
		m, _ = base64.RawStdEncoding.Decode(p, d.enc[:quads])
	} else {
		spare := d.spareBuf()
		quads = min(quads, len(spare)/3*4)
		k, _ := base64.RawStdEncoding.Decode(spare, d.enc[:quads])
		m = copy(p, spare[:k])
		d.dec = spare[m:k]
	}
	d.n = copy(d.enc, d.enc[quads:d.n])
	return m, nil
}

func (d *b64Decoder) spareBuf() []byte {
	if d.spare == nil {
		d.spare = make([]byte, 3<<10)
	}
	return d.spare
}
