package attachments

import (
	"archive/tar"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bodgit/sevenzip"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/spool"
	"github.com/nwaples/rardecode/v2"
	"github.com/ulikunitz/xz"
)

// Archives are listed from their metadata only. A leaf file is never decompressed; only
// an entry that is itself an archive is, under Limits, so that its own listing can be
// read.

// nestedMemory caps what one nested archive holds in memory before spilling, so that a
// chain of nested archives cannot multiply the per-part memory cap.
const nestedMemory = 8 << 20

// opener opens an entry's decompressed content.
type opener func() (io.Reader, error)

// limitFinding reports a reached limit on an archive.
func (s *scanner) limitFinding(loc, what string) {
	s.add(Finding{
		Code: CodeArchiveLimit, Severity: finding.Warning,
		Message:  fmt.Sprintf("Archive %s was not fully inspected: %s.", loc, what),
		Fix:      "Flatten the archive (no archives inside archives) and keep it small; receivers that cannot scan an archive often reject it.",
		Evidence: &finding.Evidence{Name: loc, Detail: what},
	})
}

// member adds one archive entry to parent and opens it when it is itself an archive.
// It returns false when listing must stop (entry limit or time).
func (s *scanner) member(parent *Attachment, entry string, names []string, size int64, csize int64, encrypted bool, open opener, depth int) bool {
	return s.memberOfType(parent, entry, names, size, csize, encrypted, open, depth, TypeUnknown)
}

// peekLen is how much of an entry peekedMember decompresses: enough for every magic
// number sniff knows and, almost always, a PE header's signature.
const peekLen = 1024

// maxPeeks bounds the entries peeked at in one message (each costs a decompressor).
const maxPeeks = 2000

// peekedMember is member for archives whose entries are cheap to read (zip, ISO, tar).
// An entry not named as an archive or a document is sniffed from its first peekLen
// bytes: receivers that judge files by their true type (Gmail, Microsoft 365) see a zip
// renamed data.bin as the archive it is and open it, and an .exe renamed .pdf as an
// executable. Only that prefix is decompressed; the rest of a leaf file never is.
func (s *scanner) peekedMember(parent *Attachment, entry string, names []string, size int64, csize int64, encrypted bool, open opener, depth int) bool {
	sniffed := TypeUnknown
	if open != nil && !encrypted && size != 0 && s.peeks < maxPeeks && !namedContainer(entry, names) {
		s.peeks++
		sniffed, open = peekType(open)
	}
	return s.memberOfType(parent, entry, names, size, csize, encrypted, open, depth, sniffed)
}

// namedContainer reports an entry whose name already says it is an archive or a
// zip-based document (which are never descended into).
func namedContainer(entry string, names []string) bool {
	for _, n := range parseNames(append([]string{entry}, names...)) {
		if archiveExts[n.ext] || zipDocumentExts[n.ext] {
			return true
		}
	}
	return false
}

// peekType sniffs an entry's first bytes and returns an opener that replays them
// before the rest, for the one later read a nested archive needs.
func peekType(open opener) (FileType, opener) {
	r, err := open()
	if err != nil {
		return TypeUnknown, open
	}
	buf := make([]byte, peekLen)
	n, _ := io.ReadFull(r, buf)
	buf = buf[:n]
	t := sniff(bytes.NewReader(buf), int64(n))
	return t, func() (io.Reader, error) { return io.MultiReader(bytes.NewReader(buf), r), nil }
}

// memberOfType is member with the entry's sniffed type (TypeUnknown when not peeked).
func (s *scanner) memberOfType(parent *Attachment, entry string, names []string, size int64, csize int64, encrypted bool, open opener, depth int, sniffed FileType) bool {
	if s.expired(parent.loc) {
		return false
	}
	s.entries++
	if s.entries > s.cfg.limits.Entries {
		s.limitFinding(parent.loc, fmt.Sprintf("the message has more than %d archive entries; the rest were not listed", s.cfg.limits.Entries))
		return false
	}
	c := Attachment{Part: parent.Part, Entry: entry, Source: "archive", Size: size, Encrypted: encrypted, inArc: true}
	if len(names) == 0 {
		names = []string{entry}
	}
	c.names = parseNames(names)
	c.Names = rawNames(c.names)
	c.loc = parent.loc + " → " + entry
	isArchive := sniffed.archive()
	for _, n := range c.names {
		if archiveExts[n.ext] {
			isArchive = true
		}
	}
	if sniffed.executable() {
		c.Type = sniffed // judged by its true type, and its name checked against it
	}
	if isArchive {
		c.nested = true
		switch {
		case encrypted:
			c.encNest = true
		case open == nil:
			s.add(Finding{
				Code: CodeNotInspectable, Severity: finding.Warning,
				Message:  fmt.Sprintf("Nested archive %s cannot be opened (unsupported compression).", c.loc),
				Fix:      "Use deflate compression, or do not nest archives.",
				Evidence: &finding.Evidence{Name: c.loc},
			})
		case depth+1 > s.cfg.limits.Depth:
			s.limitFinding(c.loc, fmt.Sprintf("it is nested %d archives deep (limit %d); its contents were not listed", depth+1, s.cfg.limits.Depth))
		default:
			s.openNested(&c, open, csize, depth)
		}
	}
	parent.Contents = append(parent.Contents, c)
	return true
}

// openNested decompresses a nested archive into a spool under the byte, ratio and time
// limits, then inspects it one level deeper.
func (s *scanner) openNested(c *Attachment, open opener, csize int64, depth int) {
	r, err := open()
	if err != nil {
		s.malformed(c, "cannot be decompressed: "+err.Error())
		return
	}
	sp := spool.New(min(s.cfg.memory, nestedMemory), s.cfg.tempDir)
	defer sp.Close()
	lr := &limitedReader{r: r, s: s, csize: csize}
	_, err = io.Copy(sp, lr)
	if lr.reason != "" {
		s.limitFinding(c.loc, lr.reason)
		return
	}
	if isSpillErr(err) {
		s.ioErr = err
		return
	}
	if err != nil {
		s.malformed(c, "decompression failed: "+err.Error())
		// What was decompressed may still list (tar); zip needs its end, so it will
		// report itself as truncated.
	}
	if c.Size <= 0 {
		c.Size = sp.Size()
	}
	s.inspectFile(c, sp, sp.Size(), depth)
}

// limitedReader stops decompression at the per-archive bytes, total bytes, ratio and
// time limits, remembering which one was reached.
type limitedReader struct {
	r      io.Reader
	s      *scanner
	csize  int64 // compressed size, for the ratio; 0 when unknown
	n      int64
	reason string
}

var errLimit = errors.New("attachments: limit reached")

func (l *limitedReader) Read(p []byte) (int, error) {
	lim := l.s.cfg.limits
	switch {
	case l.s.ctx.Err() != nil:
		l.reason = "the time limit was reached"
	case l.n >= lim.NestedBytes:
		l.reason = fmt.Sprintf("it decompresses to more than %d bytes (limit per nested archive)", lim.NestedBytes)
	case l.s.decompBytes >= lim.TotalBytes:
		l.reason = fmt.Sprintf("more than %d bytes in all were decompressed from archives in this message", lim.TotalBytes)
	case l.csize > 0 && l.n > 1<<20 && l.n/l.csize > lim.Ratio:
		l.reason = fmt.Sprintf("its compression ratio exceeds %d:1 (%d bytes from %d): a decompression bomb", lim.Ratio, l.n, l.csize)
	}
	if l.reason != "" {
		return 0, errLimit
	}
	if room := min(lim.NestedBytes-l.n, lim.TotalBytes-l.s.decompBytes); int64(len(p)) > room {
		p = p[:max(room, 1)]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	l.s.decompBytes += int64(n)
	return n, err
}

// zip lists a zip archive and reports what its structure gives away.
func (s *scanner) zip(a *Attachment, r io.ReaderAt, z *zipListing, depth int) {
	if len(z.problems) > 0 {
		s.malformed(a, strings.Join(z.problems, "; "))
	}
	if z.prefix > 0 {
		s.malformed(a, fmt.Sprintf("%d bytes of other data come before the archive (a scanner reading from the front misses it)", z.prefix))
	}
	if len(z.mismatches) > 0 {
		s.add(Finding{
			Code: CodeNameMismatch, Severity: finding.Warning,
			Message:  fmt.Sprintf("Archive %s names its files differently in its central directory and its local headers: %s.", a.loc, strings.Join(z.mismatches, "; ")),
			Fix:      "Re-create the archive: different tools show different names for the same file, the classic way to slip a file past a filter.",
			Ref:      "PKWARE APPNOTE.TXT §4.3.7, §4.3.12",
			Evidence: &finding.Evidence{Name: a.loc, Records: z.mismatches},
		})
	}
	if z.overlap {
		s.add(Finding{
			Code: CodeArchiveMalformed, Severity: finding.Error,
			Message:  fmt.Sprintf("Archive %s has entries that overlap each other: the construction of a zip bomb; its entries were listed but none was expanded.", a.loc),
			Fix:      "Do not send this archive: receivers reject overlapping zip entries as a decompression bomb.",
			Ref:      "PKWARE APPNOTE.TXT §4.3.6",
			Evidence: &finding.Evidence{Name: a.loc, Detail: "overlapping local file entries"},
		})
	}
	if z.truncated {
		s.limitFinding(a.loc, fmt.Sprintf("the message has more than %d archive entries; the rest were not listed", s.cfg.limits.Entries))
	}
	enc := 0
	for _, e := range z.entries {
		if e.encrypted {
			enc++
		}
	}
	if enc > 0 {
		a.Encrypted = true
		s.encrypted(a, fmt.Sprintf("%d of %d entries are encrypted", enc, len(z.entries)), false)
	}
	for _, e := range z.entries {
		if strings.HasSuffix(e.names[0], "/") && e.usize == 0 {
			continue // a directory
		}
		var open opener
		if !z.overlap && !e.encrypted && e.dataOff >= 0 && (e.method == 0 || e.method == 8) {
			sec := io.NewSectionReader(r, e.dataOff, int64(min(e.csize, 1<<62)))
			method := e.method
			open = func() (io.Reader, error) {
				if method == 0 {
					return sec, nil
				}
				return flate.NewReader(sec), nil
			}
		}
		if !s.peekedMember(a, e.names[0], e.names, int64(min(e.usize, 1<<62)), int64(min(e.csize, 1<<62)), e.encrypted, open, depth) {
			return
		}
	}
}

// encrypted reports an archive whose content (and, with namesHidden, whose file list)
// is encrypted.
func (s *scanner) encrypted(a *Attachment, detail string, namesHidden bool) {
	visible := "only its file names"
	if namesHidden {
		visible = "not even its file names"
	}
	s.add(Finding{
		Code: CodeEncryptedArchive, Severity: finding.Warning,
		Message:  fmt.Sprintf("Archive %s is password-protected (%s): its content cannot be inspected, %s.", a.loc, detail, visible),
		Fix:      "Receivers treat encrypted archives as suspicious and Gmail rejects one that holds another archive; share the file by link, or send it unencrypted.",
		Evidence: &finding.Evidence{Name: a.loc, Detail: detail},
	})
}

// innerNames derives the name of the single file in a .gz or .bz2 from the outer name.
func innerNames(outer []name, suffixes map[string]string) []string {
	var out []string
	for _, n := range outer {
		lower := strings.ToLower(n.clean)
		for suf, repl := range suffixes {
			if strings.HasSuffix(lower, suf) && len(n.clean) > len(suf) {
				out = append(out, n.clean[:len(n.clean)-len(suf)]+repl)
			}
		}
	}
	return out
}

// archive lists gzip, bzip2, tar, 7z and rar archives.
func (s *scanner) archive(a *Attachment, r io.ReaderAt, size int64, t FileType, depth int) {
	sec := func() *io.SectionReader { return io.NewSectionReader(r, 0, size) }
	switch t {
	case TypeTar:
		s.tar(a, tar.NewReader(sec()), depth, nil)
	case TypeGzip:
		gz, err := gzip.NewReader(sec())
		if err != nil {
			s.malformed(a, "bad gzip header: "+err.Error())
			return
		}
		gz.Multistream(false)
		// RFC 1952 §2.3.1: FNAME is the original file name, ISO 8859-1; without it the
		// name is the outer one less ".gz".
		var names []string
		if gz.Name != "" {
			names = append(names, toUTF8([]byte(gz.Name), "iso-8859-1"))
		}
		names = append(names, innerNames(a.names, map[string]string{".gz": "", ".gzip": "", ".tgz": ".tar", "-gz": "", ".z": ""})...)
		var usize int64
		if tail := readAt(r, size, size-4, 4); tail != nil {
			usize = int64(binary.LittleEndian.Uint32(tail)) // RFC 1952 §2.3.1 ISIZE, mod 2^32
		}
		s.compressed(a, gz, names, usize, size, depth)
	case TypeXZ:
		names := innerNames(a.names, map[string]string{".xz": "", ".txz": ".tar"})
		// Decoded only when its headers promise a bounded dictionary (see xzBounded);
		// otherwise the one file is named after the archive and a .tar.xz cannot be
		// listed.
		if usize, ok := xzBounded(r, size); ok {
			if xr, err := (xz.ReaderConfig{SingleStream: true}).NewReader(sec()); err == nil {
				s.compressed(a, &guardedReader{r: xr}, names, usize, size, depth)
				return
			}
		}
		entry := "(compressed file)"
		if len(names) > 0 {
			entry = names[0]
		}
		s.member(a, entry, names, 0, size, false, nil, depth)
	case TypeCAB:
		names, damaged := listCAB(r, size, max(0, s.cfg.limits.Entries-s.entries)+1)
		if damaged {
			s.malformed(a, "its cabinet file list is damaged")
		}
		for _, n := range names {
			if !s.member(a, n, nil, 0, 0, false, nil, depth) {
				return
			}
		}
	case TypeBzip2:
		names := innerNames(a.names, map[string]string{".bz2": "", ".bz": "", ".tbz2": ".tar", ".tbz": ".tar"})
		s.compressed(a, bzip2.NewReader(sec()), names, 0, size, depth)
	case Type7z:
		encrypted, err := check7z(r, size, max(0, s.cfg.limits.Entries-s.entries))
		if err != nil {
			if errors.Is(err, errEncrypted7z) {
				a.Encrypted = true
				s.encrypted(a, "its file list is encrypted too", true)
				return
			}
			if errors.Is(err, errLimit) {
				s.limitFinding(a.loc, err.Error())
			} else {
				s.malformed(a, err.Error())
			}
			return
		}
		z, err := guarded(func() (*sevenzip.Reader, error) { return sevenzip.NewReader(r, size) })
		if err != nil {
			var re sevenzip.ReadError
			if errors.As(err, &re) && re.Encrypted || strings.Contains(strings.ToLower(err.Error()), "password") {
				a.Encrypted = true
				s.encrypted(a, "its file list is encrypted too", true)
				return
			}
			s.malformed(a, "cannot read the 7z header: "+err.Error())
			return
		}
		if encrypted {
			a.Encrypted = true
			s.encrypted(a, "its content is AES-encrypted", false)
		}
		for _, f := range z.File {
			if f.FileInfo().IsDir() {
				continue
			}
			open := func() (io.Reader, error) {
				rc, err := guarded(func() (io.ReadCloser, error) { return f.Open() })
				if err != nil {
					return nil, err
				}
				return &guardedReader{r: rc}, nil
			}
			if !s.member(a, f.Name, nil, int64(min(f.UncompressedSize, 1<<62)), 0, encrypted, open, depth) {
				return
			}
		}
	case TypeRAR:
		rr, err := guarded(func() (*rardecode.Reader, error) {
			return rardecode.NewReader(sec(), rardecode.MaxDictionarySize(64<<20))
		})
		if err != nil {
			s.rarError(a, err)
			return
		}
		encrypted := 0
		for {
			h, err := guarded(rr.Next)
			if err == io.EOF {
				break
			}
			if err != nil {
				s.rarError(a, err)
				break
			}
			if h.IsDir {
				continue
			}
			if h.Encrypted {
				encrypted++
			}
			var open opener
			if !h.Encrypted {
				open = func() (io.Reader, error) { return &guardedReader{r: rr}, nil }
			}
			if !s.member(a, h.Name, nil, h.UnPackedSize, h.PackedSize, h.Encrypted, open, depth) {
				break
			}
		}
		if encrypted > 0 {
			a.Encrypted = true
			s.encrypted(a, fmt.Sprintf("%d entries are encrypted", encrypted), false)
		}
	}
}

// iso lists an ISO 9660 image; its files are stored, so a nested archive is read in place.
func (s *scanner) iso(a *Attachment, r io.ReaderAt, size int64, depth int) {
	files, damaged := listISO(r, size, max(0, s.cfg.limits.Entries-s.entries)+1)
	if damaged {
		s.malformed(a, "its ISO 9660 directory is damaged")
	}
	for _, f := range files {
		sec := io.NewSectionReader(r, f.extent, f.size)
		open := func() (io.Reader, error) { return sec, nil }
		if !s.peekedMember(a, f.path, nil, f.size, f.size, false, open, depth) {
			return
		}
	}
}

func (s *scanner) rarError(a *Attachment, err error) {
	if errors.Is(err, rardecode.ErrArchiveEncrypted) || errors.Is(err, rardecode.ErrArchivedFileEncrypted) {
		a.Encrypted = true
		s.encrypted(a, "its file list is encrypted too", true)
		return
	}
	s.malformed(a, "cannot read the rar headers: "+err.Error())
}

// compressed handles a single-stream compressor (gzip, bzip2): the one file inside is
// named by the header or the outer name. Only the first block is decompressed, to see
// whether it is a tar; a tar is listed, anything else is a single entry.
func (s *scanner) compressed(a *Attachment, zr io.Reader, names []string, usize, csize int64, depth int) {
	lr := &limitedReader{r: zr, s: s, csize: csize}
	peek := make([]byte, 512)
	n, _ := io.ReadFull(lr, peek)
	peek = peek[:n]
	isTar := len(peek) > 262 && bytes.Equal(peek[257:262], []byte("ustar"))
	for _, nm := range parseNames(names) {
		if nm.ext == "tar" {
			isTar = true
		}
	}
	if isTar {
		s.tar(a, tar.NewReader(io.MultiReader(bytes.NewReader(peek), lr)), depth, lr)
		return
	}
	entry := "(compressed file)"
	if len(names) > 0 {
		entry = names[0]
	}
	open := func() (io.Reader, error) { return io.MultiReader(bytes.NewReader(peek), zr), nil }
	s.member(a, entry, names, usize, csize, false, open, depth)
}

// tar lists a tar stream; reading it means reading through the entries' data, so lr
// (when the tar is compressed) bounds it.
func (s *scanner) tar(a *Attachment, tr *tar.Reader, depth int, lr *limitedReader) {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if lr != nil && lr.reason != "" {
			s.limitFinding(a.loc, lr.reason+"; the rest of the tar was not listed")
			return
		}
		if err != nil {
			s.malformed(a, "tar: "+err.Error())
			return
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		open := func() (io.Reader, error) { return tr, nil }
		if !s.peekedMember(a, h.Name, nil, h.Size, h.Size, false, open, depth) {
			return
		}
	}
}

// errPanic reports a third-party archive reader that panicked on hostile input: the
// archive is malformed, and the scan goes on.
var errPanic = errors.New("archive reader failed")

// guarded calls a third-party archive function, turning a panic into an error.
func guarded[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return f()
}

// guardedReader turns panics of a third-party decompressor into read errors.
type guardedReader struct{ r io.Reader }

func (g *guardedReader) Read(p []byte) (n int, err error) {
	defer func() {
		if x := recover(); x != nil {
			n, err = 0, fmt.Errorf("%w: %v", errPanic, x)
		}
	}()
	return g.r.Read(p)
}
