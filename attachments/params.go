package attachments

import (
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// param is one raw parameter of a structured header field, before RFC 2231 assembly.
type param struct {
	name     string // base name, lower case, without the RFC 2231 "*N*" suffix
	section  int    // RFC 2231 §3 continuation number, -1 when absent
	extended bool   // RFC 2231 §4: the value is charset'language'percent-encoded
	value    string // unquoted value
}

// parseHeader splits a Content-Type or Content-Disposition value into its leading token
// (lower case) and its raw parameters. Unlike mime.ParseMediaType it never gives up: a
// duplicated parameter, a missing quote or stray bytes still yield every parameter it
// can read, because a receiver's filter may read any one of them.
func parseHeader(v string) (string, []param) {
	segs := splitParams(v)
	if len(segs) == 0 {
		return "", nil
	}
	token := strings.ToLower(strings.TrimSpace(segs[0]))
	var ps []param
	for _, s := range segs[1:] {
		name, val, ok := strings.Cut(s, "=")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		p := param{section: -1, value: unquote(strings.TrimSpace(val))}
		// RFC 2231 §4: a trailing "*" marks an extended (encoded) value.
		if strings.HasSuffix(name, "*") {
			p.extended = true
			name = strings.TrimSuffix(name, "*")
		}
		// RFC 2231 §3: "name*N" is section N of a continued value.
		if i := strings.LastIndexByte(name, '*'); i >= 0 {
			if n, err := strconv.Atoi(name[i+1:]); err == nil && n >= 0 && n < 10000 {
				p.section = n
				name = name[:i]
			}
		}
		p.name = name
		ps = append(ps, p)
	}
	return token, ps
}

// splitParams splits at semicolons outside quoted strings.
func splitParams(v string) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && inQuote:
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// unquote removes RFC 2045 quoting, tolerating a missing closing quote.
func unquote(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String()
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// paramValues returns every candidate value of the named parameter: each plain or
// extended occurrence on its own, and the RFC 2231 continuation sections joined. All are
// decoded (RFC 2231 charsets, RFC 2047 encoded words inside the value) to UTF-8.
func paramValues(ps []param, name string) []string {
	var out []string
	var sections []param
	for _, p := range ps {
		if p.name != name {
			continue
		}
		if p.section >= 0 {
			sections = append(sections, p)
			continue
		}
		if p.extended {
			out = append(out, decode2231(p.value, true))
		} else {
			out = append(out, decodeWords(p.value))
		}
	}
	if len(sections) > 0 {
		slices.SortStableFunc(sections, func(a, b param) int { return a.section - b.section })
		// RFC 2231 §4.1: only the first section carries charset'language; later
		// extended sections are percent-encoded in the same charset.
		var raw []byte
		charset := ""
		seen := map[int]bool{}
		for i, p := range sections {
			if seen[p.section] {
				continue
			}
			seen[p.section] = true
			v := p.value
			if p.extended {
				if i == 0 {
					if cs, rest, ok := splitCharset(v); ok {
						charset, v = cs, rest
					}
				}
				raw = append(raw, percentDecode(v)...)
			} else {
				raw = append(raw, v...)
			}
		}
		out = append(out, toUTF8(raw, charset))
	}
	return out
}

// decode2231 decodes an RFC 2231 §4 extended value: charset'language'percent-encoded.
func decode2231(v string, first bool) string {
	charset := ""
	if first {
		if cs, rest, ok := splitCharset(v); ok {
			charset, v = cs, rest
		}
	}
	return toUTF8(percentDecode(v), charset)
}

func splitCharset(v string) (charset, rest string, ok bool) {
	cs, after, ok1 := strings.Cut(v, "'")
	if !ok1 {
		return "", v, false
	}
	_, rest, ok2 := strings.Cut(after, "'")
	if !ok2 {
		return "", v, false
	}
	return cs, rest, true
}

// percentDecode decodes %XX escapes, leaving malformed ones as they are.
func percentDecode(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return b
}

// charsetEncoding finds a decoder for a MIME charset name, nil when unknown.
func charsetEncoding(name string) encoding.Encoding {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil
	}
	if e, err := ianaindex.MIME.Encoding(name); err == nil && e != nil {
		return e
	}
	if e, err := htmlindex.Get(name); err == nil {
		return e
	}
	// Python's email package writes its codec names in encoded words and RFC 2231
	// values (email.charset CODEC_MAP: gb2312 as "eucgb2312_cn", big5 as "big5_tw";
	// "iso2022_jp", "euc_jp", "cp1251" ...). Clients decode them, so we do too.
	if alias, ok := pythonCodecs[strings.ReplaceAll(name, "-", "_")]; ok {
		return charsetEncoding(alias)
	}
	if n := strings.ReplaceAll(name, "_", "-"); n != name {
		return charsetEncoding(n)
	}
	return nil
}

// pythonCodecs maps Python codec names that no IANA or WHATWG label covers.
var pythonCodecs = map[string]string{
	"eucgb2312_cn": "gb2312", "big5_tw": "big5", "iso2022_jp": "iso-2022-jp",
	"euc_jp": "euc-jp", "euc_kr": "euc-kr", "cp932": "shift_jis", "cp949": "euc-kr",
	"cp936": "gbk", "cp950": "big5", "koi8_r": "koi8-r", "koi8_u": "koi8-u",
}

// toUTF8 converts raw bytes in charset to UTF-8. Unknown charsets and invalid UTF-8
// fall back to Windows-1252, which maps every byte, so no candidate name is lost.
func toUTF8(raw []byte, charset string) string {
	cs := strings.ToLower(charset)
	if cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" {
		if utf8.Valid(raw) {
			return string(raw)
		}
		cs = "windows-1252"
	}
	e := charsetEncoding(cs)
	if e == nil {
		if utf8.Valid(raw) {
			return string(raw)
		}
		e = charmap.Windows1252
	}
	out, err := e.NewDecoder().Bytes(raw)
	if err != nil {
		return string(raw)
	}
	return string(out)
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	e := charsetEncoding(charset)
	if e == nil {
		return r, nil
	}
	return e.NewDecoder().Reader(r), nil
}}

// decodeWords decodes RFC 2047 encoded words. RFC 2047 §5 forbids them inside quoted
// strings, but mail clients write them there and receivers decode them, so we do too.
func decodeWords(s string) string {
	if strings.Contains(s, "=?") {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	if !utf8.ValidString(s) {
		s = toUTF8([]byte(s), "windows-1252")
	}
	return s
}
