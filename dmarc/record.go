package dmarc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/taglist"
)

// Finding is the one diagnostic type every mailcheck package reports.
type Finding = finding.Finding

// Code identifies a kind of finding (see the package's Code constants).
type Code = finding.Code

// Severity says how much a Finding matters.
type Severity = finding.Severity

// Sentinel errors. Parse wraps ErrNotDMARC (in a *SyntaxError) when the text cannot
// be a DMARC Policy Record at all.
var (
	// ErrNotDMARC: the text does not start with the v=DMARC1 tag, so receivers ignore it.
	ErrNotDMARC = errors.New("dmarc: not a DMARC record")
	// ErrInvalidDomain: a domain argument is empty or malformed.
	ErrInvalidDomain = errors.New("dmarc: invalid domain")
)

// SyntaxError reports why a text is not a DMARC record, with the byte offset.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("dmarc: at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrNotDMARC) true.
func (e *SyntaxError) Unwrap() error { return ErrNotDMARC }

// Policy is a Domain Owner Assessment Policy (RFC 9989 §4.7, tags p, sp and np).
type Policy string

// The policies, from weakest to strongest.
const (
	None       Policy = "none"
	Quarantine Policy = "quarantine"
	Reject     Policy = "reject"
)

// Downgrade returns the policy one step weaker: what a receiver applies for t=y
// (RFC 9989 §4.7, tag t). None stays None.
func (p Policy) Downgrade() Policy {
	switch p {
	case Reject:
		return Quarantine
	case Quarantine:
		return None
	}
	return p
}

// AlignmentMode is the identifier alignment mode (RFC 9989 §4.4, tags adkim and aspf).
type AlignmentMode string

// The alignment modes.
const (
	// Relaxed: the two domains have the same Organizational Domain.
	Relaxed AlignmentMode = "r"
	// Strict: the two domains are identical.
	Strict AlignmentMode = "s"
)

// PSD is the value of the psd tag (RFC 9989 §4.7).
type PSD string

// The psd values.
const (
	// PSDYes: the domain is a Public Suffix Domain.
	PSDYes PSD = "y"
	// PSDNo: the domain is an Organizational Domain, not a PSD.
	PSDNo PSD = "n"
	// PSDUnknown, the default: the DNS Tree Walk decides.
	PSDUnknown PSD = "u"
)

// Version is the only DMARC version (RFC 9989 §4.7, tag v; case-sensitive).
const Version = "DMARC1"

// Tag is one tag=value pair as written in the record.
type Tag struct {
	// Name is the tag name in lower case (DMARC tag names are case-insensitive).
	Name string `json:"name"`
	// Value is the value as written, without surrounding whitespace.
	Value string `json:"value"`
	// Offset is the byte offset of the tag name in the record.
	Offset int `json:"offset"`

	valueOffset int
}

// Issue is a problem found while parsing a record that receivers tolerate: RFC 9989
// §4.8 says syntax errors after v=DMARC1 are discarded in favour of defaults, so the
// record still applies, but the tag in question does not mean what its author meant.
type Issue struct {
	// Code is the finding code, e.g. "dmarc.invalid-value".
	Code Code `json:"code"`
	// Severity is info, warning or error.
	Severity Severity `json:"severity"`
	// Tag is the tag concerned, if any.
	Tag string `json:"tag,omitempty"`
	// Value is the offending value, if any.
	Value string `json:"value,omitempty"`
	// Offset is the byte offset of the problem in the record.
	Offset int `json:"offset"`
	// Message says what is wrong, in one sentence.
	Message string `json:"message"`
	// Ref is the rule's source.
	Ref string `json:"ref"`
}

// Record is a parsed DMARC Policy Record. Every field holds the value in force: the
// value written, or the default when the tag is absent or invalid. Explicit tells
// which tags were written with a valid value.
type Record struct {
	// Raw is the record text as published (TXT strings joined).
	Raw string `json:"raw"`
	// Tags are all tags as written, in order, including unknown and invalid ones.
	Tags []Tag `json:"tags"`

	// Policy is p; None when absent (RFC 9989 §4.7).
	Policy Policy `json:"p"`
	// SubdomainPolicy is sp; Policy when absent.
	SubdomainPolicy Policy `json:"sp"`
	// NonexistentPolicy is np; SubdomainPolicy when absent.
	NonexistentPolicy Policy `json:"np"`
	// DKIMAlignment is adkim; Relaxed by default.
	DKIMAlignment AlignmentMode `json:"adkim"`
	// SPFAlignment is aspf; Relaxed by default.
	SPFAlignment AlignmentMode `json:"aspf"`
	// FailureOptions is fo split at ":"; ["0"] by default.
	FailureOptions []string `json:"fo"`
	// PSD is psd; PSDUnknown by default.
	PSD PSD `json:"psd"`
	// Testing is t=y.
	Testing bool `json:"t"`
	// AggregateURIs is rua: the valid URIs only.
	AggregateURIs []URI `json:"rua"`
	// FailureURIs is ruf: the valid URIs only.
	FailureURIs []URI `json:"ruf"`

	// Percent is the RFC 7489 pct tag (removed by RFC 9989); 100 by default.
	Percent int `json:"pct"`
	// ReportFormat is the RFC 7489 rf tag (removed by RFC 9989); "afrf" by default.
	ReportFormat string `json:"rf"`
	// ReportInterval is the RFC 7489 ri tag in seconds (removed by RFC 9989); 86400 by default.
	ReportInterval int `json:"ri"`

	// Issues are the tolerated problems, in record order.
	Issues []Issue `json:"issues,omitempty"`

	explicit map[string]bool // written with a valid value
	written  map[string]bool // written at all, valid or not
}

// tagOrder is the canonical order of the known tags, for String and Settings: v and p
// first (RFC 7489 §6.4 requires p second), then the RFC 9989 tags, then the RFC 7489
// tags that RFC 9989 removed.
var tagOrder = []string{"v", "p", "sp", "np", "adkim", "aspf", "psd", "t", "rua", "ruf", "fo", "pct", "rf", "ri"}

// legacyTags were defined by RFC 7489 and removed by RFC 9989 (Appendix C.5.2).
var legacyTags = map[string]bool{"pct": true, "rf": true, "ri": true}

func isKnownTag(name string) bool {
	for _, t := range tagOrder {
		if t == name {
			return true
		}
	}
	return false
}

// Explicit reports whether tag was written in the record with a valid value.
func (r *Record) Explicit(tag string) bool { return r.explicit[strings.ToLower(tag)] }

// IsDMARC reports whether txt looks like a DMARC record, the way RFC 9989 §4.10
// step 2 sorts TXT records: its first tag is v=DMARC1. Leading whitespace is
// tolerated here so that a record that has it is diagnosed, not mistaken for an
// unrelated TXT record.
func IsDMARC(txt string) bool {
	s := strings.TrimLeft(txt, " \t")
	if len(s) == 0 || (s[0] != 'v' && s[0] != 'V') {
		return false
	}
	s = strings.TrimLeft(s[1:], " \t")
	if !strings.HasPrefix(s, "=") {
		return false
	}
	s = strings.TrimLeft(s[1:], " \t")
	if !strings.HasPrefix(s, Version) {
		return false
	}
	rest := s[len(Version):]
	return rest == "" || rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t'
}

// Parse parses a DMARC Policy Record strictly by RFC 9989 §4.8 and notes what RFC
// 7489 receivers do differently. It returns an error wrapping ErrNotDMARC only when
// receivers would ignore the whole text (no v=DMARC1 first); every other problem is
// an Issue on the returned Record, whose fields then hold the defaults receivers use.
func Parse(txt string) (*Record, error) {
	r := &Record{
		Raw: txt, Policy: None, DKIMAlignment: Relaxed, SPFAlignment: Relaxed,
		FailureOptions: []string{"0"}, PSD: PSDUnknown, Percent: 100, ReportFormat: "afrf",
		ReportInterval: 86400, explicit: map[string]bool{}, written: map[string]bool{},
	}
	if txt != "" && (txt[0] == ' ' || txt[0] == '\t') {
		// RFC 9989 §4.8: dmarc-record starts with dmarc-version, no whitespace first.
		r.issue(CodeLeadingWhitespace, finding.Warning, "", "", 0,
			"the record starts with whitespace; receivers that match the prefix \"v=DMARC1\" literally ignore it", "RFC 9989 §4.8")
	}
	segs := splitSegments(txt)
	for i, seg := range segs {
		last := i == len(segs)-1
		if strings.Trim(seg.text, " \t") == "" {
			if i == 0 {
				return nil, &SyntaxError{Offset: seg.off, Msg: "the record is empty before the first \";\"; it must start with v=DMARC1"}
			}
			if !last {
				// RFC 9989 §4.8: dmarc-sep is *WSP ";" *WSP, so ";;" is not allowed.
				r.issue(CodeSyntax, finding.Warning, "", "", seg.off,
					fmt.Sprintf("empty tag between two semicolons at offset %d", seg.off), "RFC 9989 §4.8")
			}
			continue
		}
		if i := strings.IndexAny(seg.text, "\r\n"); i >= 0 {
			// RFC 9989 §4.8: dmarc-sep and equals allow only WSP, and dmarc-value is
			// printable, so a line break (which the DKIM tag-list would fold) is an error.
			if len(r.Tags) == 0 {
				return nil, &SyntaxError{Offset: seg.off + i, Msg: "a line break is not allowed in a DMARC record"}
			}
			r.issue(CodeSyntax, finding.Error, "", seg.text, seg.off+i,
				fmt.Sprintf("syntax error at offset %d: a line break is not allowed in a DMARC record; receivers ignore this part of the record", seg.off+i), "RFC 9989 §4.8")
			continue
		}
		tags, err := taglist.Parse(seg.text)
		if err != nil {
			var te *taglist.Error
			off := seg.off
			msg := err.Error()
			if errors.As(err, &te) {
				off += te.Offset
				msg = te.Msg
			}
			if i == 0 {
				return nil, &SyntaxError{Offset: off, Msg: msg}
			}
			r.issue(CodeSyntax, finding.Error, "", seg.text, off,
				fmt.Sprintf("syntax error at offset %d: %s; receivers ignore this part of the record", off, msg), "RFC 9989 §4.8")
			continue
		}
		t := tags[0] // a segment without ";" holds exactly one tag-spec
		tag := Tag{Name: strings.ToLower(t.Name), Value: t.Value, Offset: seg.off + t.Offset, valueOffset: seg.off + t.ValueOffset}
		if i == 0 {
			if tag.Name != "v" || tag.Value != Version {
				return nil, &SyntaxError{Offset: tag.Offset, Msg: fmt.Sprintf("the first tag must be v=%s (value case-sensitive), found %s=%s", Version, t.Name, t.Value)}
			}
			r.Tags = append(r.Tags, tag)
			r.explicit["v"] = true
			continue
		}
		r.Tags = append(r.Tags, tag)
		r.apply(tag, len(r.Tags)-1)
	}
	r.finish()
	return r, nil
}

type segment struct {
	text string
	off  int
}

// splitSegments cuts txt at every ";". Tag values cannot contain ";" (RFC 9989 §4.8
// dmarc-value), so each segment is one tag-spec, and a bad one does not hide the rest.
func splitSegments(txt string) []segment {
	var out []segment
	start := 0
	for i := 0; i < len(txt); i++ {
		if txt[i] == ';' {
			out = append(out, segment{txt[start:i], start})
			start = i + 1
		}
	}
	return append(out, segment{txt[start:], start})
}

func (r *Record) issue(code Code, sev Severity, tag, value string, off int, msg, ref string) {
	r.Issues = append(r.Issues, Issue{Code: code, Severity: sev, Tag: tag, Value: value, Offset: off, Message: sentence(msg), Ref: ref})
}

func (r *Record) invalid(t Tag, want string) {
	what := fmt.Sprintf("%s=%q is not valid (want %s)", t.Name, t.Value, want)
	if to, ok := suggestValue(t.Name, strings.ToLower(t.Value)); ok && keywords[t.Name] != nil {
		what = fmt.Sprintf("%s=%q is a typo: did you mean %s=%s?", t.Name, t.Value, t.Name, to)
	}
	if t.Name != "p" && t.Name != "sp" && t.Name != "np" {
		what = withConsequence(what, fmt.Sprintf("receivers use the default, %s=%s", t.Name, r.value(t.Name)))
	} // p, sp and np get their consequence in finish, once rua is known.
	r.issue(CodeInvalidValue, finding.Error, t.Name, t.Value, t.Offset, what, "RFC 9989 §4.8")
}

// withConsequence joins what is wrong and what receivers do about it.
func withConsequence(what, consequence string) string {
	if strings.HasSuffix(what, "?") {
		return what + " Until it is corrected, " + consequence
	}
	return what + "; " + consequence
}

// policyConsequence says what receivers do with a record whose p, sp or np is
// invalid. RFC 9989 §4.10.1 (and RFC 7489 §6.6.3 step 6 alike): with a valid rua URI
// the record acts as p=none, so reports still flow; without one, receivers apply no
// DMARC processing at all. A misspelt p is not a missing p: the tag is there.
func (r *Record) policyConsequence() {
	for i, is := range r.Issues {
		if is.Code != CodeInvalidValue || is.Tag != "p" && is.Tag != "sp" && is.Tag != "np" {
			continue
		}
		if len(r.AggregateURIs) > 0 {
			r.Issues[i].Message = withConsequence(is.Message, "receivers treat the whole record as p=none (rua holds a valid URI, so reports still arrive)")
		} else {
			r.Issues[i].Message = withConsequence(is.Message, "receivers apply no DMARC policy at all: without a valid rua URI the whole record is ignored")
		}
		r.Issues[i].Ref = "RFC 9989 §4.8, §4.10.1; RFC 7489 §6.6.3"
	}
}

// apply interprets one tag after v. index is its position in r.Tags.
func (r *Record) apply(t Tag, index int) {
	if !isKnownTag(t.Name) {
		// RFC 9989 §4.7: unknown tags MUST be ignored.
		msg := fmt.Sprintf("unknown tag %q is ignored by receivers", t.Name)
		if to, ok := suggestTag(t.Name); ok {
			msg = fmt.Sprintf("unknown tag %q is a typo: did you mean %s=%s? Receivers ignore %q", t.Name, to, t.Value, t.Name)
		}
		r.issue(CodeUnknownTag, finding.Warning, t.Name, t.Value, t.Offset, msg, "RFC 9989 §4.7")
		return
	}
	r.written[t.Name] = true
	for _, prev := range r.Tags[:index] {
		if prev.Name == t.Name {
			r.issue(CodeDuplicateTag, finding.Error, t.Name, t.Value, t.Offset,
				fmt.Sprintf("tag %q appears more than once; receivers disagree on which value counts, and some discard the record", t.Name), "RFC 9989 §4.8")
			return
		}
	}
	if legacyTags[t.Name] {
		r.issue(CodeLegacyTag, finding.Info, t.Name, t.Value, t.Offset,
			fmt.Sprintf("tag %q was removed by RFC 9989; only RFC 7489 receivers read it", t.Name), "RFC 9989 Appendix C.5.2")
	}
	v := strings.ToLower(t.Value) // RFC 9989 §4.8: ABNF literals are case-insensitive
	ok := true
	switch t.Name {
	case "v":
		r.invalid(t, "v only once, as the first tag")
		return
	case "p", "sp", "np":
		p := Policy(v)
		if ok = p == None || p == Quarantine || p == Reject; !ok {
			r.invalid(t, "none, quarantine or reject")
			break
		}
		switch t.Name {
		case "p":
			r.Policy = p
			if index != 1 {
				// RFC 7489 §6.4 ABNF: dmarc-record = dmarc-version dmarc-sep [dmarc-request] ...
				r.issue(CodePNotSecond, finding.Warning, t.Name, t.Value, t.Offset,
					"The p tag does not come right after v; RFC 7489 receivers with a strict parser reject the record", "RFC 7489 §6.4")
			}
		case "sp":
			r.SubdomainPolicy = p
		case "np":
			r.NonexistentPolicy = p
		}
	case "adkim", "aspf":
		m := AlignmentMode(v)
		if ok = m == Relaxed || m == Strict; !ok {
			r.invalid(t, "r or s")
			break
		}
		if t.Name == "adkim" {
			r.DKIMAlignment = m
		} else {
			r.SPFAlignment = m
		}
	case "psd":
		p := PSD(v)
		if ok = p == PSDYes || p == PSDNo || p == PSDUnknown; !ok {
			r.invalid(t, "y, n or u")
			break
		}
		r.PSD = p
	case "t":
		if ok = v == "y" || v == "n"; !ok {
			r.invalid(t, "y or n")
			break
		}
		r.Testing = v == "y"
	case "fo":
		opts, good := parseFO(v)
		if ok = good; !ok {
			r.invalid(t, "0 or 1 and/or d and s, separated by colons, each at most once")
			break
		}
		r.FailureOptions = opts
	case "rua", "ruf":
		uris, issues := parseURIList(t)
		r.Issues = append(r.Issues, issues...)
		if ok = len(uris) > 0; !ok {
			break
		}
		if t.Name == "rua" {
			r.AggregateURIs = uris
		} else {
			r.FailureURIs = uris
		}
		if len(uris) > 2 {
			r.issue(CodeTooManyURIs, finding.Warning, t.Name, t.Value, t.Offset,
				fmt.Sprintf("The %s tag lists %d URIs; receivers need only send to two and may drop the rest", t.Name, len(uris)), "RFC 7489 §6.2")
		}
	case "pct":
		n, err := strconv.Atoi(t.Value)
		if ok = err == nil && n >= 0 && n <= 100 && isDigits(t.Value); !ok {
			r.invalid(t, "an integer from 0 to 100")
			break
		}
		r.Percent = n
		if n < 100 {
			r.issue(CodePctPartial, finding.Warning, t.Name, t.Value, t.Offset,
				fmt.Sprintf("pct=%d: RFC 7489 receivers apply the policy to only %d%% of failing mail and a weaker one to the rest; RFC 9989 receivers ignore pct", n, n), "RFC 7489 §6.6.4")
		}
	case "rf":
		if ok = v != "" && allTokens(v, ':'); !ok {
			r.invalid(t, "a colon-separated list of report formats such as afrf")
			break
		}
		r.ReportFormat = v
	case "ri":
		n, err := strconv.ParseUint(t.Value, 10, 32)
		if ok = err == nil && isDigits(t.Value); !ok {
			r.invalid(t, "a number of seconds")
			break
		}
		r.ReportInterval = int(n)
	}
	if ok {
		r.explicit[t.Name] = true
	}
}

// finish fills the fallbacks once all tags are read.
func (r *Record) finish() {
	r.policyConsequence()
	if !r.written["p"] {
		// RFC 9989 §4.7: a missing p is treated as p=none. RFC 7489 §6.3 made p
		// REQUIRED, so older receivers ignore the record unless rua is valid.
		r.issue(CodeMissingP, finding.Warning, "p", "", len(r.Raw),
			"the record has no p tag: RFC 9989 receivers treat it as p=none, RFC 7489 receivers apply no policy unless rua holds a valid URI", "RFC 9989 §4.7, RFC 7489 §6.6.3")
	}
	if r.explicit["fo"] && len(r.FailureURIs) == 0 {
		// RFC 9989 §4.7: fo MUST be ignored without ruf.
		for _, t := range r.Tags {
			if t.Name == "fo" {
				r.issue(CodeFoWithoutRUF, finding.Info, "fo", t.Value, t.Offset,
					"The fo tag is set but there is no valid ruf, so receivers ignore it", "RFC 9989 §4.7")
				break
			}
		}
	}
	if !r.explicit["sp"] {
		r.SubdomainPolicy = r.Policy
	}
	if !r.explicit["np"] {
		r.NonexistentPolicy = r.SubdomainPolicy
	}
}

// parseFO checks RFC 9989 §4.8 dmarc-fo: 0 and 1 are exclusive, each option at most once.
func parseFO(v string) ([]string, bool) {
	parts := strings.Split(v, ":")
	seen := map[string]bool{}
	for i, p := range parts {
		p = strings.Trim(p, " \t")
		parts[i] = p
		if p != "0" && p != "1" && p != "d" && p != "s" || seen[p] {
			return nil, false
		}
		seen[p] = true
	}
	if seen["0"] && seen["1"] {
		return nil, false
	}
	return parts, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func allTokens(s string, sep byte) bool {
	for _, p := range strings.Split(s, string(sep)) {
		p = strings.Trim(p, " \t")
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				return false
			}
		}
	}
	return true
}

// Setting is one row of a record's tag table: the value in force and where it came from.
type Setting struct {
	Tag      string `json:"tag"`
	Value    string `json:"value"`
	Explicit bool   `json:"explicit"`
	Meaning  string `json:"meaning"`
}

// Settings lists every RFC 9989 tag with its value in force, explicit or default, and
// the RFC 7489 tags that were written.
func (r *Record) Settings() []Setting {
	var out []Setting
	for _, name := range tagOrder {
		if legacyTags[name] && !r.explicit[name] {
			continue
		}
		out = append(out, Setting{Tag: name, Value: r.value(name), Explicit: r.explicit[name], Meaning: meanings[name]})
	}
	return out
}

var meanings = map[string]string{
	"v":     "version",
	"p":     "policy for the domain",
	"sp":    "policy for existing subdomains",
	"np":    "policy for non-existent subdomains",
	"adkim": "DKIM alignment (r relaxed, s strict)",
	"aspf":  "SPF alignment (r relaxed, s strict)",
	"psd":   "public suffix domain (y, n, u unknown)",
	"t":     "testing: y applies a policy one step weaker",
	"rua":   "aggregate report destinations",
	"ruf":   "failure report destinations",
	"fo":    "failure report options",
	"pct":   "percentage of failing mail the policy applies to (RFC 7489 only)",
	"rf":    "failure report format (RFC 7489 only)",
	"ri":    "aggregate report interval in seconds (RFC 7489 only)",
}

// value returns the value in force for a known tag, in canonical form.
func (r *Record) value(name string) string {
	switch name {
	case "v":
		return Version
	case "p":
		return string(r.Policy)
	case "sp":
		return string(r.SubdomainPolicy)
	case "np":
		return string(r.NonexistentPolicy)
	case "adkim":
		return string(r.DKIMAlignment)
	case "aspf":
		return string(r.SPFAlignment)
	case "psd":
		return string(r.PSD)
	case "t":
		if r.Testing {
			return "y"
		}
		return "n"
	case "rua":
		return joinURIs(r.AggregateURIs)
	case "ruf":
		return joinURIs(r.FailureURIs)
	case "fo":
		return strings.Join(r.FailureOptions, ":")
	case "pct":
		return strconv.Itoa(r.Percent)
	case "rf":
		return r.ReportFormat
	case "ri":
		return strconv.Itoa(r.ReportInterval)
	}
	return ""
}

// String returns the record in canonical form: the tags written with a valid value,
// in the canonical order, values normalized. Parsing it gives the same Settings.
func (r *Record) String() string {
	parts := []string{"v=" + Version}
	for _, name := range tagOrder[1:] {
		if r.explicit[name] {
			parts = append(parts, name+"="+r.value(name))
		}
	}
	return strings.Join(parts, "; ")
}

// Suggested returns a corrected record to publish: String without the tags RFC 9989
// removed, with p written out (second, for RFC 7489 parsers).
func (r *Record) Suggested() string {
	parts := []string{"v=" + Version, "p=" + string(r.Policy)}
	for _, name := range tagOrder[2:] {
		if r.explicit[name] && !legacyTags[name] {
			parts = append(parts, name+"="+r.value(name))
		}
	}
	return strings.Join(parts, "; ")
}
