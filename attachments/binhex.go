package attachments

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/spool"
)

// BinHex 4.0 (RFC 1741, "MIME Content Type for BinHex Encoded Files"; the format is
// Appendix A) carries one Macintosh file as text: a line "(This file must be converted
// with BinHex 4.0)", then the data between two colons in a 64-character alphabet,
// run-length encoded with the marker 0x90. The decoded stream is a header (name,
// type, creator, flags, the two fork lengths, a CRC), the data fork and its CRC, the
// resource fork and its CRC. Mail clients (Apple Mail, Eudora, Thunderbird with an
// add-on) save the data fork under the header's name, so a filter that decodes
// uuencode must decode this too: it is found in application/mac-binhex40 parts and
// in text bodies.

// binhexAlphabet is RFC 1741 Appendix A's character set; a character's index is its
// 6-bit value.
const binhexAlphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"

var binhexValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(binhexAlphabet); i++ {
		t[binhexAlphabet[i]] = int8(i)
	}
	return t
}()

// binhexIntro is how every BinHex 4.0 file begins (RFC 1741 Appendix A: "(This file
// must be converted with BinHex 4.0)"); decoders look for its prefix.
var binhexIntro = []byte("(This file must be converted with BinHex")

var (
	errBinHexNoStart   = errors.New("no ':' starts the BinHex data")
	errBinHexTruncated = errors.New("the BinHex data ends inside the header")
	errBinHexName      = errors.New("the BinHex header's name length is 0 or over 63")
)

// binhexStream yields the decoded bytes of BinHex data: the 6-bit characters between
// the colons, with line breaks and spaces skipped, turned into bytes and run-length
// expanded (RFC 1741 Appendix A: 0x90 then a count repeats the previous byte up to
// count times in all; 0x90 0x00 is a literal 0x90). It stops at the closing colon or
// at a character outside the alphabet, as decoders do.
type binhexStream struct {
	pending []byte // the rest of the line that held the opening ':', read first
	br      *bufio.Reader
	acc     uint32 // bits not yet formed into a byte
	nacc    uint
	done    bool

	last   byte // the previous output byte, for runs
	repeat int  // copies of last still to emit
	marker bool // a 0x90 was read; the next byte is its count
	crc    uint16
}

// rawByte returns the next raw 8-bit byte of the encoded layer.
func (b *binhexStream) rawByte() (byte, bool) {
	for b.nacc < 8 {
		if b.done {
			return 0, false
		}
		var c byte
		var err error
		if len(b.pending) > 0 {
			c, b.pending = b.pending[0], b.pending[1:]
		} else {
			c, err = b.br.ReadByte()
		}
		if err != nil {
			b.done = true
			return 0, false
		}
		switch c {
		case '\r', '\n', ' ', '\t':
			continue
		}
		v := binhexValue[c]
		if v < 0 { // the closing ':' or garbage
			b.done = true
			return 0, false
		}
		b.acc = b.acc<<6 | uint32(v)
		b.nacc += 6
	}
	b.nacc -= 8
	out := byte(b.acc >> b.nacc)
	b.acc &= 1<<b.nacc - 1
	return out, true
}

// ReadByte returns the next byte after run-length expansion; every byte returned is
// also fed to the running CRC.
func (b *binhexStream) ReadByte() (byte, error) {
	for {
		if b.repeat > 0 {
			b.repeat--
			return b.emit(b.last), nil
		}
		c, ok := b.rawByte()
		if !ok {
			return 0, io.EOF
		}
		if c != 0x90 {
			b.last = c
			return b.emit(c), nil
		}
		n, ok := b.rawByte()
		if !ok {
			return 0, io.EOF
		}
		if n == 0 {
			b.last = 0x90
			return b.emit(0x90), nil
		}
		// The previous byte was already emitted once: n-1 more copies. A count of 1
		// repeats nothing.
		b.repeat = int(n) - 1
	}
}

func (b *binhexStream) Read(p []byte) (int, error) {
	for i := range p {
		c, err := b.ReadByte()
		if err != nil {
			if i > 0 {
				return i, nil
			}
			return 0, err
		}
		p[i] = c
	}
	return len(p), nil
}

// emit feeds c to the CRC: RFC 1741 Appendix A's CRC is CCITT (polynomial 0x1021,
// initial value 0), the XMODEM CRC; "123456789" gives 0x31C3.
func (b *binhexStream) emit(c byte) byte {
	b.crc = crcStep(b.crc, c)
	return c
}

func crcStep(crc uint16, c byte) uint16 {
	crc ^= uint16(c) << 8
	for range 8 {
		if crc&0x8000 != 0 {
			crc = crc<<1 ^ 0x1021
		} else {
			crc <<= 1
		}
	}
	return crc
}

// BinHexHeader is the header of a BinHex 4.0 file (RFC 1741 Appendix A).
type BinHexHeader struct {
	// Name is the file name, as the Macintosh wrote it (1 to 63 bytes, Mac Roman).
	Name string
	// Type and Creator are the Finder's four-character codes ("APPL" for an application).
	Type, Creator string
	// Flags are the Finder flags.
	Flags uint16
	// DataLength and ResourceLength are the fork sizes.
	DataLength, ResourceLength uint32
	// CRCValid reports whether the header's CRC matched.
	CRCValid bool
}

// DecodeBinHexHeader reads BinHex 4.0 text up to and through its header: it skips
// everything before the first ':' at the start of a line (the introductory line, mail
// text), then decodes the header. The returned reader yields the data fork and no
// more; its CRC is not checked. Time is linear in the bytes read.
func DecodeBinHexHeader(r io.Reader) (BinHexHeader, io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	// RFC 1741 Appendix A: the data starts with a ':' in the first column.
	var rest []byte
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && line[0] == ':' {
			// The data starts after the colon; the rest of the line is read first.
			rest = append([]byte(nil), line[1:]...)
			break
		}
		if err == bufio.ErrBufferFull {
			// A very long line that does not start with ':': skip it to its end.
			for err == bufio.ErrBufferFull {
				_, err = br.ReadSlice('\n')
			}
		}
		if err != nil {
			return BinHexHeader{}, nil, errBinHexNoStart
		}
	}
	s := &binhexStream{pending: rest, br: br}
	var h BinHexHeader
	n, err := s.ReadByte()
	if err != nil {
		return h, nil, errBinHexTruncated
	}
	if n == 0 || n > 63 {
		return h, nil, errBinHexName
	}
	// name, version (1), type (4), creator (4), flags (2), data length (4), resource
	// length (4)
	buf := make([]byte, int(n)+1+4+4+2+4+4)
	if _, err := io.ReadFull(s, buf); err != nil {
		return h, nil, errBinHexTruncated
	}
	h.Name = string(buf[:n])
	fields := buf[n+1:]
	h.Type, h.Creator = string(fields[0:4]), string(fields[4:8])
	h.Flags = binary.BigEndian.Uint16(fields[8:10])
	h.DataLength = binary.BigEndian.Uint32(fields[10:14])
	h.ResourceLength = binary.BigEndian.Uint32(fields[14:18])
	// The header's CRC follows it. RFC 1741's description shifts the bytes through
	// the register and then two zero bytes; the table-free form here, which XORs each
	// byte in at the top, gives that same value without the zero bytes (it is
	// Python's binascii.crc_hqx, which binhex.py used).
	want := s.crc
	var crc [2]byte
	if _, err := io.ReadFull(s, crc[:]); err != nil {
		return h, nil, errBinHexTruncated
	}
	h.CRCValid = binary.BigEndian.Uint16(crc[:]) == want
	return h, io.LimitReader(s, int64(h.DataLength)), nil
}

// isBinHexType reports the media types BinHex files are sent as (RFC 1741 §2 registers
// application/mac-binhex40; the others are what older clients wrote).
func isBinHexType(ct string) bool {
	switch ct {
	case "application/mac-binhex40", "application/mac-binhex", "application/x-mac-binhex40",
		"application/binhex", "application/binhex4", "application/x-binhex40":
		return true
	}
	return false
}

// binhexPart reads an application/mac-binhex40 part: the part is an attachment under
// its own names, and the file inside is judged under the BinHex header's name, as a
// winmail.dat part holds its files.
func (s *scanner) binhexPart(e entity, body io.Reader) {
	cr := &byteCounter{r: body}
	a := s.newPart(e, TypeUnknown, 0)
	if f, ok := s.binhexFile(e, a.loc, bufio.NewReaderSize(cr, 16<<10)); ok {
		a.Contents = append(a.Contents, f)
	}
	io.Copy(io.Discard, cr)
	a.Size = cr.n
	s.res.Attachments = append(s.res.Attachments, a)
}

type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// binhexFile decodes one BinHex file from br (a mac-binhex40 part, or a text body after
// its introductory line) and inspects its data fork under the header's name, as a
// uuencoded file is inspected. where names the container in findings.
func (s *scanner) binhexFile(e entity, where string, br *bufio.Reader) (Attachment, bool) {
	if s.res.Parts++; s.res.Parts > maxParts {
		return Attachment{}, false
	}
	h, fork, err := DecodeBinHexHeader(br)
	if err != nil {
		s.add(Finding{
			Code: CodeArchiveMalformed, Severity: finding.Warning,
			Message:  fmt.Sprintf("%s holds BinHex data that cannot be decoded: %v.", where, err),
			Fix:      "Attach the file itself (MIME base64) rather than BinHex.",
			Ref:      "RFC 1741",
			Evidence: &finding.Evidence{Name: where, Detail: err.Error()},
		})
		return Attachment{}, false
	}
	a := Attachment{Part: displayPart(e.path), Entry: h.Name, Source: "binhex"}
	a.names = parseNames([]string{h.Name})
	a.Names = rawNames(a.names)
	a.loc = where + " (BinHex) " + h.Name
	sp := spool.New(s.cfg.memory, s.cfg.tempDir)
	defer sp.Close()
	// Runs expand up to about 95 times; the data fork is decoded only up to the
	// nested-archive byte limit, which is plenty to sniff and list it.
	limit := s.cfg.limits.NestedBytes
	if _, err := io.Copy(sp, io.LimitReader(fork, limit)); err != nil {
		s.ioErr = err
		return Attachment{}, false
	}
	if sp.Size() == limit && int64(h.DataLength) > limit {
		s.limitFinding(a.loc, fmt.Sprintf("its BinHex data fork declares %d bytes; only the first %d were decoded", h.DataLength, limit))
	}
	a.Size = sp.Size()
	if !h.CRCValid {
		s.add(Finding{
			Code: CodeArchiveMalformed, Severity: finding.Warning,
			Message:  fmt.Sprintf("BinHex file %s has a header CRC that does not match: decoders may refuse it, while filters still read its name.", a.loc),
			Fix:      "Re-encode the file, or attach it with MIME base64.",
			Ref:      "RFC 1741 Appendix A",
			Evidence: &finding.Evidence{Name: a.loc, Detail: "header CRC mismatch"},
		})
	}
	s.inspectFile(&a, sp, sp.Size(), 0)
	return a, true
}
