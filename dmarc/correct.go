package dmarc

import (
	"regexp"
	"strconv"
	"strings"
)

// ChangeKind says what sort of edit a Change is.
type ChangeKind string

// The change kinds.
const (
	// Typo: a misspelt tag name or value, replaced by the one it most resembles
	// ("did you mean p=reject?").
	Typo ChangeKind = "typo"
	// Syntax: text outside the RFC 9989 §4.8 grammar, repaired without changing what
	// the owner wrote (a missing ";", a line break, an empty tag between ";;").
	Syntax ChangeKind = "syntax"
	// Order: tags moved (v first, p second).
	Order ChangeKind = "order"
	// Added: a tag written out with the value receivers already use for it.
	Added ChangeKind = "added"
	// Removed: a tag or URI that receivers ignore, so removing it changes nothing.
	Removed ChangeKind = "removed"
	// Style: valid as written, rewritten in the form every receiver reads the same way
	// (lower case, no spaces around "=" or ",").
	Style ChangeKind = "style"
)

// Change is one edit Corrected made to a record.
type Change struct {
	Kind ChangeKind `json:"kind"`
	// Tag is the tag concerned ("" for the record as a whole).
	Tag string `json:"tag,omitempty"`
	// From is the text as written; To is what replaced it ("" when removed).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Why says in one sentence why the change keeps the owner's intent.
	Why string `json:"why"`
}

// Correction is a record as its owner meant it: every problem that can be fixed
// without guessing the owner's intent is fixed, and nothing else is changed.
type Correction struct {
	// Record is the corrected text; the input itself when nothing needed changing.
	Record string `json:"record"`
	// Changes are the edits, in record order.
	Changes []Change `json:"changes,omitempty"`
	// Open lists the tags whose values are wrong with no close match ("p=block"): the
	// owner must choose; Record keeps them as written.
	Open []string `json:"open,omitempty"`
}

// Changed reports whether the record needed any edit.
func (c Correction) Changed() bool { return len(c.Changes) > 0 }

// Typos returns the changes of kind Typo.
func (c Correction) Typos() []Change {
	var out []Change
	for _, ch := range c.Changes {
		if ch.Kind == Typo {
			out = append(out, ch)
		}
	}
	return out
}

// part is one tag of a record being corrected.
type part struct {
	name, value string
	written     string // the tag-spec as written, trimmed
}

// missingSep finds a known tag name that starts after whitespace or a comma inside a
// value: "v=DMARC1 p=reject" lacks a ";" before p.
var missingSep = regexp.MustCompile(`[ \t,]+(?i:v|p|sp|np|adkim|aspf|psd|t|rua|ruf|fo|pct|rf|ri)[ \t]*=`)

// Corrected returns txt as its owner meant it, for a text that is DMARC-like (it has a
// v tag whose value reads "DMARC1" in any case or spacing, wherever it stands); ok is
// false for any other text. The result starts with v=DMARC1 and p (RFC 7489 §6.4
// wants p second), keeps every other tag in the owner's order, and corrects typos
// in tag names and values to the nearest valid one. It parses without error; values
// with no close match are left for the owner (Open).
func Corrected(txt string) (c Correction, ok bool) {
	s := txt
	if t := strings.TrimLeft(s, " \t\r\n"); t != s {
		c.add(Syntax, "", "", "", "the record started with whitespace; receivers that match the prefix \"v=DMARC1\" literally ignore such a record (RFC 9989 §4.8)")
		s = t
	}
	if strings.ContainsAny(s, "\r\n") {
		// RFC 9989 §4.8: only WSP may separate tags; a line break is an error.
		s = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
		c.add(Syntax, "", "", "", "the record held a line break, which the grammar does not allow (RFC 9989 §4.8); it is now a space")
	}

	// Controls and non-ASCII bytes first, so that what they hid (",\x80t=") is seen.
	if clean := printableRecord(s); clean != s {
		c.add(Syntax, "", "", "", "control or non-ASCII characters are not allowed in a record (RFC 9989 §4.8); they are removed")
		s = clean
	}

	// Cut at ";" and, inside a segment, before a known tag that lacks its ";".
	var segs []string
	raw := strings.Split(s, ";")
	for i, seg := range raw {
		trimmed := strings.Trim(seg, " \t")
		if trimmed == "" {
			switch {
			case i == 0 && len(raw) > 1:
				c.add(Syntax, "", ";", "", "a record starts with v=DMARC1, not with a semicolon (RFC 9989 §4.8)")
			case i > 0 && i < len(raw)-1:
				c.add(Syntax, "", ";;", ";", "an empty tag between two semicolons is not allowed (RFC 9989 §4.8)")
			}
			continue
		}
		for {
			eq := strings.IndexByte(trimmed, '=')
			loc := missingSep.FindStringIndex(trimmed)
			if eq < 0 || loc == nil || loc[0] < eq {
				break
			}
			next := strings.TrimLeft(trimmed[loc[0]:], " \t,")
			tag := strings.ToLower(strings.TrimRight(strings.SplitN(next, "=", 2)[0], " \t"))
			c.add(Syntax, tag, "", "", "a \";\" was missing before "+tag+"=: tags are separated by semicolons (RFC 9989 §4.8)")
			segs = append(segs, strings.Trim(trimmed[:loc[0]], " \t"))
			trimmed = next
		}
		segs = append(segs, trimmed)
	}

	// Read each segment as name=value.
	var parts []part
	for _, seg := range segs {
		name, value, found := strings.Cut(seg, "=")
		name, value = strings.Trim(name, " \t"), strings.Trim(value, " \t")
		if !found {
			if n, v, ok := cutLoose(seg); ok {
				// "p:reject" or "p reject": a known tag with the wrong separator.
				c.add(Syntax, n, seg, n+"="+v, "a tag is written name=value (RFC 9989 §4.8)")
				name, value = n, v
			} else if len(parts) > 0 && (parts[len(parts)-1].name == "rua" || parts[len(parts)-1].name == "ruf") && looksLikeURI(seg) {
				// "rua=mailto:a@x; mailto:b@x": a URI list cut by a ";".
				prev := &parts[len(parts)-1]
				c.add(Syntax, prev.name, "; "+seg, ","+seg, "the URIs of "+prev.name+" are separated by commas, not semicolons (RFC 9989 §4.8)")
				prev.value += "," + seg
				prev.written += "," + seg
				continue
			} else {
				c.add(Removed, "", seg, "", "it is not a tag=value pair, so receivers ignore it (RFC 9989 §4.8)")
				continue
			}
		}
		parts = append(parts, part{name: name, value: value, written: seg})
	}

	// Find the version tag: a v whose value reads DMARC1 however it is written.
	vi := -1
	for i, p := range parts {
		if v := strings.ToLower(strings.Join(strings.Fields(p.value), "")); strings.EqualFold(p.name, "v") && (strings.HasPrefix(v, "dmarc") || editDistance(v, "dmarc1") <= 2 && len(v) >= 5) {
			vi = i
			break
		}
	}
	if vi < 0 {
		return Correction{}, false
	}
	switch v := parts[vi]; {
	case v.value != Version:
		// RFC 9989 §4.7: the version value is case-sensitive and exactly DMARC1.
		c.add(Typo, "v", v.written, "v="+Version, "did you mean v=DMARC1? The version must read exactly DMARC1, in upper case, or receivers do not see a DMARC record (RFC 9989 §4.7)")
	case v.written != "v="+Version:
		c.add(Style, "v", v.written, "v="+Version, "written exactly v=DMARC1, the prefix every receiver looks for (RFC 9989 §4.8)")
	}
	if vi != 0 {
		c.add(Order, "v", "", "", "v=DMARC1 must be the first tag, or receivers do not see a DMARC record at all (RFC 9989 §4.8)")
	}

	// Correct names and values, drop what receivers ignore, keep the first of a tag.
	var out []part
	seen := map[string]string{}
	for i, p := range parts {
		if i == vi {
			continue
		}
		before := len(c.Changes)
		name := strings.ToLower(p.name)
		if !isKnownTag(name) {
			// RFC 9989 §4.8: a tag name is ALPHA *(ALPHA / DIGIT / "_"); "p t" is no
			// misspelt pct but two tags run together, which only the owner can part.
			if to, ok := suggestTag(name); ok && isTagName(name) {
				c.add(Typo, to, p.written, to+"="+p.value, "did you mean "+to+"? "+strconv.Quote(p.name)+" is not a DMARC tag, so receivers ignore it (RFC 9989 §4.7)")
				name = to
			} else {
				c.add(Removed, name, p.written, "", "unknown tags are ignored by receivers (RFC 9989 §4.7), so removing it changes nothing")
				continue
			}
		}
		if name == "v" {
			c.add(Removed, "v", p.written, "", "v may appear only once, as the first tag (RFC 9989 §4.8)")
			continue
		}
		value, open := c.correctValue(name, p.value)
		if prev, dup := seen[name]; dup {
			c.add(Removed, name, name+"="+value, "", "the tag appears twice and receivers disagree on which counts; the first, "+name+"="+prev+", is kept (RFC 9989 §4.8)")
			continue
		}
		if value == "" && (name == "rua" || name == "ruf") {
			continue // every URI was unusable, and each is reported as removed
		}
		if open {
			c.Open = append(c.Open, name)
		}
		seen[name] = value
		canon := name + "=" + value
		if len(c.Changes) == before && p.written != canon {
			why := "tag names and keyword values are case-insensitive (RFC 9989 §4.8); lower case is how every receiver reads them"
			if strings.ContainsAny(p.written, " \t") {
				why = "spaces around \"=\" and \",\" are allowed, but some receivers' parsers do not accept them"
			}
			c.add(Style, name, p.written, canon, why)
		}
		out = append(out, part{name: name, value: value})
	}

	// p second; a record without p gets the p=none receivers already apply.
	pi := -1
	for i, p := range out {
		if p.name == "p" {
			pi = i
		}
	}
	switch {
	case pi < 0:
		c.add(Added, "p", "", "p=none", "RFC 9989 receivers treat a record without p as p=none; RFC 7489 receivers require p (RFC 9989 §4.7, RFC 7489 §6.3)")
		out = append([]part{{name: "p", value: string(None)}}, out...)
	case pi > 0:
		c.add(Order, "p", "", "", "p moved right after v: the RFC 7489 grammar requires it there (RFC 7489 §6.4)")
		p := out[pi]
		out = append([]part{p}, append(out[:pi:pi], out[pi+1:]...)...)
	}
	if !c.Changed() {
		c.Record = txt
		return c, true
	}
	b := []string{"v=" + Version}
	for _, p := range out {
		b = append(b, p.name+"="+p.value)
	}
	c.Record = strings.Join(b, "; ")
	return c, true
}

func (c *Correction) add(kind ChangeKind, tag, from, to, why string) {
	c.Changes = append(c.Changes, Change{Kind: kind, Tag: tag, From: from, To: to, Why: why})
}

// correctValue returns the corrected value of a known tag, and open when it is wrong
// with no close match.
func (c *Correction) correctValue(name, value string) (string, bool) {
	lower := strings.ToLower(value)
	switch name {
	case "rua", "ruf":
		return c.correctURIs(name, value), false
	case "fo":
		if _, ok := parseFO(lower); ok {
			return strings.Join(strings.Fields(strings.ReplaceAll(lower, ":", " ")), ":"), false
		}
		if fixed := strings.ReplaceAll(strings.ReplaceAll(lower, ",", ":"), " ", ""); fixed != lower {
			if _, ok := parseFO(fixed); ok {
				c.add(Typo, name, name+"="+value, name+"="+fixed, "did you mean fo="+fixed+"? fo options are separated by colons (RFC 9989 §4.8)")
				return fixed, false
			}
		}
		return value, true
	case "pct", "ri":
		if isDigits(lower) {
			if n, err := strconv.ParseUint(lower, 10, 32); err == nil && (name == "ri" || n <= 100) {
				return lower, false
			}
			return value, true
		}
		digits := strings.TrimSpace(strings.TrimRight(lower, "% \ts"))
		if n, err := strconv.ParseUint(digits, 10, 32); err == nil && isDigits(digits) && (name == "ri" || n <= 100) {
			why := "did you mean pct=" + digits + "? pct is a bare number from 0 to 100 (RFC 7489 §6.3)"
			if name == "ri" {
				why = "did you mean ri=" + digits + "? ri is a bare number of seconds (RFC 7489 §6.3)"
			}
			c.add(Typo, name, name+"="+value, name+"="+digits, why)
			return digits, false
		}
		return value, true
	case "rf":
		if lower != "" && allTokens(lower, ':') {
			return strings.Join(strings.Fields(strings.ReplaceAll(lower, ":", " ")), ":"), false
		}
		return value, true
	}
	// p, sp, np, adkim, aspf, psd, t: a keyword.
	if validKeyword(name, lower) {
		return lower, false
	}
	if to, ok := suggestValue(name, lower); ok {
		c.add(Typo, name, name+"="+value, name+"="+to, "did you mean "+name+"="+to+"? "+strconv.Quote(value)+" is not a valid value of "+name+" (RFC 9989 §4.7)")
		return to, false
	}
	return value, true
}

// mailtoSpace is "mailto:" followed by spaces or "//", which no mailto: URI has.
var mailtoSpace = regexp.MustCompile(`(?i)mailto:([ \t]+|//)`)

// correctURIs repairs a rua or ruf list: "x@y" gains its mailto:, URIs separated by
// spaces get commas, and a URI that cannot be repaired is removed (receivers skip it
// already).
func (c *Correction) correctURIs(name, value string) string {
	v := mailtoSpace.ReplaceAllString(value, "mailto:")
	if v != value {
		c.add(Syntax, name, value, v, "nothing may stand between mailto: and the address (RFC 6068)")
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.Trim(item, " \t")
		if item == "" {
			c.add(Syntax, name, ",,", ",", "an empty URI between commas is not allowed (RFC 9989 §4.8)")
			continue
		}
		fields := strings.Fields(item)
		if len(fields) > 1 {
			c.add(Syntax, name, item, strings.Join(fields, ","), "the URIs of "+name+" are separated by commas (RFC 9989 §4.8)")
		}
		for _, raw := range fields {
			if _, err := parseURI(raw); err == nil {
				out = append(out, raw)
			} else if fixed, ok := repairURI(raw); ok {
				c.add(Typo, name, raw, fixed, "did you mean "+fixed+"? A report address is a URI and needs its mailto: scheme (RFC 9989 §4.7)")
				out = append(out, fixed)
			} else {
				c.add(Removed, name, raw, "", "it is not a valid URI, so receivers skip it (RFC 9989 §4.8); write the mailbox as mailto:local-part@domain")
			}
		}
	}
	return strings.Join(out, ",")
}

// repairURI turns a bare mailbox into a mailto: URI.
func repairURI(raw string) (string, bool) {
	if strings.Contains(raw, ":") || !strings.Contains(raw, "@") {
		return "", false
	}
	fixed := "mailto:" + raw
	if _, err := parseURI(fixed); err != nil {
		return "", false
	}
	return fixed, true
}

func looksLikeURI(s string) bool {
	s = strings.TrimSpace(s)
	_, err := parseURI(s)
	_, ok := repairURI(s)
	return (err == nil || ok) && !strings.Contains(s, "=")
}

// cutLoose reads "p:reject" or "p reject" as a known tag and its value.
func cutLoose(seg string) (string, string, bool) {
	i := strings.IndexAny(seg, ": \t")
	if i <= 0 {
		return "", "", false
	}
	name := strings.ToLower(seg[:i])
	value := strings.Trim(seg[i+1:], ": \t")
	if !isKnownTag(name) || name == "rua" || name == "ruf" || value == "" {
		// "rua mailto:x" is too ambiguous to read; a URI holds ":" itself.
		return "", "", false
	}
	return name, value, true
}

// printableRecord drops every byte the record grammar does not allow anywhere.
func printableRecord(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' || c >= 0x21 && c <= 0x7e {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// keywords are the valid values of the keyword tags (RFC 9989 §4.7).
var keywords = map[string][]string{
	"p": {"none", "quarantine", "reject"}, "sp": {"none", "quarantine", "reject"}, "np": {"none", "quarantine", "reject"},
	"adkim": {"r", "s"}, "aspf": {"r", "s"}, "psd": {"y", "n", "u"}, "t": {"y", "n"},
}

// synonyms are words owners write for a keyword's one-letter value.
var synonyms = map[string]map[string]string{
	"adkim": {"relaxed": "r", "strict": "s"},
	"aspf":  {"relaxed": "r", "strict": "s"},
	"psd":   {"yes": "y", "no": "n", "true": "y", "false": "n", "unknown": "u"},
	"t":     {"yes": "y", "no": "n", "true": "y", "false": "n", "1": "y", "0": "n"},
}

func validKeyword(tag, v string) bool {
	for _, k := range keywords[tag] {
		if k == v {
			return true
		}
	}
	return false
}

// suggestValue finds the value a misspelt keyword was meant to be: a synonym, a
// keyword the text starts with ("rejected"), one it abbreviates ("quar"), or the one
// keyword within a small edit distance ("rejct", "qurantine").
func suggestValue(tag, v string) (string, bool) {
	v = strings.Trim(v, " \t.,\"'")
	if to, ok := synonyms[tag][v]; ok {
		return to, true
	}
	if t, ok := nearest(v, keywords[tag], true); ok {
		return t, true
	}
	if m := synonyms[tag]; m != nil {
		words := make([]string, 0, len(m))
		for w := range m {
			if len(w) > 1 {
				words = append(words, w)
			}
		}
		if w, ok := nearest(v, words, true); ok {
			return m[w], true
		}
	}
	return "", false
}

func isTagName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '_')) {
			return false
		}
	}
	return s != ""
}

// suggestTag finds the known tag an unknown name was meant to be: within one edit of
// a known name of three letters or more ("adkm", "ruaa"), never a guess between two.
func suggestTag(name string) (string, bool) {
	if len(name) < 3 {
		return "", false
	}
	var long []string
	for _, t := range tagOrder {
		if len(t) >= 3 {
			long = append(long, t)
		}
	}
	return nearest(name, long, false)
}

// nearest returns the one candidate v is closest to: a prefix either way (when
// prefixes count) or an edit distance of at most 1 (2 for words of six letters or
// more). Two equally near candidates are no answer.
func nearest(v string, candidates []string, prefixes bool) (string, bool) {
	best, bestD, tie := "", 1<<30, false
	for _, k := range candidates {
		d := editDistance(v, k)
		if prefixes && len(k) > 1 && (strings.HasPrefix(v, k) || len(v) >= 3 && strings.HasPrefix(k, v)) {
			d = 0
		}
		limit := 1
		if len(k) >= 6 {
			limit = 2
		}
		if d > limit || len(k) < 3 && d > 0 {
			continue
		}
		switch {
		case d < bestD:
			best, bestD, tie = k, d, false
		case d == bestD:
			tie = true
		}
	}
	return best, best != "" && !tie
}

// editDistance is the optimal string alignment distance: insertions, deletions,
// substitutions and transpositions of adjacent letters each cost one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // nothing that long is a typo of a short keyword
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
