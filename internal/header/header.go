// Package header reads the header section of an RFC 5322 message (§2.2) in time
// linear in its size, keeping each field exactly as written.
//
// Lines are split the way net/textproto.Reader.ReadLine splits them, which go-msgauth
// uses: at LF, dropping that LF and one CR before it. A line starting with a space or
// tab continues the previous field (RFC 5322 §2.2.3); the first empty line ends the
// header section. Field bodies are bytes: raw UTF-8 (RFC 6532) and raw 8-bit text are
// kept as they are, as receivers keep them.
package header

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrTooLarge is returned when the header section is longer than the limit given to
// Read.
var ErrTooLarge = errors.New("header: header section too large")

// Field is one header field as it appears in the message.
type Field struct {
	// Name is the text before the first colon, without surrounding whitespace (the
	// whole line when there is no colon).
	Name string
	// Raw is the field with its folds and line endings, "Name: value\r\n".
	Raw string
	// Lines is the number of lines the field spans (1 when it is not folded).
	Lines int
}

// Value returns the field body unfolded (RFC 5322 §2.2.3: each CRLF followed by WSP
// removed) and trimmed.
func (f Field) Value() string {
	_, v, _ := strings.Cut(f.Raw, ":")
	if f.Lines > 1 || strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r\n", "", "\n", "", "\r", "").Replace(v)
	}
	return strings.TrimSpace(v)
}

// HasColon reports whether the field has a name and a colon, as RFC 5322 §2.2 requires.
func (f Field) HasColon() bool { return strings.Contains(f.Raw, ":") }

// Section is a header section as read.
type Section struct {
	Fields []Field
	// Ended reports that an empty line ended the section; without one, the input
	// ended inside the header.
	Ended bool
	// Size is the number of bytes read, the empty line included.
	Size int64
}

// Read reads the header section from br, leaving br at the first byte of the body.
// It stops with ErrTooLarge, and what it read so far, once more than max bytes of
// header were read (max <= 0: no limit). Other errors are the reader's, io.EOF
// excepted: input that ends inside the header is a section that did not end.
func Read(br *bufio.Reader, max int64) (Section, error) {
	var (
		sec    Section
		buf    []byte // the whole section, appended to: amortized linear
		starts []int  // offset in buf where each field starts
		lines  []int
	)
	finish := func() {
		all := string(buf) // one copy; each Raw is a slice of it
		sec.Fields = make([]Field, len(starts))
		for i, s := range starts {
			end := len(all)
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			raw := all[s:end]
			name, _, _ := strings.Cut(raw, ":")
			name = strings.TrimRight(name, "\r\n")
			sec.Fields[i] = Field{Name: strings.TrimSpace(name), Raw: raw, Lines: lines[i]}
		}
	}
	for {
		line, err := readLine(br, &buf, max)
		if err != nil && !errors.Is(err, io.EOF) {
			finish()
			return sec, err
		}
		sec.Size += int64(len(line))
		trimmed := bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		switch {
		case len(line) == 0:
			// end of input
		case len(trimmed) == 0:
			buf = buf[:len(buf)-len(line)] // the empty line belongs to no field
			sec.Ended = true
			finish()
			return sec, nil
		case (trimmed[0] == ' ' || trimmed[0] == '\t') && len(starts) > 0:
			lines[len(lines)-1]++
		default:
			starts = append(starts, len(buf)-len(line))
			lines = append(lines, 1)
		}
		if err != nil {
			finish()
			return sec, nil
		}
	}
}

// readLine appends the next line, LF included, to *buf and returns it (a slice of
// *buf). At the end of input it returns io.EOF with whatever was left.
func readLine(br *bufio.Reader, buf *[]byte, max int64) ([]byte, error) {
	start := len(*buf)
	for {
		frag, err := br.ReadSlice('\n')
		*buf = append(*buf, frag...)
		if max > 0 && int64(len(*buf)) > max {
			*buf = (*buf)[:start]
			return nil, ErrTooLarge
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return (*buf)[start:], err
	}
}

// IsField reports whether line starts a header field: RFC 5322 §2.2, a field name
// of printable US-ASCII characters other than the colon, then the colon; §4.5.3 (the
// obsolete syntax, which receivers still accept) allows spaces or tabs before it.
func IsField(line string) bool {
	name, _, ok := strings.Cut(line, ":")
	name = strings.TrimRight(name, " \t")
	if !ok || name == "" {
		return false
	}
	for i := range len(name) {
		if c := name[i]; c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// IsMboxSeparator reports whether line is the "From " line that starts a message in
// an mbox file: file framing, not part of the message (RFC 4155).
func IsMboxSeparator(line string) bool { return strings.HasPrefix(line, "From ") }

// Sniff says why the input buffered in br is not an RFC 5322 message, judging by
// its first line (after an mbox separator), or returns "" when it starts like one.
// Nothing is consumed.
func Sniff(br *bufio.Reader) string {
	b, _ := br.Peek(br.Size())
	if len(b) == 0 {
		return "it is empty"
	}
	first := nextLine(&b)
	if IsMboxSeparator(first) && len(b) > 0 {
		first = nextLine(&b)
	}
	switch {
	case first == "":
		return "it has no header fields"
	case !IsField(first):
		return fmt.Sprintf("its first line %.24q is not a header field", first)
	}
	return ""
}

// nextLine cuts the first line off *b, without its line ending.
func nextLine(b *[]byte) string {
	line, rest, _ := bytes.Cut(*b, []byte("\n"))
	*b = rest
	return string(bytes.TrimSuffix(line, []byte("\r")))
}
