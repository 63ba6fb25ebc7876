package attachments

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// MIME limits: past them the rest of the message is reported as not inspected.
const (
	maxLine        = 1 << 20 // longest header line kept (longer lines are cut)
	maxHeaderBytes = 4 << 20 // header block per entity
	maxFields      = 10000
	maxParts       = 10000
	maxMIMEDepth   = 50
)

// field is one header field, name in lower case, value unfolded.
type field struct{ name, value string }

type header []field

// all returns every value of the named field: duplicated headers are all kept, since
// different receivers read different ones.
func (h header) all(name string) []string {
	var out []string
	for _, f := range h {
		if f.name == name {
			out = append(out, f.value)
		}
	}
	return out
}

func (h header) first(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// readLine returns one line without its line ending, cut at maxLine bytes. A line
// that fits in br's buffer is returned as a view of it, valid until the next read from
// br (every caller is done with it by then): a copy per line was most of the scan's
// allocations on plain text.
func readLine(br *bufio.Reader) ([]byte, error) {
	frag, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return trimEOL(frag[:min(len(frag), maxLine)]), err
	}
	line := append([]byte(nil), frag[:min(len(frag), maxLine)]...)
	for err == bufio.ErrBufferFull {
		frag, err = br.ReadSlice('\n')
		if len(line) < maxLine {
			line = append(line, frag[:min(len(frag), maxLine-len(line))]...)
		}
	}
	return trimEOL(line), err
}

// trimEOL drops the CRs and LFs at the end of a line (bytes.TrimRight(line, "\r\n"),
// without building a set per call).
func trimEOL(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line
}

// readHeader reads an RFC 5322 §2.2 header block up to the empty line. It is tolerant
// the way receivers are: an mbox "From " line, lines without a colon and bare LF line
// endings are accepted; RFC 5322 §2.2.3 folding is undone.
func readHeader(br *bufio.Reader) header {
	var h header
	var value []byte // the unfolded value of h's last field, until the next field
	flush := func() {
		if len(h) > 0 {
			h[len(h)-1].value = string(value)
		}
	}
	size := 0
	for n := 0; ; n++ {
		line, err := readLine(br)
		if len(line) == 0 {
			flush()
			return h // the empty line, or end of input
		}
		size += len(line)
		switch {
		case line[0] == ' ' || line[0] == '\t':
			// Appended to the value being built, never to a finished string, so a field
			// folded over many lines costs linear time.
			if len(h) > 0 && size < maxHeaderBytes {
				value = append(append(value, ' '), bytes.TrimSpace(line)...)
			}
		case n == 0 && bytes.HasPrefix(line, []byte("From ")):
		default:
			name, v, ok := bytes.Cut(line, []byte(":"))
			if ok && len(h) < maxFields && size < maxHeaderBytes {
				flush()
				h = append(h, field{name: strings.ToLower(string(bytes.TrimSpace(name)))})
				value = append(value[:0], bytes.TrimSpace(v)...)
			}
		}
		if err != nil {
			flush()
			return h
		}
	}
}

// partReader reads one body part of a multipart entity: it stops at the next RFC 2046
// §5.1.1 delimiter line ("--" boundary, optional transport padding). The line break
// before a delimiter belongs to the delimiter.
type partReader struct {
	br      *bufio.Reader
	dash    []byte // "--" + boundary
	buf     []byte // bytes not yet returned: a view of store
	store   []byte // reused line storage
	eol     []byte // the held-back line ending of the previous line ("", "\n" or "\r\n")
	atStart bool
	ended   bool // this part is over
	closed  bool // the close delimiter was seen
	eof     bool
}

func newPartReader(br *bufio.Reader, boundary string) *partReader {
	return &partReader{br: br, dash: []byte("--" + boundary), atStart: true, ended: true}
}

// delimiter reports whether a line is a delimiter, and whether it is the close one.
func (m *partReader) delimiter(line []byte) (bool, bool) {
	if !bytes.HasPrefix(line, m.dash) {
		return false, false
	}
	rest := line[len(m.dash):]
	closing := bytes.HasPrefix(rest, []byte("--"))
	if closing {
		rest = rest[2:]
	}
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return false, false
	}
	return true, closing
}

var lf, crlf = []byte("\n"), []byte("\r\n")

// Read fills p with as many lines of the part as fit, stopping at the delimiter.
func (m *partReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(m.buf) == 0 && !m.fill() {
			break
		}
		k := copy(p[n:], m.buf)
		m.buf = m.buf[k:]
		n += k
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// fill reads the next line into buf, holding back its line ending, and reports false at
// the end of the part.
func (m *partReader) fill() bool {
	for len(m.buf) == 0 {
		if m.ended || m.eof {
			return false
		}
		frag, err := m.br.ReadSlice('\n')
		if m.atStart {
			if ok, closing := m.delimiter(frag); ok {
				m.ended, m.closed, m.eol = true, closing, nil
				m.eof = err != nil && err != bufio.ErrBufferFull
				return false
			}
		}
		m.store = append(m.store[:0], m.eol...)
		m.eol = nil
		body := frag
		if bytes.HasSuffix(body, []byte("\n")) {
			body = body[:len(body)-1]
			m.eol = lf
			if bytes.HasSuffix(body, []byte("\r")) {
				body, m.eol = body[:len(body)-1], crlf
			}
		}
		m.store = append(m.store, body...)
		m.atStart = err != bufio.ErrBufferFull
		if err != nil && err != bufio.ErrBufferFull {
			m.eof = true
			m.store = append(m.store, m.eol...)
		}
		m.buf = m.store
	}
	return true
}

// next skips the rest of the current part (or the preamble) and reports whether another
// part follows.
func (m *partReader) next() bool {
	if !m.ended {
		io.Copy(io.Discard, m)
	}
	if m.closed || m.eof {
		return false
	}
	m.ended, m.buf, m.eol, m.atStart = false, nil, nil, true
	return true
}

// decodeBody undoes the Content-Transfer-Encoding (RFC 2045 §6). Unknown encodings are
// read as they are, as receivers do.
func decodeBody(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		// Receivers skip characters outside the alphabet and padding in the middle; so
		// does this, rather than stopping at the first one.
		return newB64Decoder(r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "x-uuencode", "x-uue", "uuencode":
		pr, pw := io.Pipe()
		go func() {
			br := bufio.NewReader(r)
			for {
				line, err := readLine(br)
				if _, b64, ok := uuBegin(line); ok {
					uudecode(br, pw, b64)
					break
				}
				if err != nil {
					break
				}
			}
			io.Copy(io.Discard, r)
			pw.Close()
		}()
		return pr
	}
	return r
}

// uuBegin parses a uuencode header line. POSIX uuencode writes "begin <octal mode>
// <name>" for the historical encoding and, with -m, "begin-base64 <octal mode> <name>"
// for base64 lines ended by "====" (POSIX.1-2017, uuencode, "Output Files"); mail
// clients such as Outlook Express and Thunderbird show both as attachments.
func uuBegin(line []byte) (fileName string, b64, ok bool) {
	f := strings.SplitN(string(line), " ", 3)
	if len(f) != 3 || (f[0] != "begin" && f[0] != "begin-base64") {
		return "", false, false
	}
	if len(f[1]) < 3 || len(f[1]) > 4 || strings.Trim(f[1], "01234567") != "" {
		return "", false, false
	}
	return f[2], f[0] == "begin-base64", true
}

// uudecode decodes uuencoded lines up to "end" (or, when b64, base64 lines up to
// "====") into w.
func uudecode(br *bufio.Reader, w io.Writer, b64 bool) {
	if b64 {
		pr, pw := io.Pipe()
		go func() {
			for {
				line, err := readLine(br)
				if bytes.Equal(bytes.TrimSpace(line), []byte("====")) {
					break
				}
				if _, werr := pw.Write(line); werr != nil {
					break
				}
				if err != nil {
					break
				}
			}
			pw.Close()
		}()
		// The decoder drops padding and stray characters, as for base64 parts; the block
		// is drained to its end so the goroutine always finishes.
		io.Copy(w, newB64Decoder(pr))
		io.Copy(io.Discard, pr)
		return
	}
	out := make([]byte, 0, 64)
	for {
		line, err := readLine(br)
		if bytes.Equal(bytes.TrimSpace(line), []byte("end")) {
			return
		}
		if len(line) > 0 {
			n := int((line[0] - 32) & 63)
			out = out[:0]
			for i := 1; i+3 < len(line)+3 && len(out) < n; i += 4 {
				var q [4]byte
				for j := range 4 {
					if i+j < len(line) {
						q[j] = (line[i+j] - 32) & 63
					}
				}
				out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
			}
			if len(out) > n {
				out = out[:n]
			}
			if _, werr := w.Write(out); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func joinPath(base string, i int) string {
	if base == "" {
		return strconv.Itoa(i)
	}
	return base + "/" + strconv.Itoa(i)
}

// walkMessage reads a message (the top level or a message/rfc822 part): its header and
// its body, the body being part "1" of path when it is not multipart.
func (s *scanner) walkMessage(br *bufio.Reader, path string, depth int) {
	h := readHeader(br)
	s.walkEntity(h, br, path, depth, true, "text/plain")
}

// entity is what the headers of one MIME entity declare.
type entity struct {
	path        string
	contentType string
	ctParams    []param
	disposition string
	names       []string
	ctNames     []string // from Content-Type "name"
	cdNames     []string // from Content-Disposition "filename"
	cte         string
}

func parseEntity(h header, path, defaultType string) entity {
	e := entity{path: path, cte: h.first("content-transfer-encoding")}
	for i, v := range h.all("content-type") {
		t, ps := parseHeader(v)
		// With duplicated Content-Type fields the first wins, except that a multipart
		// one wins over any other: a receiver that reads it finds parts a reader of the
		// other would miss.
		if i == 0 || strings.HasPrefix(t, "multipart/") && !strings.HasPrefix(e.contentType, "multipart/") && len(paramValues(ps, "boundary")) > 0 {
			e.contentType, e.ctParams = t, ps
		}
		// RFC 2045 §5.1 "name"; some clients write "filename" here too.
		e.ctNames = append(e.ctNames, paramValues(ps, "name")...)
		e.names = append(e.names, paramValues(ps, "name")...)
		e.names = append(e.names, paramValues(ps, "filename")...)
	}
	for i, v := range h.all("content-disposition") {
		t, ps := parseHeader(v)
		if i == 0 {
			e.disposition = t
		}
		// RFC 2183 §2.3 "filename"; "name" is a common mistake that receivers still read.
		e.cdNames = append(e.cdNames, paramValues(ps, "filename")...)
		e.names = append(e.names, paramValues(ps, "filename")...)
		e.names = append(e.names, paramValues(ps, "name")...)
	}
	if e.contentType == "" {
		// RFC 2045 §5.2: text/plain, except in a multipart/digest (RFC 2046 §5.1.5),
		// whose parts default to message/rfc822.
		e.contentType = defaultType
	}
	return e
}

func (s *scanner) notInspectable(path, what, why string) {
	s.add(Finding{
		Code: CodeNotInspectable, Severity: finding.Warning,
		Message:  fmt.Sprintf("Part %s cannot be inspected: %s.", displayPart(path), what),
		Fix:      "Receivers cannot scan it either; send attachments unencrypted in one piece, or share them by link.",
		Ref:      "RFC 2046 §5.2.2",
		Evidence: &finding.Evidence{Name: displayPart(path), Detail: why},
	})
}

func displayPart(p string) string {
	if p == "" {
		return "1"
	}
	return p
}

// walkEntity dispatches one MIME entity on its media type; defaultType is the type of
// an entity that declares none.
func (s *scanner) walkEntity(h header, body *bufio.Reader, path string, depth int, messageBody bool, defaultType string) {
	s.res.Parts++
	e := parseEntity(h, path, defaultType)
	if s.res.Parts > maxParts || depth > maxMIMEDepth {
		if s.res.Parts == maxParts+1 || depth == maxMIMEDepth+1 {
			s.notInspectable(path, "the message has too many parts or is nested too deeply", fmt.Sprintf("limits: %d parts, %d levels", maxParts, maxMIMEDepth))
		}
		io.Copy(io.Discard, body)
		return
	}
	ct := e.contentType
	leafPath := path
	if messageBody && !strings.HasPrefix(ct, "multipart/") {
		leafPath = joinPath(path, 1)
		if path == "" {
			leafPath = "1"
		}
		e.path = leafPath
	}
	if s.textFn != nil && !strings.HasPrefix(ct, "multipart/") && ct != "message/rfc822" && ct != "message/global" {
		// WalkText: only the parts a client displays as text are decoded; the rest
		// is skipped undecoded (a 25 MB base64 attachment costs a read, not a decode).
		if strings.HasPrefix(ct, "text/") && len(e.names) == 0 && e.disposition != "attachment" {
			decoded := decodeBody(e.cte, body)
			s.walkText(e, decoded)
			io.Copy(io.Discard, decoded) // see below
		}
		io.Copy(io.Discard, body)
		return
	}
	// decoded is drained before returning, so the uudecode goroutine of decodeBody
	// always finishes and never reads the parent's stream behind its back.
	decoded := decodeBody(e.cte, body)
	defer func() {
		io.Copy(io.Discard, decoded)
		io.Copy(io.Discard, body)
	}()
	switch {
	case ct == "multipart/encrypted":
		s.notInspectable(leafPath, "it is encrypted (RFC 1847 multipart/encrypted: PGP/MIME or S/MIME)", ct)
		io.Copy(io.Discard, body)
	case strings.HasPrefix(ct, "multipart/"):
		boundary := ""
		for _, b := range paramValues(e.ctParams, "boundary") {
			if b != "" {
				boundary = b
				break
			}
		}
		if boundary == "" {
			s.text(e, decoded)
			return
		}
		s.walkMultipart(body, boundary, path, depth, ct == "multipart/digest")
	case ct == "message/rfc822" || ct == "message/global":
		if len(e.names) > 0 {
			s.res.Attachments = append(s.res.Attachments, s.newPart(e, TypeMessage, 0))
		}
		s.attached++
		s.walkMessage(bufio.NewReaderSize(decoded, 16<<10), leafPath, depth+1)
		s.attached--
	case ct == "message/partial":
		// RFC 2046 §5.2.2: one fragment of a message split in several; the pieces meet
		// only in the recipient's client, so no filter can see the whole.
		s.notInspectable(leafPath, "it is one fragment of a split message (message/partial)", ct)
		if len(e.names) > 0 {
			s.res.Attachments = append(s.res.Attachments, s.newPart(e, TypeNotInspected, 0))
		}
		io.Copy(io.Discard, body)
	case (ct == "application/pkcs7-mime" || ct == "application/x-pkcs7-mime") && !smimeSigned(e):
		// RFC 8551 §3.3: enveloped-data is encrypted for the recipient's key.
		s.notInspectable(leafPath, "it is S/MIME encrypted", ct)
		// Its names (smime.p7m, or anything a sender chose) are still candidate names
		// that receivers match, as for message/partial above.
		if len(e.names) > 0 {
			s.res.Attachments = append(s.res.Attachments, s.newPart(e, TypeNotInspected, 0))
		}
		io.Copy(io.Discard, body)
	case isBinHexType(ct):
		s.binhexPart(e, decoded)
	case strings.HasPrefix(ct, "text/") && len(e.names) == 0 && e.disposition != "attachment":
		s.text(e, decoded)
	default:
		s.leaf(e, decoded)
	}
}

func smimeSigned(e entity) bool {
	for _, v := range paramValues(e.ctParams, "smime-type") {
		if strings.EqualFold(v, "signed-data") || strings.EqualFold(v, "certs-only") {
			return true
		}
	}
	return false
}

// walkMultipart walks the body parts of an RFC 2046 §5.1 multipart entity.
func (s *scanner) walkMultipart(body *bufio.Reader, boundary, path string, depth int, digest bool) {
	defaultType := "text/plain"
	if digest {
		defaultType = "message/rfc822"
	}
	pr := newPartReader(body, boundary)
	// The preamble is everything up to the first delimiter.
	pr.ended = false
	io.Copy(io.Discard, pr)
	for i := 1; pr.next(); i++ {
		pbr := bufio.NewReaderSize(pr, 16<<10)
		h := readHeader(pbr)
		s.walkEntity(h, pbr, joinPath(path, i), depth+1, false, defaultType)
		io.Copy(io.Discard, pbr)
		if s.ioErr != nil {
			return
		}
	}
	// The epilogue is not displayed by clients, but a uuencoded file there is still
	// found by some; scan it as text.
	s.text(entity{path: path, contentType: "text/plain"}, body)
}
