package dnscheck

import (
	"net/url"

	"errors"
	"fmt"
	"golang.org/x/net/publicsuffix"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrInvalidDomain is wrapped by every error NormalizeDomain returns.
var ErrInvalidDomain = errors.New("dnscheck: invalid domain name")

// Domain is a validated domain name in both forms.
type Domain struct {
	// ASCII is the A-label form, lower case, without a trailing dot: what goes on the wire.
	ASCII string
	// Unicode is the U-label form for display; equal to ASCII for plain ASCII names.
	Unicode string
}

// idnaProfile converts user input the way a browser's address bar would (UTS #46
// mapping), then checks the result against the IDNA2008 registration rules.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))

// NormalizeDomain validates a domain name typed by a person and returns its A-label
// and U-label forms. It rejects empty names, IP addresses, names over 253 octets,
// labels over 63 octets and characters that cannot appear in a host name. Underscore
// labels (_dmarc, _domainkey) are allowed: they are DNS names, not host names.
func NormalizeDomain(s string) (Domain, error) {
	in := strings.TrimSpace(s)
	in = strings.TrimSuffix(in, ".")
	if in == "" {
		return Domain{}, fmt.Errorf("%w: the name is empty", ErrInvalidDomain)
	}
	if _, err := netip.ParseAddr(strings.Trim(in, "[]")); err == nil {
		return Domain{}, fmt.Errorf("%w: %q is an IP address, not a domain name", ErrInvalidDomain, s)
	}
	if !utf8.ValidString(in) {
		return Domain{}, fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidDomain, s)
	}
	if d, kind := DomainIn(in); kind != "" {
		return Domain{}, fmt.Errorf("%w: %q is %s; its domain is %s", ErrInvalidDomain, s, kind, d)
	}
	if strings.ContainsAny(in, " \t") {
		return Domain{}, fmt.Errorf("%w: %q contains a space; a domain name has none (e.g. example.com)", ErrInvalidDomain, s)
	}
	ascii := in
	if !isASCII(in) || strings.Contains(strings.ToLower(in), "xn--") {
		a, err := idnaProfile.ToASCII(in)
		if err != nil {
			return Domain{}, fmt.Errorf("%w: %q is not a valid internationalized name: %v", ErrInvalidDomain, s, err)
		}
		ascii = a
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > 253 {
		return Domain{}, fmt.Errorf("%w: the name is %d octets long; the limit is 253 (RFC 1035 §2.3.4)", ErrInvalidDomain, len(ascii))
	}
	// A mail domain has at least two labels; a bare TLD or host name is a typo here.
	if !strings.Contains(ascii, ".") {
		if suffix, _ := publicsuffix.PublicSuffix(ascii); suffix == ascii && icannTLD(ascii) {
			return Domain{}, fmt.Errorf("%w: %q is a top-level domain; give your domain under it (e.g. example.%s)", ErrInvalidDomain, s, ascii)
		}
		return Domain{}, fmt.Errorf("%w: %q has a single label; give the full domain (e.g. %s.com)", ErrInvalidDomain, s, ascii)
	}
	for _, label := range strings.Split(ascii, ".") {
		if err := checkLabel(label); err != nil {
			return Domain{}, fmt.Errorf("%w: %q: %v", ErrInvalidDomain, s, err)
		}
	}
	uni, err := idna.ToUnicode(ascii)
	if err != nil {
		uni = ascii
	}
	return Domain{ASCII: ascii, Unicode: uni}, nil
}

// icannTLD reports whether name is a top-level domain the public suffix list knows
// (a name it does not know is its own suffix too, by the list's default rule).
func icannTLD(name string) bool {
	_, icann := publicsuffix.PublicSuffix(name)
	return icann
}

// DomainIn finds the domain in what people paste instead of one: a URL
// ("https://example.com/path" → "example.com", kind "a URL") or an email address
// ("user@example.com" → "example.com", kind "an email address"). kind is "" when s
// is neither.
func DomainIn(s string) (domain, kind string) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "://"); i > 0 {
		if u, err := url.Parse(s); err == nil && u.Hostname() != "" {
			return strings.TrimSuffix(u.Hostname(), "."), "a URL"
		}
	}
	if i := strings.LastIndexByte(s, '@'); i > 0 && i < len(s)-1 && !strings.ContainsAny(s, " /:") {
		return strings.TrimSuffix(s[i+1:], "."), "an email address"
	}
	return "", ""
}

func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("it has an empty label (two dots in a row)")
	case len(label) > 63:
		return fmt.Errorf("label %q is %d octets long; the limit is 63 (RFC 1035 §2.3.4)", label, len(label))
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' ||
			c >= 'A' && c <= 'Z'
		if !ok {
			return fmt.Errorf("character %q is not allowed in a domain name", rune(c))
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
