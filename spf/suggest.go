package spf

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Change is one correction Suggest made to a record.
type Change struct {
	// Was is the text as published; Now is what it should be ("" when it goes).
	Was string `json:"was"`
	Now string `json:"now"`
	// Why says what was wrong, in words.
	Why string `json:"why"`
}

// String reads as a typo report: `"include=x" for "include:x" (include takes ":")`.
func (c Change) String() string {
	if c.Now == "" {
		return fmt.Sprintf("%q removed (%s)", c.Was, c.Why)
	}
	return fmt.Sprintf("%q for %q (%s)", c.Was, c.Now, c.Why)
}

// versionRe matches a mistyped SPF version at the start of a record: "V=SPF1",
// "v=spf1.0", "v=spf", "v:spf1", "v = spf1", "spf1", each optionally followed by
// stray punctuation. "v=spf2.0/pra" (Sender ID) does not match.
var versionRe = regexp.MustCompile(`(?i)^(?:v\s*[=:]\s*spf\s*(?:1(?:\.0)?)?|spf1)[;,.]*(?:\s|$)`)

// typographic are the characters a word processor or a web page puts in place of the
// ASCII ones a record needs.
var typographic = strings.NewReplacer("\u2013", "-", "\u2014", "-", "\u2212", "-", "\u00a0", " ",
	"\u201c", "", "\u201d", "", "\u2018", "", "\u2019", "", "\u200b", "")

// Suggest corrects the typos people make when they write an SPF record by hand: a
// mistyped version (V=SPF1, v=spf1.0), a mechanism written with "=" (include=x, which
// receivers ignore as an unknown modifier) or a modifier with ":" (redirect:x), "ip:",
// "ipv4:" and ip4/ip6 swapped, an IP address where a domain belongs (a:192.0.2.1 is
// ip4:192.0.2.1), stray quotes, dots and semicolons (-all., ~all;), tabs and doubled
// spaces, a qualifier cut off its mechanism, typographic dashes and quotes, and +all
// (every server on the Internet may send) made -all.
//
// It returns the corrected record and what it changed. When changes is empty the
// record is returned as given: either nothing needed correcting, or the record is not
// one Suggest can correct (it never guesses at terms it does not recognise). When
// changes is not empty, the corrected record parses, and every term that needed no
// correction is kept as written, in order.
func Suggest(record string) (corrected string, changes []Change) {
	s := record
	note := func(was, now, why string) { changes = append(changes, Change{Was: was, Now: now, Why: why}) }
	if t := typographic.Replace(s); t != s {
		note(s, t, "typographic dashes, quotes or spaces copied from a document; SPF is plain ASCII")
		s = t
	}
	s = strings.TrimSpace(s)
	if t := strings.TrimSpace(strings.Trim(s, "\"'")); t != s {
		note(s, t, "stray quotes: the quotes of a zone file are not part of the record")
		s = t
	}
	if strings.ContainsAny(s, "\t\r\n") {
		note(s, strings.Join(strings.Fields(s), " "), "tabs or line breaks: SPF separates terms with spaces only")
		s = strings.Join(strings.Fields(s), " ")
	}
	m := versionRe.FindString(s)
	if m == "" {
		return record, nil
	}
	if v := strings.TrimSpace(m); v != "v=spf1" {
		note(v, "v=spf1", "the version is exactly v=spf1, or receivers do not see an SPF record")
	}
	rest := s[len(m):]
	if strings.Contains(rest, "  ") {
		note("  ", " ", "doubled spaces")
	}
	toks := strings.Fields(rest)
	terms := make([]string, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		// A qualifier or a name cut off from the rest by a space: "- all", "ip4: 192.0.2.1".
		if i+1 < len(toks) && (len(tok) == 1 && strings.Contains("+-~?", tok) || strings.HasSuffix(tok, ":") || strings.HasSuffix(tok, "=")) {
			if _, err := parseTerm(tok, 0); err != nil {
				joined := tok + toks[i+1]
				note(tok+" "+toks[i+1], joined, "a space inside a term")
				tok = joined
				i++
			}
		}
		fixed, why := correctTerm(tok)
		if fixed == "" {
			return record, nil // a term Suggest cannot read: no guess
		}
		if fixed != tok {
			note(tok, fixed, why)
		}
		terms = append(terms, fixed)
	}
	corrected = strings.Join(append([]string{"v=spf1"}, terms...), " ")
	if len(changes) == 0 {
		return record, nil
	}
	if _, err := Parse(corrected); err != nil {
		return record, nil
	}
	return corrected, changes
}

// mechanismNames are the mechanisms; a modifier of that name is a mistyped mechanism.
var mechanismNames = map[string]bool{"all": true, "include": true, "a": true, "mx": true, "ptr": true,
	"ip4": true, "ip6": true, "exists": true}

// correctTerm returns the term corrected and why, the term itself when it is fine, or
// "" when it is wrong in a way Suggest does not recognise.
func correctTerm(tok string) (string, string) {
	if ok, suspicious := termOK(tok); ok && !suspicious {
		if q, name := splitQualifier(tok); strings.EqualFold(name, "all") && (q == "" || q == "+") {
			// RFC 7208 §5.1: "+all" (or a bare "all") matches every client.
			return "-all", "+all lets every server on the Internet send as the domain; -all refuses the servers not listed before it, so check the list is complete"
		}
		return tok, ""
	}
	// Stray punctuation around the term: "-all.", "~all;", "-all\"", "'v=spf1".
	if t := strings.Trim(tok, "\"';,"); t != tok && t != "" {
		if fixed, why := correctTerm(t); fixed != "" {
			return fixed, joinWhy(fmt.Sprintf("stray %q around the term", strings.ReplaceAll(tok, t, "")), why)
		}
	}
	if t := strings.TrimSuffix(tok, "."); t != tok && t != "" {
		if fixed, why := correctTerm(t); fixed != "" {
			return fixed, joinWhy("a stray \".\" after the term", why)
		}
	}
	q, body := splitQualifier(tok)
	name, sep, value := splitName(body)
	lname := strings.ToLower(name)
	want := lname
	if !mechanismNames[lname] && lname != ModRedirect && lname != ModExp {
		want = closestName(lname)
	}
	switch {
	case want == "ip" || want == "ipv4" || want == "ipv6" || want == "ip4" || want == "ip6" ||
		want == "a" || want == "mx" || want == "include" || want == "exists":
		// An address where a domain or the other family belongs: a:192.0.2.1,
		// ip:192.0.2.1, ipv6:2001:db8::1, ip4:2001:db8::1.
		addr, cidr, _ := strings.Cut(value, "/")
		if ip, err := netip.ParseAddr(addr); err == nil && ip.Zone() == "" && value != "" {
			mech := "ip4"
			if !ip.Is4() {
				mech = "ip6"
			}
			fixed := q + mech + ":" + addr
			if cidr != "" {
				fixed += "/" + strings.TrimPrefix(cidr, "/")
			}
			if ok, _ := termOK(fixed); ok && fixed != tok {
				why := fmt.Sprintf("an IP address is written with %s:", mech)
				if want == "a" || want == "mx" || want == "include" || want == "exists" {
					why = fmt.Sprintf("%s takes a domain name; an IP address is written with %s: (RFC 7208 §5.6)", want, mech)
				}
				return fixed, why
			}
		}
	}
	if want == "" {
		return "", ""
	}
	switch {
	case mechanismNames[want] && want != "all" && (sep == "=" || want != lname):
		fixed := q + want + ":" + value
		if ok, _ := termOK(fixed); ok {
			if want != lname {
				return fixed, fmt.Sprintf("%q is not a mechanism; %s is", name, want)
			}
			return fixed, fmt.Sprintf("%s is a mechanism and takes \":\", not \"=\"; receivers ignore %s=... as an unknown modifier", want, want)
		}
	case want == ModRedirect || want == ModExp:
		if q != "" || value == "" {
			return "", ""
		}
		fixed := want + "=" + value
		if ok, _ := termOK(fixed); ok {
			if want != lname {
				return fixed, fmt.Sprintf("%q is not a modifier; %s is", name, want)
			}
			return fixed, fmt.Sprintf("%s is a modifier and takes \"=\", not \":\"", want)
		}
	}
	return "", ""
}

// termOK reports whether tok parses, and whether it is a modifier named like a
// mechanism (include=x parses, as an unknown modifier that receivers ignore).
func termOK(tok string) (ok, suspicious bool) {
	t, err := parseTerm(tok, 0)
	if err != nil {
		return false, false
	}
	return true, t.IsModifier() && (mechanismNames[t.Modifier] || closestName(t.Modifier) != "")
}

func splitQualifier(tok string) (q, rest string) {
	if tok != "" && strings.ContainsRune("+-~?", rune(tok[0])) {
		return tok[:1], tok[1:]
	}
	return "", tok
}

// splitName splits "name:value" or "name=value" at the first separator.
func splitName(body string) (name, sep, value string) {
	i := strings.IndexAny(body, ":=")
	if i < 0 {
		return body, "", ""
	}
	return body[:i], body[i : i+1], body[i+1:]
}

// closestName returns the mechanism or modifier a mistyped name stands for ("inlcude",
// "ipv4", "redirct"), or "". Short names must match a known misspelling: a one-letter
// slip in a three-letter name is as likely to be another word.
func closestName(name string) string {
	switch name {
	case "ip", "ipv4", "ipv6", "ip4", "ip6":
		return name
	}
	if len(name) < 5 {
		return ""
	}
	for _, want := range []string{"include", "exists", "redirect"} {
		if editDistance(name, want) <= 1+len(want)/8 {
			return want
		}
	}
	return ""
}

// editDistance is the optimal-string-alignment distance: insertions, deletions,
// substitutions and swaps of adjacent letters each cost one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

func joinWhy(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}
