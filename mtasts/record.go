package mtasts

import (
	"fmt"
	"github.com/mailcheck/mailcheck/internal/txtfields"
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

// Field is one name=value pair.
type Field = txtfields.Field

// SyntaxError is a grammar violation with the byte offset where it was found.
type SyntaxError = txtfields.SyntaxError

// IsRecord reports whether a TXT record is an MTA-STS record at all: RFC 8461 §3.1
// discards records that do not begin with "v=STSv1;".
func IsRecord(txt string) bool {
	return txtfields.HasVersion(txt, RecordVersion)
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
		return nil, &SyntaxError{Offset: 0, Msg: `the record must start with "v=STSv1"`}
	}
	rec := &Record{}
	pos := len(RecordVersion)
	seenID := false
	for {
		// sts-field-delim
		p := txtfields.SkipWSP(txt, pos)
		if p == len(txt) {
			if pos == len(RecordVersion) {
				return nil, &SyntaxError{Offset: pos, Msg: `no "id=" field`}
			}
			if p != pos { // trailing whitespace without a delimiter
				return nil, &SyntaxError{Offset: pos, Msg: "whitespace at the end of the record"}
			}
			break
		}
		if txt[p] != ';' {
			return nil, &SyntaxError{Offset: p, Msg: fmt.Sprintf("expected ';', found %q", txt[p])}
		}
		p = txtfields.SkipWSP(txt, p+1)
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
			return nil, &SyntaxError{Offset: p, Msg: fmt.Sprintf("%q is not name=value", term)}
		}
		if !txtfields.ValidName(name) {
			return nil, &SyntaxError{Offset: p, Msg: fmt.Sprintf("bad field name %q", name)}
		}
		if name == "id" {
			if seenID {
				return nil, &SyntaxError{Offset: p, Msg: `"id=" appears twice`}
			}
			if !validID(value) {
				return nil, &SyntaxError{Offset: p + 3, Msg: fmt.Sprintf("id %q must be 1 to 32 letters and digits", value)}
			}
			rec.ID, seenID = value, true
		} else {
			if !txtfields.ValidValue(value) {
				return nil, &SyntaxError{Offset: p + len(name) + 1, Msg: fmt.Sprintf("bad value %q for %s", value, name)}
			}
			rec.Extensions = append(rec.Extensions, Field{Name: name, Value: value})
		}
		pos = end
	}
	if !seenID {
		return nil, &SyntaxError{Offset: len(txt), Msg: `no "id=" field`}
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

func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !txtfields.IsAlnum(s[i]) {
			return false
		}
	}
	return true
}
