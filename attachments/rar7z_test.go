package attachments

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
)

// RAR 5.0 and 7z archives cannot be written by any allowed library, so the tests build
// minimal ones from the published formats: RAR 5.0 (rarlab.com/technote.htm) with stored
// files, and 7z (7zFormat.txt) with empty files.

func vint(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// rar5Block is one RAR 5.0 header: CRC32, size, then type, flags and fields.
func rar5Block(typ, flags uint64, fields []byte) []byte {
	body := append(append(vint(typ), vint(flags)...), fields...)
	h := append(vint(uint64(len(body))), body...)
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], crc32.ChecksumIEEE(h))
	return append(crc[:], h...)
}

func rar5Bytes(files ...zfile) []byte {
	var b bytes.Buffer
	b.WriteString("Rar!\x1a\x07\x01\x00")
	b.Write(rar5Block(1, 0, vint(0))) // main archive header, no flags
	for _, f := range files {
		var fields []byte
		fields = append(fields, vint(uint64(len(f.data)))...) // data size (header flag 0x0002)
		fields = append(fields, vint(0x0004)...)              // file flags: CRC32 present
		fields = append(fields, vint(uint64(len(f.data)))...) // unpacked size
		fields = append(fields, vint(0x20)...)                // attributes
		var crc [4]byte
		binary.LittleEndian.PutUint32(crc[:], crc32.ChecksumIEEE(f.data))
		fields = append(fields, crc[:]...)
		fields = append(fields, vint(0)...) // compression: version 0, stored
		fields = append(fields, vint(0)...) // host OS Windows
		fields = append(fields, vint(uint64(len(f.name)))...)
		fields = append(fields, f.name...)
		b.Write(rar5Block(2, 0x0002, fields))
		b.Write(f.data)
	}
	b.Write(rar5Block(5, 0, vint(0))) // end of archive
	return b.Bytes()
}

// sevenZipBytes builds a 7z archive of empty files: a header with only FilesInfo.
func sevenZipBytes(names ...string) []byte {
	return sevenZipWith(sevenZipHeader(names...))
}

// sevenZipWith wraps a plain header (0x01 ...) in signature and start headers.
func sevenZipWith(header []byte) []byte {
	return sevenZipRaw(nil, header)
}

// sevenZipRaw builds an archive with packed data and a next header.
func sevenZipRaw(packed, header []byte) []byte {
	start := make([]byte, 20)
	binary.LittleEndian.PutUint64(start[0:], uint64(len(packed)))
	binary.LittleEndian.PutUint64(start[8:], uint64(len(header)))
	binary.LittleEndian.PutUint32(start[16:], crc32.ChecksumIEEE(header))
	var b bytes.Buffer
	b.WriteString("7z\xbc\xaf\x27\x1c\x00\x04")
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(start))
	b.Write(start)
	b.Write(packed)
	b.Write(header)
	return b.Bytes()
}

// sevenZipEncoded stores the plain header as a packed stream behind an encoded header
// whose one folder uses the Copy coder (method 0x00), with the given coder if not nil.
func sevenZipEncoded(plain []byte, coder []byte) []byte {
	if coder == nil {
		coder = []byte{0x01, 0x00} // id size 1, method Copy
	}
	var e bytes.Buffer
	e.WriteByte(0x17)
	e.Write([]byte{0x06, 0x00, 0x01, 0x09, byte(len(plain)), 0x00}) // PackInfo: pos 0, 1 stream, size
	e.Write([]byte{0x07, 0x0B, 0x01, 0x00, 0x01})                   // UnPackInfo: 1 folder, not external, 1 coder
	e.Write(coder)
	e.Write([]byte{0x0C, byte(len(plain)), 0x00}) // unpack size, end of UnPackInfo
	e.WriteByte(0x00)                             // end of StreamsInfo
	return sevenZipRaw(plain, e.Bytes())
}

func sevenZipHeader(names ...string) []byte {
	num := func(v uint64) []byte { return []byte{byte(v)} } // 7z NUMBER below 0x80 is one byte
	var h bytes.Buffer
	h.WriteByte(0x01) // kHeader
	h.WriteByte(0x05) // kFilesInfo
	h.Write(num(uint64(len(names))))
	bits := make([]byte, (len(names)+7)/8)
	for i := range names {
		bits[i/8] |= 0x80 >> (i % 8)
	}
	h.WriteByte(0x0E) // kEmptyStream: every file
	h.Write(num(uint64(len(bits))))
	h.Write(bits)
	h.WriteByte(0x0F) // kEmptyFile: every one is a file, not a directory
	h.Write(num(uint64(len(bits))))
	h.Write(bits)
	var nm bytes.Buffer
	nm.WriteByte(0) // not external
	for _, n := range names {
		for _, u := range utf16.Encode([]rune(n)) {
			binary.Write(&nm, binary.LittleEndian, u)
		}
		nm.Write([]byte{0, 0})
	}
	h.WriteByte(0x11) // kName
	h.Write(num(uint64(nm.Len())))
	h.Write(nm.Bytes())
	h.WriteByte(0x00) // end of FilesInfo
	h.WriteByte(0x00) // end of Header
	return h.Bytes()
}

// sevenZipAESContent has a plain header naming one file whose stream is in a folder
// coded with 7zAES: names visible, content encrypted.
func sevenZipAESContent(name string) []byte {
	var h bytes.Buffer
	h.Write([]byte{0x01, 0x04})                                                 // Header, MainStreamsInfo
	h.Write([]byte{0x06, 0x00, 0x01, 0x09, 0x10, 0x00})                         // PackInfo: 16 packed bytes
	h.Write([]byte{0x07, 0x0B, 0x01, 0x00, 0x01, 0x04, 0x06, 0xF1, 0x07, 0x01}) // one folder, 7zAES
	h.Write([]byte{0x0C, 0x10, 0x00, 0x00})                                     // unpack size 16; end UnPackInfo; end StreamsInfo
	h.Write([]byte{0x05, 0x01})                                                 // FilesInfo, one file
	var nm bytes.Buffer
	nm.WriteByte(0)
	for _, u := range utf16.Encode([]rune(name)) {
		binary.Write(&nm, binary.LittleEndian, u)
	}
	nm.Write([]byte{0, 0})
	h.WriteByte(0x11)
	h.WriteByte(byte(nm.Len()))
	h.Write(nm.Bytes())
	h.Write([]byte{0x00, 0x00})
	return sevenZipRaw(make([]byte, 16), h.Bytes())
}

// hugeFileCount is a header declaring 2^32-1 files in a few bytes.
var hugeFileCount = []byte{0x01, 0x05, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00}

func TestRarAnd7zListings(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		wantName string
		wantCode string
	}{
		{"a rar listing is read", message(attachment("files.rar", "application/vnd.rar", rar5Bytes(zfile{name: "readme.txt", data: []byte("hi")}, zfile{name: "bin/setup.exe", data: peBytes()}))),
			"bin/setup.exe", "attachments.forbidden-in-archive"},
		{"a 7z listing is read", message(attachment("files.7z", "application/x-7z-compressed", sevenZipBytes("notes.txt", "run.vbs"))),
			"run.vbs", "attachments.forbidden-in-archive"},
		{"a damaged rar is malformed", message(attachment("bad.rar", "application/vnd.rar", rar5Bytes(zfile{name: "a.txt", data: []byte("x")})[:20])),
			"", "attachments.archive-malformed"},
		{"a 7z with an encoded header is listed", message(attachment("enc.7z", "application/x-7z-compressed", sevenZipEncoded(sevenZipHeader("a.txt", "go.cmd"), nil))),
			"go.cmd", "attachments.forbidden-in-archive"},
		{"a 7z declaring 2^32 files is stopped before it is read", message(attachment("huge.7z", "application/x-7z-compressed", sevenZipWith(hugeFileCount))),
			"", "attachments.archive-limit"},
		{"an encoded 7z header declaring 2^32 files is stopped", message(attachment("huge.7z", "application/x-7z-compressed", sevenZipEncoded(hugeFileCount, nil))),
			"", "attachments.archive-limit"},
		{"a 7z coder asking for a 4 GiB dictionary is refused", message(attachment("dict.7z", "application/x-7z-compressed", sevenZipEncoded(sevenZipHeader("a.txt"), []byte{0x23, 0x03, 0x01, 0x01, 0x05, 0x5D, 0xFF, 0xFF, 0xFF, 0xFF}))),
			"", "attachments.archive-malformed"},
		{"a 7z whose header is encrypted is an encrypted archive", message(attachment("locked.7z", "application/x-7z-compressed", sevenZipEncoded(sevenZipHeader("a.txt"), []byte{0x04, 0x06, 0xF1, 0x07, 0x01}))),
			"", "attachments.encrypted-archive"},
		{"a 7z with encrypted content still shows its names", message(attachment("locked.7z", "application/x-7z-compressed", sevenZipAESContent("inner.zip"))),
			"inner.zip", "attachments.encrypted-archive"},
		{"a damaged 7z is malformed", message(attachment("bad.7z", "application/x-7z-compressed", sevenZipBytes("a.txt")[:40])),
			"", "attachments.archive-malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, tt.msg)
			if tt.wantName != "" {
				assert.Contains(t, allNames(res.Attachments), tt.wantName)
			}
			assert.Contains(t, codes(res), tt.wantCode)
		})
	}
}

func TestEncrypted7zHoldingAnArchiveIsRejectedByGmail(t *testing.T) {
	res := scan(t, message(attachment("locked.7z", "application/x-7z-compressed", sevenZipAESContent("inner.zip"))), WithReceivers("gmail"))
	assert.Equal(t, Reject, action(res, "gmail"))
	assert.Contains(t, codes(res), "attachments.forbidden-in-archive")
}
