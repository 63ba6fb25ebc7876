package tlsrpt

import (
	"fmt"
	"github.com/mailcheck/mailcheck/internal/txtfields"
	"net/mail"
	"net/url"
	"strings"
)

// Version is the version tag every _smtp._tls record starts with.
const Version = "v=TLSRPTv1"

// Record is a parsed _smtp._tls TXT record (RFC 8460 §3).
type Record struct {
	// RUA are the report destinations in order, each as written.
	RUA []string `json:"rua"`
	// Extensions are other fields, which senders ignore.
	Extensions []Field `json:"extensions,omitempty"`
}

// Field is one name=value pair.
type Field = txtfields.Field

// SyntaxError is a grammar violation with the byte offset where it was found.
type SyntaxError = txtfields.SyntaxError

// IsRecord reports whether a TXT record is a TLS-RPT record at all: RFC 8460 §3
// discards records that do not begin with "v=TLSRPTv1;".
func IsRecord(txt string) bool {
	return txtfields.HasVersion(txt, Version)
}

// Parse reads a record by the RFC 8460 §3 grammar:
//
//	tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//	field-delim      = *WSP ";" *WSP
//	tlsrpt-rua       = "rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//	tlsrpt-ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//	tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
//
// A record without rua= parses; Check reports it (the field is required).
func Parse(txt string) (*Record, error) {
	if !strings.HasPrefix(txt, Version) {
		return nil, &SyntaxError{Offset: 0, Msg: `the record must start with "v=TLSRPTv1"`}
	}
	rec := &Record{}
	pos, fields, seenRUA := len(Version), 0, false
	for {
		p := txtfields.SkipWSP(txt, pos)
		if p == len(txt) {
			if p != pos {
				return nil, &SyntaxError{Offset: pos, Msg: "whitespace at the end of the record"}
			}
			break
		}
		if txt[p] != ';' {
			return nil, &SyntaxError{Offset: p, Msg: fmt.Sprintf("expected ';', found %q", txt[p])}
		}
		p = txtfields.SkipWSP(txt, p+1)
		if p == len(txt) {
			break
		}
		end := strings.IndexByte(txt[p:], ';')
		if end < 0 {
			end = len(txt)
		} else {
			end += p
		}
		// The field ends at the next ';' less trailing whitespace (the delimiter's).
		fe := end
		for fe > p && (txt[fe-1] == ' ' || txt[fe-1] == '\t') {
			fe--
		}
		term := txt[p:fe]
		name, value, ok := strings.Cut(term, "=")
		if !ok {
			return nil, &SyntaxError{Offset: p, Msg: fmt.Sprintf("%q is not name=value", term)}
		}
		if !txtfields.ValidName(name) {
			return nil, &SyntaxError{Offset: p, Msg: fmt.Sprintf("bad field name %q", name)}
		}
		if name == "rua" {
			if seenRUA {
				return nil, &SyntaxError{Offset: p, Msg: `"rua=" appears twice`}
			}
			seenRUA = true
			for _, u := range strings.Split(value, ",") {
				u = strings.Trim(u, " \t")
				if u == "" || strings.ContainsAny(u, " \t") {
					return nil, &SyntaxError{Offset: p + 4, Msg: fmt.Sprintf("bad URI list %q", value)}
				}
				rec.RUA = append(rec.RUA, u)
			}
		} else {
			if !txtfields.ValidValue(value) {
				return nil, &SyntaxError{Offset: p + len(name) + 1, Msg: fmt.Sprintf("bad value %q for %s", value, name)}
			}
			rec.Extensions = append(rec.Extensions, Field{Name: name, Value: value})
		}
		fields++
		pos = fe
	}
	if fields == 0 {
		return nil, &SyntaxError{Offset: len(txt), Msg: "no field after the version"}
	}
	return rec, nil
}

// String is the record in canonical form; Parse(r.String()) gives r back.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString(Version)
	if len(r.RUA) > 0 {
		b.WriteString("; rua=" + strings.Join(r.RUA, ","))
	}
	for _, f := range r.Extensions {
		b.WriteString("; " + f.Name + "=" + f.Value)
	}
	return b.String()
}

// CheckURI says what is wrong with a report URI, or "" when senders can use it
// (RFC 8460 §3: mailto: with an address, or https: with a host).
func CheckURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%q is not a URI", raw)
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto":
		addr := u.Opaque
		if addr == "" {
			addr = u.Path
		}
		if a, err := url.PathUnescape(addr); err == nil {
			addr = a
		}
		if _, err := mail.ParseAddress(addr); err != nil || !strings.Contains(addr, "@") {
			return fmt.Sprintf("%q is not a mailto: URI with one address", raw)
		}
	case "https":
		if u.Host == "" {
			return fmt.Sprintf("%q has no host", raw)
		}
	case "":
		return fmt.Sprintf("%q has no scheme (want mailto: or https:)", raw)
	default:
		return fmt.Sprintf("%q uses %s:, but reports go only to mailto: or https:", raw, u.Scheme)
	}
	return ""
}
