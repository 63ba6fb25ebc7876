package attachments

import (
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf16"
)

// ISO 9660 (ECMA-119) images are listed like archives: receivers that do not block the
// image by name see what Windows shows when it mounts it. Joliet names (UCS-2) are
// preferred to the 8.3 ones when the image has them.

type isoFile struct {
	path   string
	extent int64 // byte offset of the data
	size   int64
}

const (
	isoSector     = 2048
	isoMaxDirSize = 1 << 20
	isoMaxDepth   = 8
)

// listISO walks the directory tree of an ISO 9660 image, at most maxEntries files.
func listISO(r io.ReaderAt, size int64, maxEntries int) (files []isoFile, damaged bool) {
	root, joliet := isoRoot(r, size)
	if root == nil {
		return nil, true
	}
	type dir struct {
		path        string
		extent, len int64
		depth       int
	}
	queue := []dir{{"", int64(binary.LittleEndian.Uint32(root[2:])) * isoSector, int64(binary.LittleEndian.Uint32(root[10:])), 0}}
	seen := map[int64]bool{}
	for len(queue) > 0 && len(files) < maxEntries {
		d := queue[0]
		queue = queue[1:]
		if seen[d.extent] || d.depth > isoMaxDepth {
			continue
		}
		seen[d.extent] = true
		data := readAt(r, size, d.extent, int(min(d.len, isoMaxDirSize)))
		if data == nil {
			damaged = true
			continue
		}
		for off := 0; off < len(data) && len(files) < maxEntries; {
			n := int(data[off])
			if n == 0 { // records do not cross sectors: skip to the next one
				off = (off/isoSector + 1) * isoSector
				continue
			}
			if n < 34 || off+n > len(data) || 33+int(data[off+32]) > n {
				damaged = true
				break
			}
			rec := data[off : off+n]
			off += n
			raw := rec[33 : 33+int(rec[32])]
			if len(raw) == 1 && (raw[0] == 0 || raw[0] == 1) {
				continue // "." and ".."
			}
			name := isoName(raw, joliet)
			p := name
			if d.path != "" {
				p = d.path + "/" + name
			}
			extent := int64(binary.LittleEndian.Uint32(rec[2:])) * isoSector
			length := int64(binary.LittleEndian.Uint32(rec[10:]))
			if rec[25]&0x02 != 0 {
				queue = append(queue, dir{p, extent, length, d.depth + 1})
				continue
			}
			files = append(files, isoFile{path: p, extent: extent, size: length})
		}
	}
	return files, damaged
}

// isoRoot returns the root directory record of the Joliet supplementary descriptor if
// there is one, else of the primary descriptor (ECMA-119 §8.4.18: offset 156).
func isoRoot(r io.ReaderAt, size int64) (root []byte, joliet bool) {
	for sector := int64(16); sector < 16+32; sector++ {
		vd := readAt(r, size, sector*isoSector, isoSector)
		if vd == nil || string(vd[1:6]) != "CD001" || vd[0] == 255 {
			break
		}
		switch vd[0] {
		case 1:
			if root == nil {
				root = vd[156 : 156+34]
			}
		case 2:
			// Joliet: escape sequence %/@, %/C or %/E (UCS-2 levels 1-3).
			if esc := string(vd[88:91]); esc == "%/@" || esc == "%/C" || esc == "%/E" {
				return vd[156 : 156+34], true
			}
		}
	}
	return root, false
}

// isoName decodes a file identifier and drops the ";1" version suffix.
func isoName(raw []byte, joliet bool) string {
	var s string
	if joliet {
		u := make([]uint16, 0, len(raw)/2)
		for i := 0; i+1 < len(raw); i += 2 {
			u = append(u, binary.BigEndian.Uint16(raw[i:]))
		}
		s = string(utf16.Decode(u))
	} else {
		s = toUTF8(raw, "iso-8859-1")
	}
	if i := strings.LastIndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return s
}
