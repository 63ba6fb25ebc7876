package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// macro is one parsed macro-expand: RFC 7208 §7.1:
// "%{" macro-letter transformers *delimiter "}".
type macro struct {
	letter  byte // lower case
	upper   bool // URL-escape the result
	digits  int  // 0: all parts
	reverse bool
	delims  string
}

// parseMacros validates a macro-string (exp: an explain-string, where SP and the
// letters c, r, t are allowed) and reports whether it ends in a macro-expand, which
// RFC 7208 §7.1 accepts as a domain-end.
func parseMacros(s string, exp bool) (endsInMacro bool, err error) {
	err = walkMacros(s, exp, func(lit string, m *macro) { endsInMacro = m != nil })
	return endsInMacro, err
}

// walkMacros calls emit for each literal run and each macro of s, in order. The escapes
// "%%", "%_" and "%-" are literals ("%", " ", "%20").
func walkMacros(s string, exp bool, emit func(lit string, m *macro)) error {
	for i := 0; i < len(s); {
		c := s[i]
		if c != '%' {
			j := i
			for j < len(s) && s[j] != '%' {
				// RFC 7208 §7.1: macro-literal = %x21-24 / %x26-7E; explain-string adds SP.
				if s[j] < 0x21 && !(exp && s[j] == ' ') || s[j] > 0x7e {
					return fmt.Errorf("character %q at offset %d is not allowed in a macro-string", s[j], j)
				}
				j++
			}
			emit(s[i:j], nil)
			i = j
			continue
		}
		if i+1 == len(s) {
			return fmt.Errorf("%q at offset %d: a lone %%", s, i)
		}
		switch s[i+1] {
		case '%':
			emit("%", nil)
			i += 2
			continue
		case '_':
			emit(" ", nil)
			i += 2
			continue
		case '-':
			emit("%20", nil)
			i += 2
			continue
		case '{':
		default:
			return fmt.Errorf("%q at offset %d: %% must be followed by {, %%, _ or -", s, i)
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return fmt.Errorf("%q at offset %d: unterminated macro", s, i)
		}
		m, err := parseMacro(s[i+2 : i+end])
		if err != nil {
			return fmt.Errorf("macro %q at offset %d: %v", s[i:i+end+1], i, err)
		}
		// RFC 7208 §7.2: c, r and t are only allowed in the explanation.
		if !exp && strings.IndexByte("crt", m.letter) >= 0 {
			return fmt.Errorf("macro %q at offset %d: %%{%c} is only allowed in exp= text", s[i:i+end+1], i, m.letter)
		}
		emit("", m)
		i += end + 1
	}
	return nil
}

func parseMacro(body string) (*macro, error) {
	if body == "" {
		return nil, fmt.Errorf("no macro letter")
	}
	m := &macro{letter: body[0] | 0x20, upper: body[0] >= 'A' && body[0] <= 'Z'}
	if !isAlpha(body[0]) || strings.IndexByte("slodiphcrtv", m.letter) < 0 {
		return nil, fmt.Errorf("unknown macro letter %q", body[0])
	}
	rest := body[1:]
	n := 0
	for n < len(rest) && isDigit(rest[n]) {
		n++
	}
	if n > 0 {
		// RFC 7208 §7.3: the DIGIT transformer MUST be nonzero; a value larger than
		// the number of parts means all of them, so saturate instead of overflowing.
		for _, c := range rest[:n] {
			m.digits = min(m.digits*10+int(c-'0'), 1000)
		}
		if m.digits == 0 {
			return nil, fmt.Errorf("digit transformer must be nonzero")
		}
	}
	rest = rest[n:]
	if strings.HasPrefix(rest, "r") || strings.HasPrefix(rest, "R") {
		m.reverse = true
		rest = rest[1:]
	}
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(".-+,/_=", rest[i]) < 0 {
			return nil, fmt.Errorf("bad delimiter %q", rest[i])
		}
	}
	m.delims = rest
	return m, nil
}

// macroEnv holds the values of the macro letters for one check_host() call.
type macroEnv struct {
	sender, local, senderDomain, domain, helo string
	ip                                        netip.Addr
	receiver                                  string
	now                                       time.Time
	// ptr computes %{p}: it does DNS lookups, so only when the letter is used.
	ptr func(ctx context.Context) string
}

// expand expands a macro-string or explain-string (RFC 7208 §7.3).
func (env *macroEnv) expand(ctx context.Context, s string, exp bool) (string, error) {
	var b strings.Builder
	err := walkMacros(s, exp, func(lit string, m *macro) {
		if m == nil {
			b.WriteString(lit)
			return
		}
		b.WriteString(env.macroValue(ctx, m))
	})
	return b.String(), err
}

func (env *macroEnv) macroValue(ctx context.Context, m *macro) string {
	var v string
	switch m.letter {
	case 's':
		v = env.sender
	case 'l':
		v = env.local
	case 'o':
		v = env.senderDomain
	case 'd':
		v = env.domain
	case 'i':
		v = dotIP(env.ip)
	case 'p':
		v = "unknown"
		if env.ptr != nil {
			v = env.ptr(ctx)
		}
	case 'v':
		v = "in-addr"
		if env.ip.Is6() {
			v = "ip6"
		}
	case 'h':
		v = env.helo
	case 'c':
		v = env.ip.String()
	case 'r':
		v = env.receiver
		if v == "" {
			v = "unknown"
		}
	case 't':
		v = strconv.FormatInt(env.now.Unix(), 10)
	}
	if m.digits > 0 || m.reverse || m.delims != "" {
		v = transform(v, m)
	}
	if m.upper {
		v = urlEscape(v)
	}
	return v
}

// transform applies RFC 7208 §7.3: split on the delimiters (default "."), optionally
// reverse, keep the rightmost DIGIT parts, and join with ".".
func transform(v string, m *macro) string {
	delims := m.delims
	if delims == "" {
		delims = "."
	}
	parts := splitAny(v, delims)
	if m.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if m.digits > 0 && m.digits < len(parts) {
		parts = parts[len(parts)-m.digits:]
	}
	return strings.Join(parts, ".")
}

func splitAny(s, delims string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(delims, s[i]) >= 0 {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// urlEscape escapes every byte outside RFC 3986's unreserved set (RFC 7208 §7.3).
func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || isDigit(c) || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// dotIP is the %{i} form: RFC 7208 §7.3: IPv4 dotted quad, IPv6 as dot-separated
// nibbles. The RFC leaves the case of the hex digits open (DNS names are
// case-insensitive); upper case matches the reference implementation's explanations.
func dotIP(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	a := ip.As16()
	var b strings.Builder
	for i, x := range a {
		if i > 0 {
			b.WriteByte('.')
		}
		fmt.Fprintf(&b, "%X.%X", x>>4, x&0xf)
	}
	return b.String()
}

// truncateDomain shortens an expanded name to 253 characters by removing labels from
// the left (RFC 7208 §7.3).
func truncateDomain(s string) string {
	for len(s) > 253 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s
		}
		s = s[i+1:]
	}
	return s
}
