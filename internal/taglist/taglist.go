// Package taglist parses the tag=value list that DKIM (RFC 6376 §3.2) and DMARC
// (RFC 9989 §4.7, RFC 7489 §6.4) share: tag-spec *( ";" tag-spec ) [ ";" ], each
// tag-spec being [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS].
//
// It checks the grammar only and keeps every tag in order with its byte offsets, so a
// caller can point at the exact place of a problem. What the tags mean, which are
// required, and whether a repeated tag is an error are the caller's business: DKIM
// and DMARC answer those differently.
package taglist

import (
	"errors"
	"fmt"
	"strings"
)

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("taglist: syntax error")

// Tag is one tag=value pair.
type Tag struct {
	// Name is the tag name as written (RFC 6376 tag names are case-sensitive; DMARC
	// callers fold case themselves).
	Name string
	// Value is the tag value without leading or trailing whitespace. Whitespace inside
	// the value, including folding CRLFs, is kept as written: the meaning of inner
	// whitespace differs per tag (DKIM b= ignores it, h= does not allow it).
	Value string
	// Offset is the byte offset of Name in the parsed string.
	Offset int
	// ValueOffset is the byte offset of Value; for an empty value, where it would start.
	ValueOffset int
}

// Error is a syntax error with the byte offset where parsing stopped.
type Error struct {
	// Offset is the byte offset in the input of the offending character (len(input)
	// when the input ended too early).
	Offset int
	// Msg says what was expected or found.
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("taglist: at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *Error) Unwrap() error { return ErrSyntax }

// Parse splits s into its tags, in order. Duplicate names are returned as they are;
// callers decide whether that is an error (RFC 6376 §3.2 and RFC 9989 both make it
// one). An empty list (only whitespace) is an error: the grammar needs one tag-spec.
//
// Leniency, on purpose: whitespace after the final ";" is accepted (the DMARC grammar
// allows it and published DKIM keys often have it). Everything else is strict:
// tag names are ALPHA *(ALPHA / DIGIT / "_"), values are printable US-ASCII except
// ";" with inner whitespace, a CR must start a CRLF that is followed by whitespace
// (a fold), and an empty tag-spec (";;") is an error.
func Parse(s string) ([]Tag, error) {
	var tags []Tag
	i := 0
	for {
		var err error
		if i, err = skipFWS(s, i); err != nil {
			return nil, err
		}
		if i == len(s) {
			if len(tags) == 0 {
				return nil, &Error{Offset: i, Msg: "empty tag list: expected a tag=value pair"}
			}
			return tags, nil // RFC 6376 §3.2: an optional ";" ends the list
		}
		var t Tag
		if t, i, err = parseSpec(s, i); err != nil {
			return nil, err
		}
		tags = append(tags, t)
		if i == len(s) {
			return tags, nil
		}
		// parseSpec stops only at ";" or the end.
		i++
	}
}

// parseSpec parses one tag-spec starting at a tag name; it returns the position of
// the ";" that ends it, or len(s).
func parseSpec(s string, i int) (Tag, int, error) {
	t := Tag{Offset: i}
	if !isAlpha(s[i]) {
		if s[i] == ';' {
			return t, i, &Error{Offset: i, Msg: "empty tag-spec: expected a tag name before \";\""}
		}
		return t, i, &Error{Offset: i, Msg: fmt.Sprintf("expected a tag name (a letter), found %s", quoteByte(s[i]))}
	}
	j := i + 1
	for j < len(s) && (isAlpha(s[j]) || isDigit(s[j]) || s[j] == '_') {
		j++
	}
	t.Name = s[i:j]
	var err error
	if j, err = skipFWS(s, j); err != nil {
		return t, j, err
	}
	if j == len(s) {
		return t, j, &Error{Offset: j, Msg: fmt.Sprintf("expected \"=\" after tag name %q, found the end", t.Name)}
	}
	if s[j] != '=' {
		return t, j, &Error{Offset: j, Msg: fmt.Sprintf("expected \"=\" after tag name %q, found %s", t.Name, quoteByte(s[j]))}
	}
	if j, err = skipFWS(s, j+1); err != nil {
		return t, j, err
	}
	t.ValueOffset = j
	end := j // end of the value proper, before trailing whitespace
	for j < len(s) && s[j] != ';' {
		c := s[j]
		switch {
		case c == ' ' || c == '\t':
			j++
		case c == '\r':
			k, err := skipFWS(s, j)
			if err != nil {
				return t, k, err
			}
			j = k
		case c >= 0x21 && c <= 0x7e: // RFC 6376 VALCHAR: %x21-3A / %x3C-7E
			j++
			end = j
		default:
			return t, j, &Error{Offset: j, Msg: fmt.Sprintf("character %s is not allowed in the value of tag %q", quoteByte(c), t.Name)}
		}
	}
	t.Value = s[t.ValueOffset:end]
	return t, j, nil
}

// skipFWS skips RFC 5322 folding whitespace: [*WSP CRLF] 1*WSP, repeated. A CR that
// does not start a fold (CRLF followed by WSP) is an error.
func skipFWS(s string, i int) (int, error) {
	for i < len(s) {
		switch s[i] {
		case ' ', '\t':
			i++
		case '\r':
			if i+2 < len(s) && s[i+1] == '\n' && (s[i+2] == ' ' || s[i+2] == '\t') {
				i += 3
				continue
			}
			return i, &Error{Offset: i, Msg: "a line break must be CRLF followed by whitespace (a fold)"}
		case '\n':
			return i, &Error{Offset: i, Msg: "a bare LF is not allowed; a line break must be CRLF followed by whitespace"}
		default:
			return i, nil
		}
	}
	return i, nil
}

// Format writes tags back as "name=value; name=value". For tags Parse returned,
// Parse(Format(tags)) gives the same names and values.
func Format(tags []Tag) string {
	var b strings.Builder
	for i, t := range tags {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(t.Name)
		b.WriteByte('=')
		b.WriteString(t.Value)
	}
	return b.String()
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func quoteByte(c byte) string {
	if c >= 0x21 && c <= 0x7e {
		return fmt.Sprintf("%q", string(c))
	}
	return fmt.Sprintf("byte 0x%02X", c)
}
