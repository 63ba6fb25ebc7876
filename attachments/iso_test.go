package attachments

import (
	"encoding/binary"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
)

// isoDirRecord is an ECMA-119 §9.1 directory record.
func isoDirRecord(name []byte, extentSector, length uint32, dir bool) []byte {
	n := 33 + len(name)
	if n%2 == 1 {
		n++
	}
	r := make([]byte, n)
	r[0] = byte(n)
	binary.LittleEndian.PutUint32(r[2:], extentSector)
	binary.BigEndian.PutUint32(r[6:], extentSector)
	binary.LittleEndian.PutUint32(r[10:], length)
	binary.BigEndian.PutUint32(r[14:], length)
	if dir {
		r[25] = 0x02
	}
	r[32] = byte(len(name))
	copy(r[33:], name)
	return r
}

func ucs2(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.BigEndian.AppendUint16(b, u)
	}
	return b
}

// isoImage builds an image with a primary (8.3 names) and a Joliet tree: the root holds
// a file and a directory holding a second file.
func isoImage(shortName, longName, subShort, subLong string, data []byte) []byte {
	const (
		pvd, svd, term       = 16, 17, 18
		rootP, rootJ         = 19, 20
		subP, subJ, dataSect = 21, 22, 23
	)
	img := make([]byte, (dataSect+1)*isoSector)
	sector := func(n int) []byte { return img[n*isoSector : (n+1)*isoSector] }
	dir := func(self uint32, entries ...[]byte) []byte {
		var d []byte
		d = append(d, isoDirRecord([]byte{0}, self, isoSector, true)...)
		d = append(d, isoDirRecord([]byte{1}, self, isoSector, true)...)
		for _, e := range entries {
			d = append(d, e...)
		}
		return d
	}
	p := sector(pvd)
	p[0] = 1
	copy(p[1:], "CD001\x01")
	copy(p[156:], isoDirRecord([]byte{0}, rootP, isoSector, true))
	j := sector(svd)
	j[0] = 2
	copy(j[1:], "CD001\x01")
	copy(j[88:], "%/E")
	copy(j[156:], isoDirRecord([]byte{0}, rootJ, isoSector, true))
	t := sector(term)
	t[0] = 255
	copy(t[1:], "CD001\x01")
	copy(sector(rootP), dir(rootP, isoDirRecord([]byte(shortName+";1"), dataSect, uint32(len(data)), false), isoDirRecord([]byte("DOCS"), subP, isoSector, true)))
	copy(sector(rootJ), dir(rootJ, isoDirRecord(ucs2(longName+";1"), dataSect, uint32(len(data)), false), isoDirRecord(ucs2("Documents"), subJ, isoSector, true)))
	copy(sector(subP), dir(subP, isoDirRecord([]byte(subShort+";1"), dataSect, uint32(len(data)), false)))
	copy(sector(subJ), dir(subJ, isoDirRecord(ucs2(subLong+";1"), dataSect, uint32(len(data)), false)))
	copy(sector(dataSect), data)
	return img
}

func TestISOListing(t *testing.T) {
	img := isoImage("INVOIC~1.EXE", "Invoice 2024.pdf.exe", "README.TXT", "read me.txt", peBytes())
	res := scan(t, message(attachment("photos.img", "application/octet-stream", img)), WithReceivers("all"))
	names := allNames(res.Attachments)
	assert.Contains(t, names, "Invoice 2024.pdf.exe")
	assert.Contains(t, names, "Documents/read me.txt")
	assert.Contains(t, codes(res), "attachments.disk-image")
	assert.Contains(t, codes(res), "attachments.forbidden-in-archive")
	assert.Contains(t, codes(res), "attachments.double-extension")
	assert.Equal(t, Reject, action(res, "infomaniak"), "Infomaniak does not list .img, but the .exe inside is caught")
}

// cabBytes builds a cabinet header, one folder and the file entries ([MS-CAB] §2).
func cabBytes(names ...string) []byte {
	var files []byte
	for _, n := range names {
		f := make([]byte, 16)
		binary.LittleEndian.PutUint32(f, 10) // cbFile
		f = append(f, n...)
		files = append(files, append(f, 0)...)
	}
	h := make([]byte, 36+8)
	copy(h, "MSCF")
	binary.LittleEndian.PutUint32(h[8:], uint32(len(h)+len(files)))
	binary.LittleEndian.PutUint32(h[16:], uint32(len(h)))
	h[24], h[25] = 3, 1
	binary.LittleEndian.PutUint16(h[26:], 1)
	binary.LittleEndian.PutUint16(h[28:], uint16(len(names)))
	return append(h, files...)
}

func TestCABAndXZNames(t *testing.T) {
	res := scan(t, message(attachment("drivers.cab", "application/vnd.ms-cab-compressed", cabBytes("readme.txt", "setup\\install.cmd"))))
	assert.Contains(t, allNames(res.Attachments), "setup\\install.cmd")
	assert.Contains(t, codes(res), "attachments.forbidden-in-archive")

	res = scan(t, message(attachment("tool.js.xz", "application/x-xz", []byte("\xfd7zXZ\x00\x00\x04rest"))))
	assert.Contains(t, allNames(res.Attachments), "tool.js")
	assert.Contains(t, codes(res), "attachments.forbidden-in-archive")
}
