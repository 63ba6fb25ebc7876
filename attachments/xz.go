package attachments

import (
	"bytes"
	"encoding/binary"
	"io"
)

// xzMaxDict is the largest LZMA2 dictionary an xz file may ask for and still be
// decoded: the decoder allocates the whole dictionary up front, and the header is
// attacker-controlled (up to 4 GiB). 64 MiB is what `xz -9` uses.
const xzMaxDict = 64 << 20

// xzMaxBlocks bounds the block headers read to validate one file.
const xzMaxBlocks = 10000

// xzBounded reports whether an xz file can be decoded with bounded memory: exactly one
// stream filling the file, whose every block is a single LZMA2 filter with a dictionary
// of at most xzMaxDict, found through the stream footer and the index before anything
// is decompressed (.xz File Format 1.2.0 §2.1.2 footer, §3.1 block header, §4 index,
// §5.3.1 LZMA2). It also returns the uncompressed size the index records.
func xzBounded(r io.ReaderAt, size int64) (usize int64, ok bool) {
	const hdr = 12
	head, foot := readAt(r, size, 0, hdr), readAt(r, size, size-hdr, hdr)
	if head == nil || foot == nil || !bytes.Equal(head[:6], []byte("\xfd7zXZ\x00")) || !bytes.Equal(foot[10:], []byte("YZ")) {
		return 0, false
	}
	// §2.1.2.2: Backward Size is the index size, stored as size/4 - 1.
	isize := (int64(binary.LittleEndian.Uint32(foot[4:8])) + 1) * 4
	ioff := size - hdr - isize
	index := readAt(r, size, ioff, int(min(isize, 1<<24)))
	if ioff < hdr || index == nil || index[0] != 0 {
		return 0, false
	}
	p := index[1:]
	n, ok := xzVarint(&p)
	if !ok || n > xzMaxBlocks {
		return 0, false
	}
	off := int64(hdr)
	for range n {
		unpadded, ok1 := xzVarint(&p)
		uncompressed, ok2 := xzVarint(&p)
		if !ok1 || !ok2 || unpadded > uint64(size) || uncompressed > 1<<62 {
			return 0, false
		}
		if !xzBlockBounded(r, size, off) {
			return 0, false
		}
		off += (int64(unpadded) + 3) &^ 3 // §3.3: blocks are padded to four bytes
		usize += int64(uncompressed)
	}
	// One stream exactly: concatenated streams or padding are not validated here.
	return usize, off == ioff
}

// xzBlockBounded checks one block header: one filter, LZMA2, dictionary within bounds.
func xzBlockBounded(r io.ReaderAt, size, off int64) bool {
	b := readAt(r, size, off, 1)
	if b == nil || b[0] == 0 {
		return false // 0 is the index indicator, not a block
	}
	h := readAt(r, size, off, (int(b[0])+1)*4) // §3.1.1: real size = (byte+1)*4
	if h == nil || len(h) < 2 {
		return false
	}
	flags := h[1]
	if flags&0x03 != 0 { // §3.1.2: number of filters - 1; only LZMA2 alone is decoded
		return false
	}
	p := h[2:]
	if flags&0x40 != 0 {
		if _, ok := xzVarint(&p); !ok {
			return false
		}
	}
	if flags&0x80 != 0 {
		if _, ok := xzVarint(&p); !ok {
			return false
		}
	}
	id, ok1 := xzVarint(&p)
	psize, ok2 := xzVarint(&p)
	if !ok1 || !ok2 || id != 0x21 || psize != 1 || len(p) < 1 {
		return false
	}
	// §5.3.1: dictionary size byte; 40 means 4 GiB - 1, above is invalid.
	d := p[0] & 0x3f
	if d > 40 {
		return false
	}
	dict := int64(0xffffffff)
	if d < 40 {
		dict = int64(2|d&1) << (d/2 + 11)
	}
	return dict <= xzMaxDict
}

// xzVarint reads one multibyte integer (§1.2: seven bits a byte, at most nine bytes).
func xzVarint(p *[]byte) (uint64, bool) {
	var v uint64
	for i := 0; i < 9 && i < len(*p); i++ {
		c := (*p)[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if i > 0 && c == 0 {
				return 0, false // not the shortest form
			}
			*p = (*p)[i+1:]
			return v, true
		}
	}
	return 0, false
}
