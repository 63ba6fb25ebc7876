package attachments

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
)

// TNEF ([MS-OXTNEF]) is how Outlook wraps a message's attachments in "winmail.dat".
// Receivers such as Exchange unpack it, so the files inside are attachments too.

// tnefSignature is [MS-OXTNEF] §2.1.3.1 TNEF_SIGNATURE, 0x223E9F78 little-endian.
var tnefSignature = []byte{0x78, 0x9f, 0x3e, 0x22}

// [MS-OXTNEF] §2.1.3.3 attribute identifiers (low 16 bits).
const (
	attAttachRendData = 0x9002 // starts a new attachment
	attAttachTitle    = 0x8010 // its file name (8-bit string)
	attAttachData     = 0x800F // its content
	attAttachment     = 0x9005 // its MAPI properties
)

// MAPI property tags carrying attachment names ([MS-OXPROPS]).
const (
	pidAttachFilename     = 0x3704
	pidAttachLongFilename = 0x3707
	pidDisplayName        = 0x3001
)

type tnefAttachment struct {
	names   []string
	dataOff int64
	dataLen int64
}

// tnef lists the attachments of a winmail.dat and inspects each.
func (s *scanner) tnef(a *Attachment, r io.ReaderAt, size int64) {
	limit := max(0, s.cfg.limits.Entries-s.entries)
	atts, ok := parseTNEF(r, size, limit+1)
	if !ok {
		s.malformed(a, "the TNEF (winmail.dat) stream is damaged")
	}
	if len(atts) > limit {
		atts = atts[:limit]
		s.limitFinding(a.loc, fmt.Sprintf("the message has more than %d archive or container entries; the rest were not listed", s.cfg.limits.Entries))
	}
	s.entries += len(atts)
	for i, t := range atts {
		entry := "(attachment " + strconv.Itoa(i+1) + ")"
		if len(t.names) > 0 {
			entry = t.names[len(t.names)-1]
		}
		c := Attachment{Part: a.Part, Entry: entry, Source: "tnef", Size: t.dataLen}
		c.names = parseNames(t.names)
		c.Names = rawNames(c.names)
		c.loc = a.loc + " → " + entry
		if t.dataLen > 0 {
			s.inspectFile(&c, io.NewSectionReader(r, t.dataOff, t.dataLen), t.dataLen, 0)
		}
		a.Contents = append(a.Contents, c)
	}
}

// parseTNEF walks the attribute stream. It returns what it found and false when the
// stream ends in the middle of an attribute.
func parseTNEF(r io.ReaderAt, size int64, maxAttachments int) ([]tnefAttachment, bool) {
	var out []tnefAttachment
	off := int64(6) // signature and legacy key
	for off < size && len(out) <= maxAttachments {
		h := readAt(r, size, off, 9)
		if h == nil {
			return out, false
		}
		id := binary.LittleEndian.Uint32(h[1:]) & 0xFFFF
		n := int64(binary.LittleEndian.Uint32(h[5:]))
		dataOff := off + 9
		if dataOff+n+2 > size {
			return out, false
		}
		switch {
		case id == attAttachRendData && h[0] == 2:
			out = append(out, tnefAttachment{})
		case len(out) == 0:
		case id == attAttachTitle:
			if b := readAt(r, size, dataOff, int(min(n, 4096))); b != nil {
				out[len(out)-1].names = appendName(out[len(out)-1].names, toUTF8(trimNUL(b), "windows-1252"))
			}
		case id == attAttachData:
			out[len(out)-1].dataOff, out[len(out)-1].dataLen = dataOff, n
		case id == attAttachment:
			if n <= 1<<20 {
				if b := readAt(r, size, dataOff, int(n)); b != nil {
					for _, nm := range mapiNames(b) {
						out[len(out)-1].names = appendName(out[len(out)-1].names, nm)
					}
				}
			}
		}
		off = dataOff + n + 2 // data, then a 16-bit checksum
	}
	return out, true
}

func appendName(list []string, n string) []string {
	if n == "" {
		return list
	}
	for _, x := range list {
		if x == n {
			return list
		}
	}
	return append(list, n)
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// mapiNames reads the file-name properties from an attAttachment MAPI property list
// ([MS-OXTNEF] §2.1.3.5).
func mapiNames(b []byte) []string {
	var out []string
	rd := &le{b: b}
	count := rd.u32()
	for i := uint32(0); i < count && rd.ok(); i++ {
		typ := rd.u16()
		id := rd.u16()
		if id >= 0x8000 { // named property: GUID, kind, then an id or a name
			rd.skip(16)
			if rd.u32() == 0 {
				rd.skip(4)
			} else {
				rd.skip(pad4(int(rd.u32())))
			}
		}
		values := uint32(1)
		multi := typ&0x1000 != 0
		base := typ &^ 0x1000
		variable := base == 0x001E || base == 0x001F || base == 0x0102 || base == 0x000D
		if multi || variable {
			values = rd.u32()
		}
		for v := uint32(0); v < values && rd.ok(); v++ {
			if variable {
				n := int(rd.u32())
				data := rd.bytes(n)
				rd.skip(pad4(n) - n)
				if id == pidAttachLongFilename || id == pidAttachFilename || id == pidDisplayName {
					switch base {
					case 0x001E:
						out = append(out, toUTF8(trimNUL(data), "windows-1252"))
					case 0x001F:
						out = append(out, decodeUTF16(data))
					}
				}
				continue
			}
			switch base {
			case 0x0001, 0x0002, 0x0003, 0x0004, 0x000A, 0x000B:
				rd.skip(4)
			case 0x0005, 0x0006, 0x0007, 0x0014, 0x0040:
				rd.skip(8)
			case 0x0048:
				rd.skip(16)
			default:
				return out // unknown type: its size is unknown, stop
			}
		}
	}
	return out
}

func pad4(n int) int { return (n + 3) &^ 3 }

func decodeUTF16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// le is a bounds-checked little-endian reader; reading past the end sets it not ok.
type le struct {
	b   []byte
	bad bool
}

func (r *le) ok() bool { return !r.bad }

func (r *le) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *le) skip(n int) { r.bytes(n) }

func (r *le) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *le) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}
