package attachments

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/spool"
)

// newPart starts the Attachment for a MIME part.
func (s *scanner) newPart(e entity, t FileType, size int64) Attachment {
	a := Attachment{
		Part: displayPart(e.path), Source: "mime", ContentType: e.contentType,
		Disposition: e.disposition, Type: t, Size: size,
	}
	a.names = parseNames(e.names)
	a.Names = rawNames(a.names)
	a.loc = a.Part + " " + displayName(a.names)
	s.headerMismatch(&a, e)
	return a
}

// headerMismatch reports a part whose Content-Type name and Content-Disposition filename
// (or duplicated parameters) disagree: different receivers and clients read different
// ones, so a filter may check one name while the client saves the other.
func (s *scanner) headerMismatch(a *Attachment, e entity) {
	distinct := map[string]bool{}
	for _, n := range parseNames(append(slices.Clone(e.ctNames), e.cdNames...)) {
		distinct[strings.ToLower(n.clean)] = true
	}
	if len(distinct) < 2 {
		return
	}
	s.add(Finding{
		Code: CodeNameMismatch, Severity: finding.Warning,
		Message:  fmt.Sprintf("Part %s has %d different file names (%s): filters and mail clients may each pick a different one.", a.Part, len(distinct), strings.Join(a.Names, " | ")),
		Fix:      "Give the part one file name, identical in Content-Type name and Content-Disposition filename.",
		Ref:      "RFC 2183 §2.3, RFC 2045 §5.1",
		Evidence: &finding.Evidence{Name: a.loc, Records: a.Names},
	})
}

// spoolFrom copies r into a new spool. Read errors of the message itself are recorded
// by the counting reader; decoding errors just end the data, as in a receiver.
func (s *scanner) spoolFrom(r io.Reader, memory int64) *spool.Spool {
	sp := spool.New(memory, s.cfg.tempDir)
	if _, err := io.Copy(sp, r); err != nil && s.ioErr == nil {
		if _, ok := err.(interface{ Timeout() bool }); ok || isSpillErr(err) {
			s.ioErr = err
		}
	}
	return sp
}

func isSpillErr(err error) bool {
	return err != nil && strings.Contains(err.Error(), "spill part to disk")
}

// leaf handles a part that is a file: it is held (memory, then disk), sniffed, and
// opened when it is an archive or container.
func (s *scanner) leaf(e entity, body io.Reader) {
	sp := s.spoolFrom(body, s.cfg.memory)
	defer sp.Close()
	a := s.newPart(e, TypeUnknown, sp.Size())
	isTNEF := e.contentType == "application/ms-tnef" || e.contentType == "application/vnd.ms-tnef" ||
		slices.ContainsFunc(a.names, func(n name) bool { return strings.EqualFold(n.clean, "winmail.dat") })
	if isTNEF && bytes.HasPrefix(head(sp, sp.Size(), 4), tnefSignature) {
		a.Type = TypeTNEF
		s.tnef(&a, sp, sp.Size())
	} else {
		s.inspectFile(&a, sp, sp.Size(), 0)
	}
	s.res.Attachments = append(s.res.Attachments, a)
}

// text scans a text body for files embedded in it: uuencoded and BinHex blocks (which
// several clients still display as attachments) and PGP-encrypted blocks.
func (s *scanner) text(e entity, r io.Reader) {
	if s.textFn != nil {
		return // WalkText: a multipart body without a boundary, or an epilogue, is not displayed
	}
	br := bufio.NewReaderSize(r, 16<<10)
	pgp := false
	for {
		line, err := readLine(br)
		switch {
		case bytes.HasPrefix(line, []byte("begin")):
			if fileName, b64, ok := uuBegin(line); ok {
				// Each embedded file counts as a part towards maxParts.
				if s.res.Parts++; s.res.Parts <= maxParts {
					s.uuFile(e, fileName, b64, br)
				}
			}
		case bytes.HasPrefix(line, binhexIntro):
			if f, ok := s.binhexFile(e, displayPart(e.path), br); ok {
				s.res.Attachments = append(s.res.Attachments, f)
			}
		case !pgp && bytes.HasPrefix(line, []byte("-----BEGIN PGP MESSAGE-----")):
			pgp = true
			s.notInspectable(e.path, "its text holds a PGP-encrypted block", "-----BEGIN PGP MESSAGE-----")
		}
		if err != nil {
			return
		}
	}
}

func (s *scanner) uuFile(e entity, fileName string, b64 bool, br *bufio.Reader) {
	sp := spool.New(s.cfg.memory, s.cfg.tempDir)
	defer sp.Close()
	uudecode(br, sp, b64)
	a := Attachment{Part: displayPart(e.path), Entry: fileName, Source: "uuencode", Size: sp.Size()}
	a.names = parseNames([]string{fileName})
	a.Names = rawNames(a.names)
	a.loc = a.Part + " (uuencoded) " + fileName
	s.inspectFile(&a, sp, sp.Size(), 0)
	s.res.Attachments = append(s.res.Attachments, a)
}

// inspectFile sniffs a file's content and opens it when it is an archive. depth is the
// number of archives around it.
func (s *scanner) inspectFile(a *Attachment, r io.ReaderAt, size int64, depth int) {
	t := sniff(r, size)
	if t == TypeUnknown {
		// A zip behind prefixed data does not start with its signature; its end record
		// still finds it, as unzip does.
		if off, _ := findEnd(r, size); off >= 0 {
			t = TypeZip
		}
	}
	switch t {
	case TypeZip:
		z := listZip(r, size, max(1, s.cfg.limits.Entries-s.entries+1))
		t = z.classify()
		a.Type = t
		switch t {
		case TypeZip:
			s.zip(a, r, z, depth+1)
		case TypeOOXMLMacro, TypeODFMacro, TypeOOXML, TypeODF, TypeJAR, TypeAPK:
			// Documents and packages are zips, but their entries are not attachments:
			// they are not descended into. Their macro storage was looked for above.
		}
	case TypeOLE:
		if oleHasMacros(r, size) {
			t = TypeOLEMacro
		}
	case TypeGzip, TypeBzip2, TypeTar, Type7z, TypeRAR:
		a.Type = t
		s.archive(a, r, size, t, depth+1)
	case TypeISO:
		s.iso(a, r, size, depth+1)
	case TypeCAB, TypeXZ:
		s.archive(a, r, size, t, depth+1)
	case TypeHTML, TypeSVG:
		a.script = htmlHasScript(r, size)
	default:
		if slices.ContainsFunc(a.names, func(n name) bool { return setOf("htm html xhtml shtml svg mht")[n.ext] }) {
			a.script = htmlHasScript(r, size)
		}
	}
	a.Type = t
	// A file named as an archive that is none cannot be opened by the receiver either.
	for _, n := range a.names {
		want := map[string][]FileType{"zip": {TypeZip}, "7z": {Type7z}, "rar": {TypeRAR}, "gz": {TypeGzip}, "tgz": {TypeGzip}, "bz2": {TypeBzip2}}[n.ext]
		if want != nil && !slices.Contains(want, t) && size > 0 {
			s.malformed(a, fmt.Sprintf("named .%s but its content is %s", n.ext, describeType(t)))
			break
		}
	}
}

func describeType(t FileType) string {
	if t == TypeUnknown {
		return "not a recognised format"
	}
	return string(t)
}

func (s *scanner) malformed(a *Attachment, detail string) {
	s.add(Finding{
		Code: CodeArchiveMalformed, Severity: finding.Warning,
		Message:  fmt.Sprintf("Archive %s is malformed: %s.", a.loc, detail),
		Fix:      "Re-create the archive with a standard tool; receivers reject archives they cannot parse, and scanners disagree on damaged ones.",
		Ref:      "PKWARE APPNOTE.TXT 6.3.10",
		Evidence: &finding.Evidence{Name: a.loc, Detail: detail},
	})
}
