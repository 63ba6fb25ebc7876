package dkim

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/internal/header"
	"github.com/mailcheck/mailcheck/internal/taglist"
)

// fromDomain returns the domain of the message's author: RFC 7489 §6.6.1 needs exactly
// one From field with exactly one address to evaluate alignment.
func fromDomain(fields []header.Field) (string, error) {
	var from []header.Field
	for _, f := range fields {
		if strings.EqualFold(f.Name, "From") {
			from = append(from, f)
		}
	}
	switch len(from) {
	case 0:
		return "", errors.New("the message has no From header field")
	case 1:
	default:
		return "", fmt.Errorf("the message has %d From header fields", len(from))
	}
	addrs, err := header.Addresses(from[0].Value())
	if err != nil {
		return "", fmt.Errorf("the From header field cannot be parsed: %v", err)
	}
	if len(addrs) != 1 {
		return "", fmt.Errorf("the From header field has %d addresses", len(addrs))
	}
	at := strings.LastIndexByte(addrs[0].Address, '@')
	if at < 0 {
		return "", fmt.Errorf("the From address %q has no domain", addrs[0].Address)
	}
	return strings.ToLower(strings.TrimSuffix(addrs[0].Address[at+1:], ".")), nil
}

// sigTags is a DKIM-Signature's tag values (RFC 6376 §3.5), parsed strictly.
type sigTags struct {
	tags map[string]string
	err  error // why the field is not a valid signature, or nil
}

// parseSigTags reads a DKIM-Signature field body. It keeps what it could read even
// when the field is invalid, so the report can still name d= and s=.
func parseSigTags(value string) sigTags {
	st := sigTags{tags: map[string]string{}}
	tags, err := taglist.Parse(value)
	if err != nil {
		st.err = fmt.Errorf("the tag list is malformed: %v", err)
		// Keep what a lenient split can recover, for the report only.
		for _, part := range strings.Split(value, ";") {
			if k, v, ok := strings.Cut(part, "="); ok {
				if k = strings.TrimSpace(k); st.tags[k] == "" {
					st.tags[k] = strings.TrimSpace(v)
				}
			}
		}
		return st
	}
	for _, t := range tags {
		if _, dup := st.tags[t.Name]; dup {
			// RFC 6376 §3.2: a repeated tag invalidates the whole list.
			st.err = fmt.Errorf("tag %q appears more than once", t.Name)
		}
		st.tags[t.Name] = t.Value
	}
	if st.err != nil {
		return st
	}
	// RFC 6376 §6.1.1: these tags are required; v= must be 1.
	for _, name := range []string{"v", "a", "b", "bh", "d", "h", "s"} {
		if _, ok := st.tags[name]; !ok {
			st.err = fmt.Errorf("the required tag %s= is missing", name)
			return st
		}
	}
	if st.tags["v"] != "1" {
		st.err = fmt.Errorf("v=%s is not a DKIM signature version (1)", st.tags["v"])
		return st
	}
	d := strings.ToLower(st.tags["d"])
	if i, ok := st.tags["i"]; ok {
		// RFC 6376 §3.5 i=: the AUID's domain must be d= or a subdomain of it.
		_, idom, _ := strings.Cut(strings.ToLower(stripSpace(i)), "@")
		if idom != d && !strings.HasSuffix(idom, "."+d) {
			st.err = fmt.Errorf("i=%s is not in the signing domain d=%s", i, d)
			return st
		}
	}
	for _, name := range []string{"t", "x", "l"} {
		if v, ok := st.tags[name]; ok {
			if _, err := strconv.ParseUint(stripSpace(v), 10, 63); err != nil {
				st.err = fmt.Errorf("%s=%s is not a number", name, v)
				return st
			}
		}
	}
	// RFC 6376 §3.5 x=: when both are present, x= MUST be greater than t=.
	t, hasT := st.number("t")
	x, hasX := st.number("x")
	if hasT && hasX && x <= t {
		st.err = fmt.Errorf("x=%d is not after t=%d", x, t)
	}
	return st
}

func (st sigTags) get(name string) string { return stripSpace(st.tags[name]) }

// strayB lists, sorted, the tags other than b= whose text holds what go-msgauth's
// signature-removal pattern `b\s*=` matches.
func (st sigTags) strayB() []string {
	var out []string
	for name, value := range st.tags {
		if name != "b" && strayBPattern.MatchString(name+"="+value) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

var strayBPattern = regexp.MustCompile(`b\s*=`)

func (st sigTags) number(name string) (int64, bool) {
	v, ok := st.tags[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(stripSpace(v), 10, 64)
	return n, err == nil
}

func (st sigTags) time(name string) *time.Time {
	n, ok := st.number(name)
	if !ok {
		return nil
	}
	t := time.Unix(n, 0).UTC()
	return &t
}

// headerList returns h= as written, each name trimmed.
func (st sigTags) headerList() []string {
	var out []string
	for _, h := range strings.Split(st.tags["h"], ":") {
		if h = strings.TrimSpace(stripSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}
