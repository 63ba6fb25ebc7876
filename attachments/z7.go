package attachments

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/bodgit/sevenzip"
)

// The 7z listing is done by github.com/bodgit/sevenzip, which allocates whatever counts
// a header declares: a 50-byte archive claiming 2^32 files makes it allocate hundreds
// of gigabytes. So before it sees an archive, the header is walked here (7zFormat.txt,
// "Header" and "StreamsInfo") and every count checked against the bytes that would
// have to back it; an encoded (compressed) header is first decoded, under a byte cap,
// through a one-file archive built around its streams.

const (
	k7zEnd                   = 0x00
	k7zHeader                = 0x01
	k7zArchiveProperties     = 0x02
	k7zAdditionalStreamsInfo = 0x03
	k7zMainStreamsInfo       = 0x04
	k7zFilesInfo             = 0x05
	k7zPackInfo              = 0x06
	k7zUnPackInfo            = 0x07
	k7zSubStreamsInfo        = 0x08
	k7zSize                  = 0x09
	k7zCRC                   = 0x0A
	k7zFolder                = 0x0B
	k7zCodersUnPackSize      = 0x0C
	k7zNumUnPackStream       = 0x0D
	k7zEncodedHeader         = 0x17
	max7zHeader              = 16 << 20
	max7zCount               = 1 << 16 // folders, coders, streams
)

var (
	err7z          = errors.New("7z header")
	errEncrypted7z = errors.New("7z header is encrypted")
)

// hdr7z reads 7z header structures with bounds checks.
type hdr7z struct {
	b         []byte
	encrypted bool // a folder uses the 7zAES coder
}

func (h *hdr7z) byte() (byte, error) {
	if len(h.b) == 0 {
		return 0, fmt.Errorf("%w: truncated", err7z)
	}
	c := h.b[0]
	h.b = h.b[1:]
	return c, nil
}

// number reads a 7z NUMBER: the leading one bits of the first byte say how many
// little-endian bytes follow.
func (h *hdr7z) number() (uint64, error) {
	first, err := h.byte()
	if err != nil {
		return 0, err
	}
	var v uint64
	n := 0
	for n < 8 && first&(0x80>>n) != 0 {
		n++
	}
	if n < 8 {
		v = uint64(first&(0xFF>>(n+1))) << (8 * n)
	}
	for i := range n {
		c, err := h.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c) << (8 * i)
	}
	return v, nil
}

// count reads a NUMBER that sizes something, bounded by limit.
func (h *hdr7z) count(limit uint64) (int, error) {
	v, err := h.number()
	if err != nil {
		return 0, err
	}
	if v > limit {
		return 0, fmt.Errorf("%w: count %d exceeds %d", err7z, v, limit)
	}
	return int(v), nil
}

func (h *hdr7z) skip(n uint64) error {
	if n > uint64(len(h.b)) {
		return fmt.Errorf("%w: truncated", err7z)
	}
	h.b = h.b[n:]
	return nil
}

// digests skips a digest list for n items and returns which are defined.
func (h *hdr7z) digests(n int) ([]bool, error) {
	all, err := h.byte()
	if err != nil {
		return nil, err
	}
	def := make([]bool, n)
	if all != 0 {
		for i := range def {
			def[i] = true
		}
	} else if err := h.bits(def); err != nil {
		return nil, err
	}
	for _, d := range def {
		if d {
			if err := h.skip(4); err != nil {
				return nil, err
			}
		}
	}
	return def, nil
}

func (h *hdr7z) bits(v []bool) error {
	var cur byte
	for i := range v {
		if i%8 == 0 {
			c, err := h.byte()
			if err != nil {
				return err
			}
			cur = c
		}
		v[i] = cur&(0x80>>(i%8)) != 0
	}
	return nil
}

// streamsInfo walks a StreamsInfo structure.
func (h *hdr7z) streamsInfo() error {
	var folderOut []int  // unpack streams per folder
	var folderCRC []bool // folders with a CRC
	for {
		id, err := h.byte()
		if err != nil {
			return err
		}
		switch id {
		case k7zEnd:
			return nil
		case k7zPackInfo:
			if _, err := h.number(); err != nil { // PackPos
				return err
			}
			n, err := h.count(max7zCount)
			if err != nil {
				return err
			}
			for {
				id, err := h.byte()
				if err != nil {
					return err
				}
				if id == k7zEnd {
					break
				}
				switch id {
				case k7zSize:
					for range n {
						if _, err := h.number(); err != nil {
							return err
						}
					}
				case k7zCRC:
					if _, err := h.digests(n); err != nil {
						return err
					}
				default:
					return fmt.Errorf("%w: property %#x in PackInfo", err7z, id)
				}
			}
		case k7zUnPackInfo:
			if id, err := h.byte(); err != nil || id != k7zFolder {
				return fmt.Errorf("%w: no Folder in UnPackInfo", err7z)
			}
			n, err := h.count(max7zCount)
			if err != nil {
				return err
			}
			if ext, err := h.byte(); err != nil || ext != 0 {
				return fmt.Errorf("%w: external folders", err7z)
			}
			folderOut = make([]int, n)
			for i := range n {
				if folderOut[i], err = h.folder(); err != nil {
					return err
				}
			}
			if id, err := h.byte(); err != nil || id != k7zCodersUnPackSize {
				return fmt.Errorf("%w: no CodersUnPackSize", err7z)
			}
			for _, out := range folderOut {
				for range out {
					if _, err := h.number(); err != nil {
						return err
					}
				}
			}
			folderCRC = make([]bool, n)
			for {
				id, err := h.byte()
				if err != nil {
					return err
				}
				if id == k7zEnd {
					break
				}
				if id != k7zCRC {
					return fmt.Errorf("%w: property %#x in UnPackInfo", err7z, id)
				}
				if folderCRC, err = h.digests(n); err != nil {
					return err
				}
			}
		case k7zSubStreamsInfo:
			unpack := make([]int, len(folderOut))
			for i := range unpack {
				unpack[i] = 1
			}
			for {
				id, err := h.byte()
				if err != nil {
					return err
				}
				if id == k7zEnd {
					break
				}
				switch id {
				case k7zNumUnPackStream:
					for i := range unpack {
						if unpack[i], err = h.count(max7zCount); err != nil {
							return err
						}
					}
				case k7zSize:
					for _, u := range unpack {
						for j := 1; j < u; j++ {
							if _, err := h.number(); err != nil {
								return err
							}
						}
					}
				case k7zCRC:
					unknown := 0
					for i, u := range unpack {
						if u != 1 || i >= len(folderCRC) || !folderCRC[i] {
							unknown += u
						}
					}
					if unknown > max7zCount {
						return fmt.Errorf("%w: %d digests", err7z, unknown)
					}
					if _, err := h.digests(unknown); err != nil {
						return err
					}
				default:
					return fmt.Errorf("%w: property %#x in SubStreamsInfo", err7z, id)
				}
			}
		default:
			return fmt.Errorf("%w: property %#x in StreamsInfo", err7z, id)
		}
	}
}

// folder walks one Folder and returns its number of output streams.
func (h *hdr7z) folder() (int, error) {
	coders, err := h.count(64)
	if err != nil {
		return 0, err
	}
	ins, outs := 0, 0
	for range coders {
		flags, err := h.byte()
		if err != nil {
			return 0, err
		}
		idLen := int(flags & 0x0F)
		if idLen > len(h.b) {
			return 0, fmt.Errorf("%w: truncated", err7z)
		}
		codec := string(h.b[:idLen])
		h.b = h.b[idLen:]
		if codec == "\x06\xf1\x07\x01" { // 7zAES
			h.encrypted = true
		}
		in, out := 1, 1
		if flags&0x10 != 0 {
			if in, err = h.count(64); err != nil {
				return 0, err
			}
			if out, err = h.count(64); err != nil {
				return 0, err
			}
		}
		ins, outs = ins+in, outs+out
		if flags&0x20 != 0 {
			n, err := h.number()
			if err != nil {
				return 0, err
			}
			if n > uint64(len(h.b)) {
				return 0, fmt.Errorf("%w: truncated", err7z)
			}
			if err := checkCoderMemory(codec, h.b[:n]); err != nil {
				return 0, err
			}
			h.b = h.b[n:]
		}
	}
	bindPairs := outs - 1
	if bindPairs < 0 || ins < bindPairs {
		return 0, fmt.Errorf("%w: bad folder", err7z)
	}
	for range 2 * bindPairs {
		if _, err := h.number(); err != nil {
			return 0, err
		}
	}
	if packed := ins - bindPairs; packed > 1 {
		for range packed {
			if _, err := h.number(); err != nil {
				return 0, err
			}
		}
	}
	return outs, nil
}

// max7zDictionary bounds the dictionary or model memory a coder may ask for: decoders
// allocate it up front, and a header can ask for 4 GiB in five bytes.
const max7zDictionary = 64 << 20

// checkCoderMemory rejects LZMA, LZMA2 and PPMd coders whose properties ask for more
// than max7zDictionary.
func checkCoderMemory(codec string, props []byte) error {
	var need uint64
	switch codec {
	case "\x03\x01\x01", "\x03\x04\x01": // LZMA, PPMd: a byte, then a 32-bit size
		if len(props) >= 5 {
			need = uint64(binary.LittleEndian.Uint32(props[1:]))
		}
	case "\x21": // LZMA2: one byte encodes the dictionary size
		if len(props) >= 1 {
			p := uint64(props[0] & 0x3F)
			need = (2 | p&1) << (p/2 + 11)
		}
	}
	if need > max7zDictionary {
		return fmt.Errorf("%w: a coder asks for %d bytes of dictionary", err7z, need)
	}
	return nil
}

// fileCount walks a plain Header to its FilesInfo and returns the declared file count.
func (h *hdr7z) fileCount() (uint64, error) {
	for {
		id, err := h.byte()
		if err != nil {
			return 0, err
		}
		switch id {
		case k7zEnd:
			return 0, nil
		case k7zArchiveProperties:
			for {
				t, err := h.byte()
				if err != nil {
					return 0, err
				}
				if t == 0 {
					break
				}
				n, err := h.number()
				if err != nil {
					return 0, err
				}
				if err := h.skip(n); err != nil {
					return 0, err
				}
			}
		case k7zAdditionalStreamsInfo, k7zMainStreamsInfo:
			if err := h.streamsInfo(); err != nil {
				return 0, err
			}
		case k7zFilesInfo:
			return h.number()
		default:
			return 0, fmt.Errorf("%w: property %#x in Header", err7z, id)
		}
	}
}

// check7z vets a 7z archive before sevenzip reads it: the start header must be valid at
// offset 0 (the library would otherwise search for another), and the header's counts
// must be backed by data, with at most maxFiles files.
//
// encrypted reports AES-encrypted content; errEncrypted7z means even the header is.
func check7z(r io.ReaderAt, size int64, maxFiles int) (encrypted bool, err error) {
	sig := readAt(r, size, 0, 32)
	if sig == nil || crc32.ChecksumIEEE(sig[12:32]) != binary.LittleEndian.Uint32(sig[8:]) {
		return false, fmt.Errorf("%w: damaged start header", err7z)
	}
	off := binary.LittleEndian.Uint64(sig[12:])
	n := binary.LittleEndian.Uint64(sig[20:])
	if n == 0 || n > max7zHeader || off > uint64(size) || 32+off+n > uint64(size) {
		return false, fmt.Errorf("%w: header of %d bytes at %d is outside the archive", err7z, n, off)
	}
	raw := readAt(r, size, int64(32+off), int(n))
	if raw == nil || crc32.ChecksumIEEE(raw) != binary.LittleEndian.Uint32(sig[28:]) {
		return false, fmt.Errorf("%w: header checksum mismatch", err7z)
	}
	h := &hdr7z{b: raw[1:]}
	switch raw[0] {
	case k7zHeader:
	case k7zEncodedHeader:
		enc := &hdr7z{b: raw[1:]}
		if err := enc.streamsInfo(); err != nil {
			return false, err
		}
		if enc.encrypted {
			return true, errEncrypted7z
		}
		plain, err := decode7zHeader(r, size, raw[1:])
		if err != nil {
			return false, err
		}
		if len(plain) == 0 || plain[0] != k7zHeader {
			return false, fmt.Errorf("%w: encoded header does not decode to a header", err7z)
		}
		h = &hdr7z{b: plain[1:]}
	default:
		return false, fmt.Errorf("%w: unknown header type %#x", err7z, raw[0])
	}
	files, err := h.fileCount()
	if err != nil {
		return false, err
	}
	if files > uint64(maxFiles) {
		return h.encrypted, fmt.Errorf("%w: %d files declared, limit %d", errLimit, files, maxFiles)
	}
	return h.encrypted, nil
}

// decode7zHeader decodes an encoded header (its StreamsInfo is si) by handing sevenzip a
// one-file archive whose only file is that stream, reading at most max7zHeader bytes.
func decode7zHeader(r io.ReaderAt, size int64, si []byte) (plain []byte, err error) {
	var hb bytes.Buffer
	hb.WriteByte(k7zHeader)
	hb.WriteByte(k7zMainStreamsInfo)
	hb.Write(si)
	hb.Write([]byte{k7zFilesInfo, 1, k7zEnd, k7zEnd})
	header := hb.Bytes()
	start := make([]byte, 32)
	copy(start, "7z\xbc\xaf\x27\x1c\x00\x04")
	binary.LittleEndian.PutUint64(start[12:], uint64(size-32))
	binary.LittleEndian.PutUint64(start[20:], uint64(len(header)))
	binary.LittleEndian.PutUint32(start[28:], crc32.ChecksumIEEE(header))
	binary.LittleEndian.PutUint32(start[8:], crc32.ChecksumIEEE(start[12:32]))
	synthetic := &patchedReaderAt{base: r, size: size, head: start, tail: header}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: sevenzip failed: %v", err7z, p)
		}
	}()
	z, err := sevenzip.NewReader(synthetic, size+int64(len(header)))
	if err != nil {
		return nil, err
	}
	if len(z.File) != 1 {
		return nil, fmt.Errorf("%w: encoded header", err7z)
	}
	rc, err := z.File[0].Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max7zHeader))
}

// patchedReaderAt is base with its first len(head) bytes replaced and tail appended.
type patchedReaderAt struct {
	base io.ReaderAt
	size int64
	head []byte
	tail []byte
}

func (p *patchedReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		pos := off + int64(n)
		switch {
		case pos < int64(len(p.head)):
			n += copy(b[n:], p.head[pos:])
		case pos < p.size:
			k, err := p.base.ReadAt(b[n:min(len(b), n+int(p.size-pos))], pos)
			n += k
			if err != nil && err != io.EOF {
				return n, err
			}
			if k == 0 {
				return n, io.EOF
			}
		case pos < p.size+int64(len(p.tail)):
			n += copy(b[n:], p.tail[pos-p.size:])
		default:
			return n, io.EOF
		}
	}
	return n, nil
}
