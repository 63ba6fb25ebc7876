package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Qualifier is the prefix of a mechanism that says what a match means (RFC 7208 §4.6.2).
type Qualifier string

// The qualifiers. QualifierNone is an absent qualifier, which means "+".
const (
	QualifierNone     Qualifier = ""
	QualifierPass     Qualifier = "+"
	QualifierFail     Qualifier = "-"
	QualifierSoftFail Qualifier = "~"
	QualifierNeutral  Qualifier = "?"
)

// Result returns the check_host() result a matching mechanism with this qualifier yields.
func (q Qualifier) Result() Result {
	switch q {
	case QualifierFail:
		return Fail
	case QualifierSoftFail:
		return SoftFail
	case QualifierNeutral:
		return Neutral
	}
	return Pass
}

// Mechanism names a mechanism (RFC 7208 §5).
type Mechanism string

// The mechanisms.
const (
	MechAll     Mechanism = "all"
	MechInclude Mechanism = "include"
	MechA       Mechanism = "a"
	MechMX      Mechanism = "mx"
	MechPTR     Mechanism = "ptr"
	MechIP4     Mechanism = "ip4"
	MechIP6     Mechanism = "ip6"
	MechExists  Mechanism = "exists"
)

// Lookups reports whether the mechanism queries DNS and so counts against the limit of
// 10 (RFC 7208 §4.6.4).
func (m Mechanism) Lookups() bool {
	switch m {
	case MechInclude, MechA, MechMX, MechPTR, MechExists:
		return true
	}
	return false
}

// The modifiers this package acts on (RFC 7208 §6).
const (
	ModRedirect = "redirect"
	ModExp      = "exp"
)

// Term is one mechanism or modifier of a record. Exactly one of Mechanism and Modifier
// is set.
type Term struct {
	// Qualifier is the mechanism's qualifier as written ("" when absent: "+").
	Qualifier Qualifier `json:"qualifier,omitempty"`
	// Mechanism is the mechanism name, lower case.
	Mechanism Mechanism `json:"mechanism,omitempty"`
	// Modifier is the modifier name, lower case (redirect, exp, or an unknown one).
	Modifier string `json:"modifier,omitempty"`
	// Domain is the domain-spec of include, a, mx, ptr and exists, or the modifier's
	// value: a macro-string, unexpanded ("" when absent).
	Domain string `json:"domain,omitempty"`
	// IP is the network address of ip4 and ip6.
	IP netip.Addr `json:"ip,omitzero"`
	// Prefix4 and Prefix6 are the CIDR lengths given (ip4 uses Prefix4, ip6 Prefix6,
	// a and mx either); -1 when absent.
	Prefix4 int `json:"prefix4"`
	Prefix6 int `json:"prefix6"`
	// Offset is the byte offset of the term in the record text.
	Offset int `json:"offset"`
}

// IsModifier reports whether the term is a modifier.
func (t Term) IsModifier() bool { return t.Modifier != "" }

// String returns the term as it would be written in a record.
func (t Term) String() string {
	if t.IsModifier() {
		return t.Modifier + "=" + t.Domain
	}
	var b strings.Builder
	b.WriteString(string(t.Qualifier))
	b.WriteString(string(t.Mechanism))
	switch t.Mechanism {
	case MechIP4, MechIP6:
		b.WriteString(":" + t.IP.String())
	default:
		if t.Domain != "" {
			b.WriteString(":" + t.Domain)
		}
	}
	if t.Prefix4 >= 0 {
		b.WriteString("/" + strconv.Itoa(t.Prefix4))
	}
	if t.Prefix6 >= 0 {
		if t.Mechanism != MechIP6 {
			b.WriteString("/")
		}
		b.WriteString("/" + strconv.Itoa(t.Prefix6))
	}
	return b.String()
}

// Record is a parsed SPF record.
type Record struct {
	// Terms are the mechanisms and modifiers in the order written.
	Terms []Term `json:"terms"`
}

// String returns the record text, "v=spf1" followed by the terms separated by single
// spaces; parsing it gives back the same record.
func (r *Record) String() string {
	var b strings.Builder
	b.WriteString("v=spf1")
	for _, t := range r.Terms {
		b.WriteByte(' ')
		b.WriteString(t.String())
	}
	return b.String()
}

// Modifier returns the first modifier with that (lower-case) name, if any.
func (r *Record) Modifier(name string) (Term, bool) {
	for _, t := range r.Terms {
		if t.Modifier == name {
			return t, true
		}
	}
	return Term{}, false
}

// HasAll reports whether the record has an "all" mechanism anywhere.
func (r *Record) HasAll() bool {
	for _, t := range r.Terms {
		if t.Mechanism == MechAll {
			return true
		}
	}
	return false
}

// Errors of the parser; SyntaxError wraps ErrSyntax.
var (
	// ErrNotSPF: the text does not start with "v=spf1" followed by a space or its end.
	ErrNotSPF = errors.New("spf: not an SPF record (no v=spf1 version)")
	// ErrSyntax: the record breaks the RFC 7208 §12 grammar.
	ErrSyntax = errors.New("spf: syntax error")
)

// SyntaxError is a grammar violation in a record, naming the term and its byte offset.
type SyntaxError struct {
	// Term is the offending term as written.
	Term string `json:"term"`
	// Offset is the term's byte offset in the record text.
	Offset int `json:"offset"`
	// Reason says what is wrong.
	Reason string `json:"reason"`
	// IPLiteral is set when a domain-spec is an IP address (a:192.0.2.1), a common
	// publishing mistake worth its own diagnostic.
	IPLiteral bool `json:"ip_literal,omitempty"`
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("spf: syntax error in term %q at offset %d: %s", e.Term, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// IsSPF reports whether a TXT record is an SPF version 1 record: RFC 7208 §4.5: it
// begins with "v=spf1" (case-insensitive) followed by a space or the end.
func IsSPF(txt string) bool {
	const v = "v=spf1"
	if len(txt) < len(v) || !strings.EqualFold(txt[:len(v)], v) {
		return false
	}
	return len(txt) == len(v) || txt[len(v)] == ' '
}

// Parse parses an SPF record. Any syntax error anywhere in the record is an error
// (RFC 7208 §4.6: the whole record is rejected, not just the bad term).
func Parse(text string) (*Record, error) {
	if !IsSPF(text) {
		return nil, ErrNotSPF
	}
	r := &Record{}
	seen := map[string]bool{}
	// RFC 7208 §12: terms = *( 1*SP ( directive / modifier ) ), and only SP separates
	// terms: tabs and line breaks are part of a term and make it invalid.
	for i := len("v=spf1"); i < len(text); {
		if text[i] == ' ' {
			i++
			continue
		}
		end := strings.IndexByte(text[i:], ' ')
		if end < 0 {
			end = len(text)
		} else {
			end += i
		}
		t, err := parseTerm(text[i:end], i)
		if err != nil {
			return nil, err
		}
		if t.Modifier == ModRedirect || t.Modifier == ModExp {
			// RFC 7208 §6: redirect and exp MUST NOT appear more than once each.
			if seen[t.Modifier] {
				return nil, &SyntaxError{Term: text[i:end], Offset: i, Reason: "modifier " + t.Modifier + " appears more than once"}
			}
			seen[t.Modifier] = true
		}
		r.Terms = append(r.Terms, t)
		i = end
	}
	return r, nil
}

func parseTerm(s string, off int) (Term, error) {
	t := Term{Offset: off, Prefix4: -1, Prefix6: -1}
	bad := func(format string, args ...any) (Term, error) {
		return Term{}, &SyntaxError{Term: s, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			// RFC 7208 §3.1: records are US-ASCII; §12 allows only visible characters.
			return bad("character %q at offset %d is not visible US-ASCII", s[i], off+i)
		}
	}
	rest := s
	if strings.ContainsRune("+-~?", rune(rest[0])) {
		t.Qualifier = Qualifier(rest[:1])
		rest = rest[1:]
	}
	// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
	n := 0
	for n < len(rest) && (isAlpha(rest[n]) || n > 0 && (isDigit(rest[n]) || strings.IndexByte("-_.", rest[n]) >= 0)) {
		n++
	}
	name := strings.ToLower(rest[:n])
	rest = rest[n:]
	if n > 0 && strings.HasPrefix(rest, "=") {
		// RFC 7208 §4.6.1: a modifier is a name followed directly by "=".
		if t.Qualifier != QualifierNone {
			return bad("a modifier takes no qualifier")
		}
		t.Modifier, t.Domain = name, rest[1:]
		switch name {
		case ModRedirect, ModExp:
			// RFC 7208 §6.1, §6.2: the value is a domain-spec.
			if err := checkDomainSpec(t.Domain); err != nil {
				return bad("%s", err.Error())
			}
		default:
			// RFC 7208 §6: unknown modifiers are ignored, but must still be a
			// valid macro-string.
			if _, err := parseMacros(t.Domain, false); err != nil {
				return bad("%s", err.Error())
			}
		}
		return t, nil
	}
	t.Mechanism = Mechanism(name)
	switch t.Mechanism {
	case MechAll:
		if rest != "" {
			return bad("all takes no argument")
		}
	case MechInclude, MechExists:
		if !strings.HasPrefix(rest, ":") {
			return bad("%s requires a domain-spec", name)
		}
		t.Domain = rest[1:]
		if err := checkDomainSpec(t.Domain); err != nil {
			return bad("%s", err.Error())
		}
	case MechA, MechMX, MechPTR:
		spec, p4, p6, err := splitDualCIDR(rest, t.Mechanism != MechPTR)
		if err != nil {
			return bad("%s", err.Error())
		}
		t.Prefix4, t.Prefix6 = p4, p6
		if spec != "" {
			if !strings.HasPrefix(spec, ":") {
				return bad("unexpected %q after %s", spec, name)
			}
			t.Domain = spec[1:]
			if err := checkDomainSpec(t.Domain); err != nil {
				var se *SyntaxError
				if errors.As(err, &se) {
					se.Term, se.Offset = s, off
					return Term{}, se
				}
				return bad("%s", err.Error())
			}
		}
	case MechIP4, MechIP6:
		if !strings.HasPrefix(rest, ":") {
			return bad("%s requires an address", name)
		}
		addr := rest[1:]
		if i := strings.IndexByte(addr, '/'); i >= 0 {
			max := 32
			if t.Mechanism == MechIP6 {
				max = 128
			}
			p, err := parseCIDR(addr[i+1:], max)
			if err != nil {
				return bad("%s", err.Error())
			}
			if t.Mechanism == MechIP4 {
				t.Prefix4 = p
			} else {
				t.Prefix6 = p
			}
			addr = addr[:i]
		}
		ip, err := netip.ParseAddr(addr)
		// RFC 7208 §5.6: ip4 takes a dotted quad, ip6 an IPv6 address (no zone).
		if err != nil || ip.Zone() != "" || (t.Mechanism == MechIP4) != ip.Is4() {
			return bad("%q is not an %s address", addr, map[Mechanism]string{MechIP4: "IPv4", MechIP6: "IPv6"}[t.Mechanism])
		}
		t.IP = ip
	default:
		return bad("unknown mechanism %q", rest0(s, t.Qualifier))
	}
	return t, nil
}

func rest0(s string, q Qualifier) string { return s[len(q):] }

// splitDualCIDR splits a trailing dual-cidr-length off the argument of a, mx (dual) or
// ptr (none allowed): RFC 7208 §5.3: dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ].
func splitDualCIDR(s string, allowed bool) (rest string, p4, p6 int, err error) {
	p4, p6 = -1, -1
	// The domain-spec itself may contain "/" (macro-literal allows it), so the CIDR is
	// taken from the end: "//N" then "/N".
	if i := strings.LastIndex(s, "//"); i >= 0 && isNumber(s[i+2:]) {
		if !allowed {
			return "", 0, 0, errors.New("ptr takes no CIDR length")
		}
		if p6, err = parseCIDR(s[i+2:], 128); err != nil {
			return "", 0, 0, err
		}
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 && isNumber(s[i+1:]) {
		if !allowed {
			return "", 0, 0, errors.New("ptr takes no CIDR length")
		}
		if p4, err = parseCIDR(s[i+1:], 32); err != nil {
			return "", 0, 0, err
		}
		s = s[:i]
	}
	if strings.HasPrefix(s, "/") {
		return "", 0, 0, fmt.Errorf("bad CIDR length %q", s)
	}
	return s, p4, p6, nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseCIDR reads a CIDR length: RFC 7208 §5.6: "0" or a number without a leading zero,
// at most max.
func parseCIDR(s string, max int) (int, error) {
	if !isNumber(s) || (len(s) > 1 && s[0] == '0') || len(s) > 3 {
		return 0, fmt.Errorf("bad CIDR length %q", s)
	}
	n, _ := strconv.Atoi(s)
	if n > max {
		return 0, fmt.Errorf("CIDR length %d is over %d", n, max)
	}
	return n, nil
}

// checkDomainSpec validates a domain-spec: RFC 7208 §7.1: domain-spec = macro-string
// domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand.
func checkDomainSpec(s string) error {
	if s == "" {
		return errors.New("empty domain-spec")
	}
	endsInMacro, err := parseMacros(s, false)
	if err != nil {
		return err
	}
	if endsInMacro {
		return nil
	}
	if _, err := netip.ParseAddr(strings.TrimSuffix(s, ".")); err == nil {
		return &SyntaxError{Reason: fmt.Sprintf("%q is an IP address, not a domain name (use ip4: or ip6:)", s), IPLiteral: true}
	}
	body := strings.TrimSuffix(s, ".")
	dot := strings.LastIndexByte(body, '.')
	if dot < 0 {
		return fmt.Errorf("domain-spec %q must end in a dot and a top label, or a macro", s)
	}
	if !isTopLabel(body[dot+1:]) {
		return fmt.Errorf("domain-spec %q does not end in a valid top label", s)
	}
	return nil
}

// isTopLabel: RFC 7208 §7.1: toplabel = ( *alphanum ALPHA *alphanum ) /
// ( 1*alphanum "-" *( alphanum / "-" ) alphanum ): not all digits, no leading or
// trailing hyphen.
func isTopLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	alpha, hyphen := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlpha(c):
			alpha = true
		case isDigit(c):
		case c == '-':
			hyphen = true
		default:
			return false
		}
	}
	return alpha || hyphen
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
