package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailcheck/mailcheck"
)

// printer writes text output: colour only when asked, and every string from the outside
// world (DNS data, message headers) sanitised so it cannot drive the terminal.
type printer struct {
	w     io.Writer
	color bool
	// width is where prose wraps (0: 80 columns).
	width int
	// brief asks detail printers for the key facts only (the domain report).
	brief bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiDim    = "\x1b[2m"
)

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + ansiReset
}

// line prints one line; format verbs' arguments must already be clean (use clean()).
func (p *printer) line(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// clean makes untrusted text safe to print: control characters (C0, DEL, C1), invalid
// UTF-8, and bidirectional or zero-width formatting characters are shown escaped, so a
// TXT record cannot move the cursor, recolour the screen or reorder what is shown.
func clean(s string) string {
	safe := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) // Cf: bidi, zero-width, BOM
}

// statusMark is the status as a short coloured label.
func (p *printer) statusMark(s mailcheck.Status) string {
	switch s {
	case mailcheck.StatusPass:
		return p.paint(ansiGreen, "PASS")
	case mailcheck.StatusWarn:
		return p.paint(ansiYellow, "WARN")
	case mailcheck.StatusFail:
		return p.paint(ansiRed, "FAIL")
	case mailcheck.StatusError:
		return p.paint(ansiRed, "ERROR")
	}
	return p.paint(ansiDim, strings.ToUpper(string(s)))
}

func (p *printer) severityMark(f mailcheck.Finding) string {
	switch {
	case f.Incomplete:
		return p.paint(ansiRed, "dns-error")
	case f.Severity == mailcheck.Error:
		return p.paint(ansiRed, "error  ")
	case f.Severity == mailcheck.Warning:
		return p.paint(ansiYellow, "warning")
	}
	return p.paint(ansiBlue, "info   ")
}

// checkHeader prints "MX  example.com  PASS" and the summary.
func (p *printer) checkHeader(c *mailcheck.Check) {
	name := clean(c.Domain)
	if c.DomainUnicode != "" {
		name += " (" + clean(c.DomainUnicode) + ")"
	}
	p.line("%s  %s  %s", p.paint(ansiBold, strings.ToUpper(c.ID)), name, p.statusMark(c.Status))
	p.line("  %s", clean(c.Summary))
}

// findings prints each finding with its fix, errors first.
func (p *printer) findings(fs []mailcheck.Finding) {
	if len(fs) == 0 {
		return
	}
	p.line("")
	for _, rank := range []int{3, 2, 1, 0} {
		for _, f := range fs {
			if f.Severity.Rank() != rank {
				continue
			}
			p.line("  %s %s", p.severityMark(f), p.paint(ansiDim, clean(string(f.Code))))
			p.wrapped("          ", clean(f.Message))
			if f.Fix != "" {
				p.wrapped("          ", "fix: "+clean(f.Fix))
			}
			p.fixRecords("          ", f.FixRecords)
			if f.Ref != "" {
				p.line("          ref: %s", clean(f.Ref))
			}
		}
	}
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// exitFor maps a check's status to the process exit code.
func exitFor(statuses ...mailcheck.Status) error {
	code := exitOK
	for _, s := range statuses {
		switch s {
		case mailcheck.StatusFail:
			return &exitError{code: exitFail}
		case mailcheck.StatusError:
			code = exitIncomplete
		}
	}
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// defaultWidth is where prose wraps when the terminal's width is unknown.
const defaultWidth = 80

// wrapped prints prose wrapped at the printer's width, every line starting with
// indent. A quoted span ("v=spf1 mx -all") and a word longer than a line are kept
// whole: a record broken over two lines would be pasted broken.
func (p *printer) wrapped(indent, text string) {
	width := p.width
	if width <= 0 {
		width = defaultWidth
	}
	line := indent
	for _, word := range proseUnits(text) {
		if len(line) > len(indent) && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width {
			p.line("%s", line)
			line = indent + "  "
		}
		if len(line) > len(indent) && !strings.HasSuffix(line, "  ") || len(line) > len(indent)+2 {
			line += " "
		}
		line += word
	}
	if strings.TrimSpace(line) != "" {
		p.line("%s", line)
	}
}

// proseUnits splits text at spaces, except inside double quotes.
func proseUnits(text string) []string {
	var out []string
	var cur strings.Builder
	quoted := false
	for _, r := range text {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case unicode.IsSpace(r) && !quoted:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// fixRecords prints each DNS change of a fix whole on its own line, in master-file
// form, so it can be pasted as it is.
func (p *printer) fixRecords(indent string, changes []mailcheck.FixRecord) {
	for _, c := range changes {
		switch c.Action {
		case "replace":
			p.line("%sreplace: %s", indent, clean(rrText(c.Name, c.Type, c.Replaces)))
			p.line("%s   with: %s", indent, clean(rrText(c.Name, c.Type, c.Value)))
		case "delete":
			p.line("%s delete: %s", indent, clean(rrText(c.Name, c.Type, c.Replaces)))
		default:
			p.line("%spublish: %s", indent, clean(rrText(c.Name, c.Type, c.Value)))
		}
	}
}

// rrText writes a record as a master-file line (RFC 1035 §5.1): TXT data quoted, in
// strings of at most 255 octets.
func rrText(name, typ, value string) string {
	owner := strings.TrimSuffix(name, ".") + "."
	if !strings.EqualFold(typ, "TXT") {
		return owner + " " + typ + " " + value
	}
	var parts []string
	for {
		n := min(len(value), 255)
		s := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value[:n])
		parts = append(parts, `"`+s+`"`)
		value = value[n:]
		if value == "" {
			break
		}
	}
	return owner + " TXT " + strings.Join(parts, " ")
}
