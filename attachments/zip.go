package attachments

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// The zip format, as published in PKWARE's APPNOTE.TXT (version 6.3.10).
const (
	sigLocal     = "PK\x03\x04" // APPNOTE §4.3.7
	sigCentral   = "PK\x01\x02" // APPNOTE §4.3.12
	sigEnd       = "PK\x05\x06" // APPNOTE §4.3.16
	sigEnd64     = "PK\x06\x06" // APPNOTE §4.3.14
	sigLocator64 = "PK\x06\x07" // APPNOTE §4.3.15
	endLen       = 22
	centralLen   = 46
	localLen     = 30
	maxComment   = 0xFFFF
)

// zipEntry is one file of a zip archive as both its central directory and its local
// header describe it.
type zipEntry struct {
	names     []string // central name, local name if different, Info-ZIP Unicode path
	flags     uint16
	method    uint16
	csize     uint64
	usize     uint64
	localOff  int64 // absolute offset of the local header, prefix included
	dataOff   int64 // absolute offset of the file data, -1 when the local header is unreadable
	encrypted bool  // APPNOTE §4.4.4 bit 0
	localOnly bool  // found by walking local headers, absent from the central directory
}

// zipListing is everything the lister learned about an archive.
type zipListing struct {
	entries    []zipEntry
	prefix     int64 // bytes before the archive proper (a self-extractor stub, or prepended data)
	comment    int   // archive comment length
	zip64      bool  // APPNOTE §4.3.14 records were used
	mismatches []string
	overlap    bool     // two entries share bytes: the overlapping zip bomb construction
	problems   []string // structural defects, in words
	truncated  bool     // maxEntries was reached
}

// listZip reads a zip archive's central directory and every local header without
// decompressing anything. It never fails: what it cannot read becomes a problem in the
// listing. maxEntries bounds the work on a hostile directory.
func listZip(r io.ReaderAt, size int64, maxEntries int) *zipListing {
	z := &zipListing{}
	endOff, end := findEnd(r, size)
	if endOff < 0 {
		z.problems = append(z.problems, "no end of central directory record: archive truncated or not a zip")
		z.walkLocal(r, size, 0, size, maxEntries, nil)
		return z
	}
	count := uint64(binary.LittleEndian.Uint16(end[10:]))
	cdSize := uint64(binary.LittleEndian.Uint32(end[12:]))
	cdOff := uint64(binary.LittleEndian.Uint32(end[16:]))
	z.comment = int(binary.LittleEndian.Uint16(end[20:]))
	if endOff+endLen+int64(z.comment) != size {
		z.problems = append(z.problems, fmt.Sprintf("%d bytes after the end of central directory record", size-endOff-endLen-int64(z.comment)))
	}
	dirEnd := endOff // where the central directory should end
	// APPNOTE §4.4.1.4: 0xFFFF / 0xFFFFFFFF mean "see the Zip64 end record".
	if count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOff == 0xFFFFFFFF {
		if loc := readAt(r, size, endOff-20, 20); loc != nil && string(loc[:4]) == sigLocator64 {
			// The record normally sits right before the locator; the locator's own
			// offset is shifted by any prefixed data, so both places are tried.
			recorded := int64(min(binary.LittleEndian.Uint64(loc[8:]), 1<<62))
			found := false
			for _, at := range []int64{endOff - 20 - 56, recorded} {
				if e := readAt(r, size, at, 56); e != nil && string(e[:4]) == sigEnd64 {
					z.zip64, found = true, true
					count = binary.LittleEndian.Uint64(e[32:])
					cdSize = binary.LittleEndian.Uint64(e[40:])
					cdOff = binary.LittleEndian.Uint64(e[48:])
					dirEnd = at
					break
				}
			}
			if !found {
				z.problems = append(z.problems, "Zip64 locator points to no Zip64 end record")
			}
		}
	}
	if cdSize > uint64(dirEnd) {
		z.problems = append(z.problems, "central directory size larger than the archive")
		z.walkLocal(r, size, 0, size, maxEntries, nil)
		return z
	}
	// The directory really starts cdSize bytes before its end record; any difference
	// from the recorded offset is data prepended to the archive (a self-extractor stub,
	// or junk meant to hide the archive from scanners that read from the front).
	realCD := dirEnd - int64(cdSize)
	z.prefix = realCD - int64(min(cdOff, 1<<62))
	if z.prefix < 0 {
		z.problems = append(z.problems, "central directory offset points past the directory")
		z.prefix = 0
	}
	z.readCentral(r, size, realCD, int64(cdSize), count, maxEntries)
	z.checkLocal(r, size, realCD)
	seen := map[int64]bool{}
	for _, e := range z.entries {
		seen[e.localOff] = true
	}
	z.walkLocal(r, size, z.prefix, realCD, maxEntries, seen)
	return z
}

// findEnd locates the end of central directory record: the last signature whose comment
// length fits, else the last signature at all (a wrong comment length is tolerated, as
// unzip does).
func findEnd(r io.ReaderAt, size int64) (int64, []byte) {
	n := min(size, endLen+maxComment)
	buf := readAt(r, size, size-n, int(n))
	if buf == nil {
		return -1, nil
	}
	fallback := -1
	for i := len(buf) - endLen; i >= 0; i-- {
		if string(buf[i:i+4]) != sigEnd {
			continue
		}
		if fallback < 0 {
			fallback = i
		}
		if c := int(binary.LittleEndian.Uint16(buf[i+20:])); i+endLen+c == len(buf) {
			return size - n + int64(i), buf[i : i+endLen]
		}
	}
	if fallback >= 0 {
		return size - n + int64(fallback), buf[fallback : fallback+endLen]
	}
	return -1, nil
}

func (z *zipListing) readCentral(r io.ReaderAt, size, off, cdSize int64, count uint64, maxEntries int) {
	end := off + cdSize
	var n uint64
	for off+centralLen <= end {
		if len(z.entries) >= maxEntries {
			z.truncated = true
			return
		}
		h := readAt(r, size, off, centralLen)
		if h == nil || string(h[:4]) != sigCentral {
			z.problems = append(z.problems, fmt.Sprintf("central directory entry %d is damaged", n+1))
			return
		}
		nameLen := int(binary.LittleEndian.Uint16(h[28:]))
		extraLen := int(binary.LittleEndian.Uint16(h[30:]))
		commentLen := int(binary.LittleEndian.Uint16(h[32:]))
		rawName := readAt(r, size, off+centralLen, nameLen)
		extra := readAt(r, size, off+centralLen+int64(nameLen), extraLen)
		if rawName == nil {
			z.problems = append(z.problems, fmt.Sprintf("central directory entry %d runs past the archive", n+1))
			return
		}
		e := zipEntry{
			flags:    binary.LittleEndian.Uint16(h[8:]),
			method:   binary.LittleEndian.Uint16(h[10:]),
			csize:    uint64(binary.LittleEndian.Uint32(h[20:])),
			usize:    uint64(binary.LittleEndian.Uint32(h[24:])),
			localOff: int64(binary.LittleEndian.Uint32(h[42:])),
			dataOff:  -1,
		}
		e.encrypted = e.flags&1 != 0
		e.names = zipNames(rawName, e.flags)
		z.applyExtra(&e, extra, h)
		e.localOff += z.prefix
		z.entries = append(z.entries, e)
		off += centralLen + int64(nameLen+extraLen+commentLen)
		n++
	}
	if n != count {
		z.problems = append(z.problems, fmt.Sprintf("end record announces %d entries, central directory holds %d", count, n))
	}
}

// applyExtra reads the Zip64 (APPNOTE §4.5.3) and Info-ZIP Unicode Path (§4.6.9) extra
// fields.
func (z *zipListing) applyExtra(e *zipEntry, extra, h []byte) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+n > len(extra) {
			return
		}
		body := extra[4 : 4+n]
		extra = extra[4+n:]
		switch id {
		case 0x0001:
			z.zip64 = true
			// The fields appear only for the values that overflowed, in this order.
			take := func(v *uint64, overflowed bool) {
				if overflowed && len(body) >= 8 {
					*v = binary.LittleEndian.Uint64(body)
					body = body[8:]
				}
			}
			off := uint64(e.localOff)
			take(&e.usize, binary.LittleEndian.Uint32(h[24:]) == 0xFFFFFFFF)
			take(&e.csize, binary.LittleEndian.Uint32(h[20:]) == 0xFFFFFFFF)
			take(&off, binary.LittleEndian.Uint32(h[42:]) == 0xFFFFFFFF)
			if off < 1<<62 {
				e.localOff = int64(off)
			}
		case 0x7075:
			if len(body) > 5 && body[0] == 1 && utf8.Valid(body[5:]) {
				if s := string(body[5:]); !slices.Contains(e.names, s) {
					e.names = append(e.names, s)
				}
			}
		}
	}
}

// zipNames decodes a raw entry name. APPNOTE §4.4.4 bit 11 marks UTF-8; without it the
// name is IBM code page 437, but many tools write UTF-8 (or the local code page) without
// setting the bit, so every plausible reading is kept.
func zipNames(raw []byte, flags uint16) []string {
	ascii := true
	for _, c := range raw {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return []string{string(raw)}
	}
	var out []string
	if utf8.Valid(raw) {
		out = append(out, string(raw))
	}
	if flags&(1<<11) == 0 || len(out) == 0 {
		if s, err := charmap.CodePage437.NewDecoder().Bytes(raw); err == nil && !slices.Contains(out, string(s)) {
			out = append(out, string(s))
		}
	}
	return out
}

// checkLocal reads each entry's local header: its name must match the central one
// (readers that stream from the front see only local names), and no two entries may
// share bytes.
func (z *zipListing) checkLocal(r io.ReaderAt, size, dirStart int64) {
	for i := range z.entries {
		e := &z.entries[i]
		h := readAt(r, size, e.localOff, localLen)
		if h == nil || string(h[:4]) != sigLocal {
			z.problems = append(z.problems, fmt.Sprintf("local header of %q missing at offset %d", e.names[0], e.localOff))
			continue
		}
		nameLen := int(binary.LittleEndian.Uint16(h[26:]))
		extraLen := int(binary.LittleEndian.Uint16(h[28:]))
		raw := readAt(r, size, e.localOff+localLen, nameLen)
		if raw == nil {
			z.problems = append(z.problems, fmt.Sprintf("local header of %q runs past the archive", e.names[0]))
			continue
		}
		e.dataOff = e.localOff + localLen + int64(nameLen+extraLen)
		local := zipNames(raw, binary.LittleEndian.Uint16(h[6:]))
		if !slices.Contains(e.names, local[0]) {
			z.mismatches = append(z.mismatches, fmt.Sprintf("central directory says %q, local header says %q", e.names[0], local[0]))
			e.names = append(e.names, local...)
		}
		if e.dataOff+int64(min(e.csize, 1<<62)) > dirStart {
			z.problems = append(z.problems, fmt.Sprintf("data of %q runs into the central directory", e.names[0]))
		}
	}
	// Overlap: sorted by offset, each entry's data must end before the next header.
	idx := make([]int, 0, len(z.entries))
	for i, e := range z.entries {
		if e.dataOff >= 0 {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		return int(z.entries[a].localOff - z.entries[b].localOff)
	})
	for k := 1; k < len(idx); k++ {
		prev, cur := z.entries[idx[k-1]], z.entries[idx[k]]
		if cur.localOff < prev.dataOff+int64(min(prev.csize, 1<<62)) {
			z.overlap = true
			break
		}
	}
}

// walkLocal follows local headers from start, adding entries the central directory does
// not list. It stops where sizes are unknown (a data descriptor without a matching
// central entry) since finding the end would mean decompressing.
func (z *zipListing) walkLocal(r io.ReaderAt, size, start, end int64, maxEntries int, known map[int64]bool) {
	byOff := map[int64]*zipEntry{}
	for i := range z.entries {
		byOff[z.entries[i].localOff] = &z.entries[i]
	}
	off := start
	for steps := 0; off+localLen <= end && steps < maxEntries*2; steps++ {
		h := readAt(r, size, off, localLen)
		if h == nil || string(h[:4]) != sigLocal {
			return
		}
		flags := binary.LittleEndian.Uint16(h[6:])
		csize := int64(binary.LittleEndian.Uint32(h[18:]))
		nameLen := int64(binary.LittleEndian.Uint16(h[26:]))
		extraLen := int64(binary.LittleEndian.Uint16(h[28:]))
		data := off + localLen + nameLen + extraLen
		if c, ok := byOff[off]; ok {
			csize = int64(min(c.csize, 1<<40))
		} else {
			raw := readAt(r, size, off+localLen, int(nameLen))
			if raw == nil || len(z.entries) >= maxEntries {
				return
			}
			e := zipEntry{
				names: zipNames(raw, flags), flags: flags,
				method:   binary.LittleEndian.Uint16(h[8:]),
				csize:    uint64(csize),
				usize:    uint64(binary.LittleEndian.Uint32(h[22:])),
				localOff: off, dataOff: data, encrypted: flags&1 != 0, localOnly: true,
			}
			z.entries = append(z.entries, e)
			if known != nil {
				z.mismatches = append(z.mismatches, fmt.Sprintf("local header %q is not in the central directory", e.names[0]))
			}
			if flags&8 != 0 && csize == 0 {
				return // APPNOTE §4.4.4 bit 3: sizes follow the data; cannot skip it
			}
		}
		off = data + csize
		if flags&8 != 0 {
			// APPNOTE §4.3.9: the data descriptor, with an optional signature and
			// 4- or 8-byte sizes.
			d := readAt(r, size, off, 4)
			if d != nil && string(d) == "PK\x07\x08" {
				off += 4
			}
			off += 12
			if z.zip64 {
				off += 8
			}
		}
	}
}

// readAt reads exactly n bytes at off, nil when they are not all there.
func readAt(r io.ReaderAt, size, off int64, n int) []byte {
	if off < 0 || n < 0 || off+int64(n) > size {
		return nil
	}
	b := make([]byte, n)
	if k, err := r.ReadAt(b, off); k < n && err != nil {
		return nil
	}
	return b
}

// hasEntry reports whether any entry name ends with suffix (case-insensitive).
func (z *zipListing) hasEntry(suffixes ...string) bool {
	for _, e := range z.entries {
		for _, n := range e.names {
			l := bytes.ToLower([]byte(n))
			for _, s := range suffixes {
				if bytes.HasSuffix(l, []byte(s)) {
					return true
				}
			}
		}
	}
	return false
}

// classify refines a zip by the entries that make it a document or a package.
func (z *zipListing) classify() FileType {
	switch {
	case z.hasEntry("[content_types].xml"):
		if z.hasEntry("vbaproject.bin") {
			return TypeOOXMLMacro
		}
		return TypeOOXML
	case z.hasEntry("mimetype") && z.hasEntry("content.xml"):
		if z.hasEntry("basic/script-lc.xml") {
			return TypeODFMacro
		}
		return TypeODF
	case z.hasEntry("androidmanifest.xml") && z.hasEntry("classes.dex"):
		return TypeAPK
	case z.hasEntry("meta-inf/manifest.mf"):
		return TypeJAR
	}
	return TypeZip
}
