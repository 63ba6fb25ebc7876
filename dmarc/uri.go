package dmarc

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// URI is one DMARC Reporting URI from rua or ruf (RFC 9989 §4.6).
type URI struct {
	// URI is the URI as written, without any "!size" suffix.
	URI string `json:"uri"`
	// Scheme is the URI scheme in lower case, e.g. "mailto".
	Scheme string `json:"scheme"`
	// Address is the mailbox of a mailto: URI, %-escapes decoded.
	Address string `json:"address,omitempty"`
	// Host is the mailbox domain of a mailto: URI (lower case), or the host of another URI.
	Host string `json:"host,omitempty"`
	// Size is the obsolete "!size" suffix as written (e.g. "10m"), empty if none.
	Size string `json:"size,omitempty"`
	// MaxBytes is Size in bytes; 0 when there is no suffix.
	MaxBytes uint64 `json:"max_bytes,omitempty"`
}

func (u URI) String() string {
	if u.Size != "" {
		return u.URI + "!" + u.Size
	}
	return u.URI
}

func joinURIs(us []URI) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

// parseURIList parses a dmarc-urilist (RFC 9989 §4.8): URIs separated by commas with
// optional whitespace, each with an optional obsolete "!size" suffix. Invalid URIs
// are reported and left out.
func parseURIList(t Tag) ([]URI, []Issue) {
	var uris []URI
	var issues []Issue
	add := func(code Code, sev Severity, value string, off int, msg, ref string) {
		issues = append(issues, Issue{Code: code, Severity: sev, Tag: t.Name, Value: value, Offset: off, Message: msg, Ref: ref})
	}
	start := 0
	for i := 0; i <= len(t.Value); i++ {
		if i < len(t.Value) && t.Value[i] != ',' {
			continue
		}
		raw := t.Value[start:i]
		off := t.valueOffset + start + (len(raw) - len(strings.TrimLeft(raw, " \t")))
		raw = strings.Trim(raw, " \t")
		start = i + 1
		u, err := parseURI(raw)
		if err != nil {
			msg := fmt.Sprintf("The %s URI %q is not valid: %v; receivers skip it", t.Name, raw, err)
			if fixed, ok := repairURI(raw); ok {
				msg = fmt.Sprintf("The %s URI %q has no scheme: did you mean %s=%s? Until it is corrected, receivers skip it", t.Name, raw, t.Name, fixed)
			}
			add(CodeInvalidURI, finding.Error, raw, off, msg, "RFC 9989 §4.8")
			continue
		}
		if u.Size != "" {
			// RFC 9989 §4.8: obs-dmarc-report-size; reporters should ignore it.
			add(CodeURISizeSuffix, finding.Info, raw, off,
				fmt.Sprintf("The %s URI %q has the size limit \"!%s\", which RFC 9989 made obsolete; RFC 7489 receivers still skip reports larger than %d bytes", t.Name, raw, u.Size, u.MaxBytes), "RFC 9989 §4.8, RFC 7489 §6.2")
		}
		if u.Scheme != "mailto" {
			add(CodeNonMailtoURI, finding.Warning, raw, off,
				fmt.Sprintf("The %s URI %q uses the %s scheme; receivers must support only mailto: and ignore other schemes", t.Name, raw, u.Scheme), "RFC 9989 §4.7")
		}
		uris = append(uris, u)
	}
	if len(uris) == 0 {
		kind := "aggregate"
		if t.Name == "ruf" {
			kind = "failure"
		}
		for i := range issues {
			issues[i].Message += fmt.Sprintf(", and with no valid URI left in %s no %s reports are sent", t.Name, kind)
		}
	}
	return uris, issues
}

// parseURI parses one reporting URI with its optional "!size" suffix.
func parseURI(raw string) (URI, error) {
	if raw == "" {
		return URI{}, fmt.Errorf("it is empty")
	}
	u := URI{URI: raw}
	// RFC 9989 §4.8: "!" must be %-encoded inside the URI, so the first "!" starts the size.
	if i := strings.IndexByte(raw, '!'); i >= 0 {
		u.URI, u.Size = raw[:i], raw[i+1:]
		n, err := parseSize(u.Size)
		if err != nil {
			return URI{}, err
		}
		u.MaxBytes = n
	}
	for i := 0; i < len(u.URI); i++ {
		c := u.URI[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}", c) >= 0 {
			return URI{}, fmt.Errorf("character %q is not allowed in a URI (RFC 3986); encode it as %%%02X", rune(c), c)
		}
	}
	p, err := url.Parse(u.URI)
	if err != nil {
		return URI{}, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "parse \""+u.URI+"\": "))
	}
	if p.Scheme == "" {
		return URI{}, fmt.Errorf("it has no scheme (write mailto:%s)", u.URI)
	}
	u.Scheme = strings.ToLower(p.Scheme)
	if u.Scheme != "mailto" {
		if p.Host == "" {
			return URI{}, fmt.Errorf("it has no host")
		}
		u.Host = strings.ToLower(p.Hostname())
		return u, nil
	}
	// RFC 6068: mailto:addr-spec, with %-escapes; any ?query (subject etc.) is not part of the address.
	if p.Opaque == "" {
		return URI{}, fmt.Errorf("the mailto: URI has no address")
	}
	addr, err := url.PathUnescape(p.Opaque)
	if err != nil {
		return URI{}, fmt.Errorf("bad %%-escape in the address: %v", err)
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return URI{}, fmt.Errorf("%q is not a mailbox (local-part@domain)", addr)
	}
	host := strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
	if err := checkHostname(host); err != nil {
		return URI{}, fmt.Errorf("mailbox domain %q: %v", host, err)
	}
	u.Address, u.Host = addr, host
	return u, nil
}

// parseSize parses obs-dmarc-report-size: 1*DIGIT [ "k" / "m" / "g" / "t" ].
func parseSize(s string) (uint64, error) {
	num, mult := s, uint64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			num = s[:len(s)-1]
		}
	}
	if !isDigits(num) {
		return 0, fmt.Errorf("size suffix \"!%s\" is not digits with an optional k, m, g or t", s)
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > (1<<64-1)/mult {
		return 0, fmt.Errorf("size suffix \"!%s\" is too large", s)
	}
	return n * mult, nil
}

// checkHostname accepts a DNS host name with at least two labels.
func checkHostname(h string) error {
	if h == "" || len(h) > 253 {
		return fmt.Errorf("not a valid domain name")
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return fmt.Errorf("not a fully qualified domain name")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q is not valid", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("character %q is not allowed", rune(c))
			}
		}
	}
	return nil
}
