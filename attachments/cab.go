package attachments

import (
	"encoding/binary"
	"io"
	"unicode/utf8"
)

// listCAB reads the file names of a Microsoft cabinet ([MS-CAB] §2.1 CFHEADER, §2.3
// CFFILE). Cabinet data is MSZIP/LZX/Quantum compressed; only the names are read.
func listCAB(r io.ReaderAt, size int64, maxEntries int) (names []string, damaged bool) {
	h := readAt(r, size, 0, 36)
	if h == nil {
		return nil, true
	}
	coffFiles := int64(binary.LittleEndian.Uint32(h[16:]))
	cFiles := int(binary.LittleEndian.Uint16(h[28:]))
	off := coffFiles
	for i := 0; i < cFiles && len(names) < maxEntries; i++ {
		f := readAt(r, size, off, 16)
		if f == nil {
			return names, true
		}
		attribs := binary.LittleEndian.Uint16(f[14:])
		raw := readAt(r, size, off+16, int(min(256, size-off-16)))
		if raw == nil {
			return names, true
		}
		end := -1
		for j, c := range raw {
			if c == 0 {
				end = j
				break
			}
		}
		if end < 0 {
			return names, true
		}
		name := raw[:end]
		// §2.3: attribute 0x80 (_A_NAME_IS_UTF) marks UTF-8; otherwise a code page.
		if attribs&0x80 != 0 && utf8.Valid(name) {
			names = append(names, string(name))
		} else {
			names = append(names, toUTF8(name, "windows-1252"))
		}
		off += 16 + int64(end) + 1
	}
	return names, false
}
