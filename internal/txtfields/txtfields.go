// Package txtfields holds the grammar the MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC
// 8460 §3) TXT records share: a version, then name=value fields separated by ";" with
// optional whitespace, names of letters, digits, "_", "-" and ".", values of printable
// ASCII but ";" and "=". Each package keeps its own parser for its own fields.
package txtfields

import (
	"fmt"
	"strings"
)

// Field is one name=value pair.
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

// HasVersion reports whether txt starts with the version and its delimiter ("v=STSv1;",
// "v=TLSRPTv1;", whitespace allowed before the ";"): records without it are not of the
// kind at all and are discarded.
func HasVersion(txt, version string) bool {
	return strings.HasPrefix(txt, version) && strings.HasPrefix(strings.TrimLeft(txt[len(version):], " \t"), ";")
}

// SkipWSP returns the index of the first byte at or after i that is not a space or tab.
func SkipWSP(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// IsAlnum reports an ASCII letter or digit.
func IsAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// ValidName checks an extension name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".").
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 32 || !IsAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !IsAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// ValidValue checks an extension value: 1*(%x21-3A / %x3C / %x3E-7E).
func ValidValue(s string) bool {
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
