package mtasts

import (
	"fmt"
	"github.com/mailcheck/mailcheck/internal/txtfields"
	"strconv"
	"strings"
)

// Mode is the policy's mode (RFC 8461 §5).
type Mode string

// The modes.
const (
	// Enforce: senders deliver only to MX hosts that match a pattern and present a
	// valid certificate over TLS.
	Enforce Mode = "enforce"
	// Testing: senders deliver anyway and report failures (TLS-RPT).
	Testing Mode = "testing"
	// None: the domain has withdrawn its policy.
	None Mode = "none"
)

// MaxMaxAge is the longest lifetime a policy may ask for: about one year (RFC 8461 §3.2).
const MaxMaxAge = 31557600

// MaxPolicySize is the largest policy body senders need read (RFC 8461 §3.3: 64 KiB).
const MaxPolicySize = 64 << 10

// Policy is a parsed policy file (RFC 8461 §3.2).
type Policy struct {
	Version string `json:"version"`
	Mode    Mode   `json:"mode"`
	// MX are the patterns: a host name, or "*." and a name for any one label below it.
	MX []string `json:"mx"`
	// MaxAge is the policy's lifetime in seconds; -1 when absent or not a number.
	MaxAge int64 `json:"max_age"`
	// Extensions are fields senders ignore, in order.
	Extensions []Field `json:"extensions,omitempty"`
}

// Problem is one defect of a policy file, with its 1-based line (0: the whole file).
type Problem struct {
	Line int    `json:"line"`
	Msg  string `json:"message"`
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.Msg
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Msg)
}

// ParsePolicy parses a policy body by the RFC 8461 §3.2 grammar: "name: value" fields,
// one a line (CRLF or LF), unknown fields ignored. It returns whatever could be read and
// every problem; a policy with problems is invalid, and senders treat the domain as
// having no policy at all. max_age beyond MaxMaxAge is a problem too.
func ParsePolicy(body string) (*Policy, []Problem) {
	p := &Policy{MaxAge: -1}
	var probs []Problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, Problem{line, fmt.Sprintf(format, args...)})
	}
	seen := map[string]int{}
	lines := strings.Split(body, "\n")
	if lines[len(lines)-1] == "" { // the optional final line ending
		lines = lines[:len(lines)-1]
	}
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSuffix(raw, "\r")
		if strings.TrimSpace(line) == "" {
			continue // blank lines: outside the grammar, but every sender skips them
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			add(n, "%q is not a \"name: value\" field", line)
			continue
		}
		if !txtfields.ValidName(name) {
			add(n, "bad field name %q", name)
			continue
		}
		value = strings.Trim(value, " \t")
		if !validPolicyValue(value) {
			add(n, "bad value %q for %s", value, name)
			continue
		}
		if name != "mx" {
			if first, dup := seen[name]; dup {
				add(n, "%s appears again (first on line %d)", name, first)
				continue
			}
			seen[name] = n
		}
		switch name {
		case "version":
			p.Version = value
			if value != "STSv1" {
				add(n, "version is %q, not STSv1", value)
			}
		case "mode":
			p.Mode = Mode(value)
			if p.Mode != Enforce && p.Mode != Testing && p.Mode != None {
				add(n, "mode %q is not enforce, testing or none", value)
			}
		case "max_age":
			v, err := strconv.ParseInt(value, 10, 64)
			switch {
			case err != nil || len(value) > 10 || value[0] == '+' || value[0] == '-':
				add(n, "max_age %q is not a number of seconds", value)
			case v > MaxMaxAge:
				p.MaxAge = v
				add(n, "max_age %d is over the maximum of %d seconds (one year)", v, MaxMaxAge)
			default:
				p.MaxAge = v
			}
		case "mx":
			if !validPattern(value) {
				add(n, "mx %q is not a host name or a *. wildcard", value)
			}
			p.MX = append(p.MX, value)
		default:
			p.Extensions = append(p.Extensions, Field{Name: name, Value: value})
		}
	}
	if _, ok := seen["version"]; !ok {
		add(0, "no version field")
	}
	if _, ok := seen["mode"]; !ok {
		add(0, "no mode field")
	}
	if _, ok := seen["max_age"]; !ok {
		add(0, "no max_age field")
	}
	if len(p.MX) == 0 && (p.Mode == Enforce || p.Mode == Testing) {
		add(0, "no mx field: under %s, no MX host can match", p.Mode)
	}
	return p, probs
}

// String is the policy in canonical form (CRLF line endings); for a policy that parsed
// without problems, ParsePolicy(p.String()) gives p back.
func (p *Policy) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: %s\r\nmode: %s\r\n", p.Version, p.Mode)
	for _, m := range p.MX {
		fmt.Fprintf(&b, "mx: %s\r\n", m)
	}
	fmt.Fprintf(&b, "max_age: %d\r\n", p.MaxAge)
	for _, f := range p.Extensions {
		fmt.Fprintf(&b, "%s: %s\r\n", f.Name, f.Value)
	}
	return b.String()
}

// Match returns the first pattern that host matches (RFC 8461 §4.1: a name equal to
// the host, case-insensitively; "*.example.net" matches one label below example.net
// and not example.net itself), or "".
func (p *Policy) Match(host string) string {
	for _, pat := range p.MX {
		if Matches(pat, host) {
			return pat
		}
	}
	return ""
}

// Matches reports whether an MX host name matches one policy pattern.
func Matches(pattern, host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	if suffix, ok := strings.CutPrefix(pattern, "*."); ok {
		label, rest, ok := strings.Cut(host, ".")
		return ok && label != "" && rest == suffix
	}
	return host == pattern
}

// validPolicyValue: sts-policy-vchar (VCHAR and UTF-8) with inner spaces.
func validPolicyValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validPattern: a domain name of letters, digits and hyphens, optionally "*." first.
func validPattern(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !txtfields.IsAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}
