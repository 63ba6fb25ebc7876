package attachments

// The test corpus is generated here, in code: every tricky case is a function of a few
// lines, so what each message contains is visible next to the test that uses it.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// message wraps parts into a multipart/mixed message.
func message(parts ...string) string {
	boundaries++
	return multipart("mixed", fmt.Sprintf("outer-boundary-%d", boundaries), "Subject: test\r\nFrom: a@example.com\r\nTo: b@example.net\r\nMIME-Version: 1.0\r\n", parts...)
}

var boundaries int

// multipart builds a multipart entity with the given extra header lines.
func multipart(sub, boundary, headers string, parts ...string) string {
	var b strings.Builder
	b.WriteString(headers)
	fmt.Fprintf(&b, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\nThis is a multi-part message.\r\n", sub, boundary)
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\n%s\r\n", boundary, p)
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.String()
}

func textPart(body string) string {
	return "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
}

// attachment is a base64 part with a Content-Type name and a Content-Disposition filename.
func attachment(filename, ctype string, data []byte) string {
	return rawAttachment(fmt.Sprintf("Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n", ctype, filename, filename), data)
}

// rawAttachment is a base64 part with the given header lines.
func rawAttachment(headers string, data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString(headers)
	b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.String()
}

// Fixture file contents.
var (
	pdfBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	icsBytes = []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:Review\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
)

// peBytes is a minimal PE image: "MZ", e_lfanew at 0x3C, "PE\0\0".
func peBytes() []byte {
	b := make([]byte, 256)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3C:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	return b
}

// lnkBytes is a shell link header ([MS-SHLLINK] §2.1).
func lnkBytes() []byte {
	b := make([]byte, 0x4C)
	copy(b, "L\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")
	return b
}

// isoBytes is an ISO 9660 image: a primary volume descriptor at sector 16.
func isoBytes() []byte {
	b := make([]byte, 0x8800)
	copy(b[0x8000:], "\x01CD001\x01")
	return b
}

// oleMacroBytes is an OLE compound file whose directory names a VBA project.
func oleMacroBytes() []byte {
	b := make([]byte, 2048)
	copy(b, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	copy(b[1024:], utf16le("_VBA_PROJECT_CUR"))
	return b
}

type zfile struct {
	name string
	data []byte
	raw  bool // stored rather than deflated
}

// zipBytes builds a zip archive with the standard library (data descriptors, deflate).
func zipBytes(t testing.TB, files ...zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		if f.raw {
			h.Method = zip.Store
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// patchAll replaces every occurrence of old with new (same length) in b.
func patchAll(b []byte, old, new string) []byte {
	if len(old) != len(new) {
		panic("patch must keep the length")
	}
	return bytes.ReplaceAll(b, []byte(old), []byte(new))
}

// patchLocalName renames the first local header's file (same length), leaving the
// central directory as it is.
func patchLocalName(b []byte, old, new string) []byte {
	out := bytes.Clone(b)
	i := bytes.Index(out, []byte(old))
	copy(out[i:], new)
	return out
}

// encryptFlags sets the "encrypted" bit on every local and central header.
func encryptFlags(b []byte) []byte {
	out := bytes.Clone(b)
	for _, sig := range []struct {
		s   string
		off int
	}{{sigLocal, 6}, {sigCentral, 8}} {
		for i := 0; ; {
			j := bytes.Index(out[i:], []byte(sig.s))
			if j < 0 {
				break
			}
			out[i+j+sig.off] |= 1
			i += j + 4
		}
	}
	return out
}

// overlapZip is the overlapping-entries construction: several central entries point at
// the same local file.
func overlapZip(t testing.TB) []byte {
	t.Helper()
	one := zipBytes(t, zfile{name: "a.txt", data: bytes.Repeat([]byte("x"), 1000)})
	cd := bytes.Index(one, []byte(sigCentral))
	end := bytes.Index(one, []byte(sigEnd))
	entry := one[cd:end]
	var b bytes.Buffer
	b.Write(one[:cd])
	for range 3 {
		b.Write(entry)
	}
	tail := bytes.Clone(one[end:])
	binary.LittleEndian.PutUint16(tail[8:], 3)
	binary.LittleEndian.PutUint16(tail[10:], 3)
	binary.LittleEndian.PutUint32(tail[12:], uint32(3*len(entry)))
	b.Write(tail)
	return b.Bytes()
}

// zip64Bytes hand-builds a stored zip that uses Zip64 records (APPNOTE §4.3.14-15,
// §4.5.3): sizes and offsets of 0xFFFFFFFF resolved through the extra field.
func zip64Bytes(name string, data []byte) []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	extra := func() []byte {
		var e bytes.Buffer
		binary.Write(&e, binary.LittleEndian, uint16(1))
		binary.Write(&e, binary.LittleEndian, uint16(24))
		binary.Write(&e, binary.LittleEndian, uint64(len(data)))
		binary.Write(&e, binary.LittleEndian, uint64(len(data)))
		binary.Write(&e, binary.LittleEndian, uint64(0))
		return e.Bytes()
	}()
	b.WriteString(sigLocal)
	le(uint16(45))
	le(uint16(0))
	le(uint16(0))
	le(uint32(0))
	le(uint32(0))
	le(uint32(0xFFFFFFFF))
	le(uint32(0xFFFFFFFF))
	le(uint16(len(name)))
	le(uint16(len(extra)))
	b.WriteString(name)
	b.Write(extra)
	b.Write(data)
	cdOff := b.Len()
	b.WriteString(sigCentral)
	le(uint16(45))
	le(uint16(45))
	le(uint16(0))
	le(uint16(0))
	le(uint32(0))
	le(uint32(0))
	le(uint32(0xFFFFFFFF))
	le(uint32(0xFFFFFFFF))
	le(uint16(len(name)))
	le(uint16(len(extra)))
	le(uint16(0))
	le(uint16(0))
	le(uint16(0))
	le(uint32(0))
	le(uint32(0xFFFFFFFF))
	b.WriteString(name)
	b.Write(extra)
	cdSize := b.Len() - cdOff
	e64 := b.Len()
	b.WriteString(sigEnd64)
	le(uint64(44))
	le(uint16(45))
	le(uint16(45))
	le(uint32(0))
	le(uint32(0))
	le(uint64(1))
	le(uint64(1))
	le(uint64(cdSize))
	le(uint64(cdOff))
	b.WriteString(sigLocator64)
	le(uint32(0))
	le(uint64(e64))
	le(uint32(1))
	b.WriteString(sigEnd)
	le(uint16(0))
	le(uint16(0))
	le(uint16(0xFFFF))
	le(uint16(0xFFFF))
	le(uint32(0xFFFFFFFF))
	le(uint32(0xFFFFFFFF))
	le(uint16(0))
	return b.Bytes()
}

func gzipBytes(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Name = name
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func tarBytes(t testing.TB, files ...zfile) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, f := range files {
		w.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		w.Write(f.data)
	}
	w.Close()
	return b.Bytes()
}

// tnefBytes builds a winmail.dat with one attachment carrying both a short title and a
// long file name in its MAPI properties ([MS-OXTNEF] §2.1.3).
func tnefBytes(title, long string, data []byte) []byte {
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	attr := func(level byte, id uint32, payload []byte) {
		b.WriteByte(level)
		le(id)
		le(uint32(len(payload)))
		b.Write(payload)
		var sum uint16
		for _, c := range payload {
			sum += uint16(c)
		}
		le(sum)
	}
	b.Write(tnefSignature)
	le(uint16(0x0001))
	attr(1, 0x00089006, []byte{0, 0, 1, 0}) // attTnefVersion-ish message attribute
	attr(2, 0x00069002, make([]byte, 14))   // attAttachRendData: a new attachment
	attr(2, 0x00018010, append([]byte(title), 0))
	attr(2, 0x0006800F, data)
	var props bytes.Buffer
	pl := func(v any) { binary.Write(&props, binary.LittleEndian, v) }
	pl(uint32(2))
	pl(uint16(0x0003)) // PT_LONG attach method
	pl(uint16(0x3705))
	pl(uint32(1))
	name := append([]byte(long), 0)
	pl(uint16(0x001E)) // PT_STRING8 long file name
	pl(uint16(pidAttachLongFilename))
	pl(uint32(1))
	pl(uint32(len(name)))
	props.Write(name)
	props.Write(make([]byte, pad4(len(name))-len(name)))
	attr(2, 0x00069005, props.Bytes())
	return b.Bytes()
}

// uuencode encodes data the POSIX way.
func uuencode(name string, data []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "begin 644 %s\r\n", name)
	for len(data) > 0 {
		n := min(45, len(data))
		chunk := data[:n]
		data = data[n:]
		b.WriteByte(byte(32 + n))
		for i := 0; i < n; i += 3 {
			var c [3]byte
			copy(c[:], chunk[i:min(i+3, n)])
			for _, v := range []byte{c[0] >> 2, (c[0]<<4 | c[1]>>4) & 63, (c[1]<<2 | c[2]>>6) & 63, c[2] & 63} {
				if v == 0 {
					b.WriteByte('`')
				} else {
					b.WriteByte(32 + v)
				}
			}
		}
		b.WriteString("\r\n")
	}
	b.WriteString("`\r\nend\r\n")
	return b.String()
}
