package mtasts

import (
	"fmt"
	"strings"
)

// RecordVersion is the version tag every _mta-sts TXT record starts with.
const RecordVersion = "v=STSv1"

// Record is a parsed _mta-sts TXT record (RFC 8461 §3.1).
type Record struct {
	// ID identifies the policy instance: senders refetch the policy when it changes.
	ID string `json:"id"`
	// Extensions are other fields, in order, which senders ignore.
	Extensions []Field `json:"extensions,omitempty"`
}

// Field is one name=value (record) or name: value (policy) pair.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SyntaxError is a grammar violation with the byte offset where it was found.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("at byte %d: %s", e.Offset, e.Msg) }

// IsRecord reports whether a TXT record is an MTA-STS record at all: RFC 8461 §3.1
// discards records that do not begin with "v=STSv1;".
func IsRecord(txt string) bool {
	return strings.HasPrefix(txt, RecordVersion) && strings.HasPrefix(strings.TrimLeft(txt[len(RecordVersion):], " \t"), ";")
}

// ParseRecord parses an _mta-sts TXT record by the RFC 8461 §3.1 grammar:
//
//	sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
//	sts-field-delim = *WSP ";" *WSP
//	sts-id          = "id=" 1*32(ALPHA / DIGIT)
//	sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//	sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
func ParseRecord(txt string) (*Record, error) {
	if !strings.HasPrefix(txt, RecordVersion) {
		return nil, &SyntaxError{0, `the record must start with "v=STSv1"`}
	}
	rec := &Record{}
	pos := len(RecordVersion)
	seenID := false
	for {
		// sts-field-delim
		p := skipWSP(txt, pos)
		if p == len(txt) {
			if pos == len(RecordVersion) {
				return nil, &SyntaxError{pos, `no "id=" field`}
			}
			if p != pos { // trailing whitespace without a delimiter
				return nil, &SyntaxError{pos, "whitespace at the end of the record"}
			}
			break
		}
		if txt[p] != ';' {
			return nil, &SyntaxError{p, fmt.Sprintf("expected ';', found %q", txt[p])}
		}
		p = skipWSP(txt, p+1)
		if p == len(txt) {
			break // the optional final delimiter
		}
		end := p
		for end < len(txt) && txt[end] != ';' && txt[end] != ' ' && txt[end] != '\t' {
			end++
		}
		term := txt[p:end]
		name, value, ok := strings.Cut(term, "=")
		if !ok {
			return nil, &SyntaxError{p, fmt.Sprintf("%q is not name=value", term)}
		}
		if !validExtName(name) {
			return nil, &SyntaxError{p, fmt.Sprintf("bad field name %q", name)}
		}
		if name == "id" {
			if seenID {
				return nil, &SyntaxError{p, `"id=" appears twice`}
			}
			if !validID(value) {
				return nil, &SyntaxError{p + 3, fmt.Sprintf("id %q must be 1 to 32 letters and digits", value)}
			}
			rec.ID, seenID = value, true
		} else {
			if !validExtValue(value) {
				return nil, &SyntaxError{p + len(name) + 1, fmt.Sprintf("bad value %q for %s", value, name)}
			}
			rec.Extensions = append(rec.Extensions, Field{name, value})
		}
		pos = end
	}
	if !seenID {
		return nil, &SyntaxError{len(txt), `no "id=" field`}
	}
	return rec, nil
}

// String is the record in canonical form; ParseRecord(r.String()) gives r back.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString(RecordVersion + "; id=" + r.ID)
	for _, f := range r.Extensions {
		b.WriteString("; " + f.Name + "=" + f.Value)
	}
	return b.String()
}

func skipWSP(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

func validExtName(s string) bool {
	if len(s) == 0 || len(s) > 32 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func validExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}
