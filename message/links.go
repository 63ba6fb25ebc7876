package message

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
	"golang.org/x/net/html"
	"golang.org/x/net/publicsuffix"
)

// Bounds on the text read for the link rules: links live in the first pages of a
// body, and a message's own text is rarely over a few hundred KB, while its
// attachments can be megabytes of text. Past a bound the rest is not read, and
// Links.Truncated says so.
const (
	// MaxLinkPartBytes is the most decoded bytes read from one text part.
	MaxLinkPartBytes = 1 << 20
	// MaxLinkTotalBytes is the most decoded bytes read from all text parts together.
	MaxLinkTotalBytes = 4 << 20
	// maxLinkExamples is how many offending links one finding lists.
	maxLinkExamples = 10
	// maxAnchorText bounds the visible text kept for one HTML link.
	maxAnchorText = 1024
	// MaxLinkDomains is how many distinct registrable domains Links.Domains keeps.
	MaxLinkDomains = 20
	// maxLinkHosts bounds the distinct link hosts remembered while collecting them,
	// so a message of millions of distinct hosts costs bounded memory.
	maxLinkHosts = 1000
)

// Links is what the link rules saw in a message's own text parts (not in attached
// messages or attachments).
type Links struct {
	// TextParts and HTMLParts count the text/plain and text/html parts read.
	TextParts int `json:"text_parts"`
	HTMLParts int `json:"html_parts"`
	// Links counts the http(s) links and link-like strings examined.
	Links int `json:"links"`
	// Bytes is how many decoded bytes were read.
	Bytes int64 `json:"bytes"`
	// Domains are the registrable domains (Public Suffix List) the http(s) links go
	// to, in the order first seen, at most MaxLinkDomains: what URL blocklists
	// (Spamhaus DBL, SURBL) are asked about.
	Domains []string `json:"domains,omitempty"`
	// Truncated reports that a part or the message was over the read bounds
	// (MaxLinkPartBytes, MaxLinkTotalBytes): links past them were not looked at.
	Truncated bool `json:"truncated,omitempty"`
	// Findings are message.malformed-link, message.link-text-mismatch,
	// message.ip-link and message.html-only, each at most once.
	Findings []finding.Finding `json:"findings"`
}

// linkIssue is one offending link, kept for a finding.
type linkIssue struct{ part, link, detail string }

// linkScan accumulates the issues of one message.
type linkScan struct {
	res    *Links
	issues map[finding.Code][]linkIssue
	counts map[finding.Code]int
	seen   map[string]bool // code + link, so a link repeated in text and HTML counts once
	hosts  map[string]bool // link hosts already turned into a domain (bounded)
}

func (s *linkScan) report(code finding.Code, part, link, detail string) {
	key := string(code) + "\x00" + link
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	s.counts[code]++
	if len(s.issues[code]) < maxLinkExamples {
		s.issues[code] = append(s.issues[code], linkIssue{part, link, detail})
	}
}

// CheckLinks reads a message and judges the links of its own text/plain and text/html
// parts (transfer encodings and charsets undone) the way receivers' URL filters do:
// malformed links, links whose text names another domain, links to IP addresses,
// and an HTML body without a text alternative. Time is linear in the message size;
// the text read is bounded (MaxLinkPartBytes, MaxLinkTotalBytes). The error is set only
// when the message cannot be read or ctx stops the walk.
func CheckLinks(ctx context.Context, r io.Reader) (*Links, error) {
	res := &Links{}
	s := &linkScan{res: res, issues: map[finding.Code][]linkIssue{}, counts: map[finding.Code]int{}, seen: map[string]bool{}}
	err := attachments.WalkText(ctx, r, func(p attachments.TextPart) {
		if p.Attached { // forwarded content is not the sender's to fix
			return
		}
		var isHTML bool
		switch p.ContentType {
		case "text/plain":
			res.TextParts++
		case "text/html":
			res.HTMLParts++
			isHTML = true
		default:
			return
		}
		budget := min(MaxLinkPartBytes, MaxLinkTotalBytes-res.Bytes)
		if budget <= 0 {
			res.Truncated = true
			return
		}
		lr := &io.LimitedReader{R: p.Body, N: budget + 1}
		if isHTML {
			s.html(p.Part, lr)
		} else {
			s.plain(p.Part, lr)
		}
		read := budget + 1 - lr.N
		if read > budget {
			res.Truncated = true
			read = budget
		}
		res.Bytes += read
	})
	if err != nil {
		return nil, err
	}
	s.findings()
	return res, nil
}

// linkCandidate finds the strings that may be meant as links: a scheme-like word
// followed by a colon, slashes, or both. RE2 matches in linear time.
var linkCandidate = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]{1,15}(:/{0,3}|//)[^\s<>"'\x60]*`)

// text examines the link-like strings of plain text. A candidate never spans the
// regexp's \s (ASCII space, \t, \n, \f, \r) and always holds a ':' or a '/', so only
// the words that hold one are matched, each on its own: the same matches as on the
// whole text (a word starts after \s or at the start, a non-word context for \b, as
// at the start of the text), at a fraction of the cost on prose. t may be a view of a
// reused buffer (plain), so what is kept is a copy.
func (s *linkScan) text(part, t string) {
	for m := range linkCandidates(t) {
		s.link(part, strings.Clone(trimLinkEnd(m)), "")
	}
}

// plainBufs recycles plain's read buffers.
var plainBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// plain examines the links of a text/plain part read from r, a piece at a time, with
// no copy of the whole text: each piece but the last ends with a \s character, which
// no candidate spans, so the pieces hold the whole text's candidates (see text).
func (s *linkScan) plain(part string, r io.Reader) {
	bp := plainBufs.Get().(*[]byte)
	defer plainBufs.Put(bp)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) { // a word longer than the buffer
			buf = slices.Grow(buf, cap(buf))
			*bp = buf
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		end := len(buf)
		if err == nil {
			end = bytes.LastIndexAny(buf, regexpSpace) + 1
		}
		if end > 0 {
			// A view, not a copy: text keeps only copies of what it finds.
			s.text(part, unsafe.String(&buf[0], end))
			buf = buf[:copy(buf, buf[end:])]
		}
		if err != nil {
			return
		}
	}
}

// linkCandidates yields linkCandidate.FindAllString(t, -1), word by word.
func linkCandidates(t string) iter.Seq[string] {
	return func(yield func(string) bool) {
		// The next ':' and the next '/' at or after the start of t, found with
		// IndexByte (SIMD) and kept until passed (-1: none left).
		colon, slash := strings.IndexByte(t, ':'), strings.IndexByte(t, '/')
		for {
			i := colon
			if i < 0 || (slash >= 0 && slash < i) {
				i = slash
			}
			if i < 0 {
				return
			}
			start := strings.LastIndexAny(t[:i], regexpSpace) + 1
			end := strings.IndexAny(t[i:], regexpSpace)
			if end < 0 {
				end = len(t)
			} else {
				end += i
			}
			for _, m := range linkCandidate.FindAllString(t[start:end], -1) {
				if !yield(m) {
					return
				}
			}
			t = t[end:]
			colon, slash = nextAfter(t, colon, end, ':'), nextAfter(t, slash, end, '/')
		}
	}
}

// nextAfter moves the index at of c in the text before cutting cut bytes from its
// start (t is what is left) into t, searching again only when at was cut.
func nextAfter(t string, at, cut int, c byte) int {
	switch {
	case at < 0:
		return -1
	case at >= cut:
		return at - cut
	}
	return strings.IndexByte(t, c)
}

// regexpSpace is what \s matches in Go's regexp syntax.
const regexpSpace = " \t\n\f\r"

// trimLinkEnd drops the punctuation that ends a sentence around a link.
func trimLinkEnd(l string) string {
	return strings.TrimRight(l, ".,;:!?)]}'\"»")
}

// link judges one link; text is the visible text of an HTML link ("" otherwise).
func (s *linkScan) link(part, l, text string) {
	k, host := classifyLink(l)
	switch k {
	case linkNone:
		return
	case linkMalformed:
		s.res.Links++
		s.report(CodeMalformedLink, part, l, host)
		return
	}
	s.res.Links++
	if linkHostIsIP(host) {
		s.report(CodeIPLink, part, l, host)
		return
	}
	s.collectDomain(host)
	if text == "" {
		return
	}
	shown := shownDomain(text)
	if shown == "" {
		return
	}
	target, err := dnscheck.NormalizeDomain(host)
	if err != nil {
		return
	}
	if a, b := dmarc.OrganizationalDomain(shown), dmarc.OrganizationalDomain(target.ASCII); a != b {
		s.report(CodeLinkTextMismatch, part, l, fmt.Sprintf("the text shows %s, the link goes to %s", a, b))
	}
}

// collectDomain adds the registrable domain of a link's host to Links.Domains.
func (s *linkScan) collectDomain(host string) {
	if len(s.res.Domains) >= MaxLinkDomains || s.hosts[host] || len(s.hosts) >= maxLinkHosts {
		return
	}
	if s.hosts == nil {
		s.hosts = map[string]bool{}
	}
	s.hosts[host] = true
	d, err := dnscheck.NormalizeDomain(host)
	if err != nil {
		return
	}
	org := dmarc.OrganizationalDomain(d.ASCII)
	if org == "" || slices.Contains(s.res.Domains, org) {
		return
	}
	s.res.Domains = append(s.res.Domains, org)
}

type linkKind int

const (
	linkNone      linkKind = iota // not an http(s) link: mailto:, tel:, relative, prose
	linkOK                        // a well-formed http(s) link; host is its host
	linkMalformed                 // host holds what is wrong, in words
)

// classifyLink reads the start of s as a link. Only http and https (and words one
// typo away from them) are judged: other schemes, anchors and relative links are
// linkNone.
func classifyLink(s string) (linkKind, string) {
	i := 0
	for i < len(s) && (isLetter(s[i]) || i > 0 && (isDigit(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-')) {
		i++
	}
	if i == 0 {
		return linkNone, ""
	}
	scheme := strings.ToLower(s[:i])
	rest := s[i:]
	slashes := 0
	colon := strings.HasPrefix(rest, ":")
	if colon {
		rest = rest[1:]
	}
	for slashes < len(rest) && rest[slashes] == '/' {
		slashes++
	}
	after := rest[slashes:]
	isHTTP := scheme == "http" || scheme == "https"
	switch {
	case !colon && slashes < 2:
		return linkNone, ""
	case !isHTTP:
		// "htp://", "htps://", "hhttp://": one edit from the scheme meant.
		if colon && slashes == 2 && (oneEditFrom(scheme, "http") || oneEditFrom(scheme, "https")) {
			return linkMalformed, fmt.Sprintf("the scheme %q is not http or https", s[:i])
		}
		return linkNone, ""
	case !colon:
		// RFC 3986 §3: the scheme ends with ":"; "http//x" is a relative path.
		return linkMalformed, "the colon after " + scheme + " is missing"
	case slashes == 0 && after == "":
		return linkNone, "" // "HTTP:" in prose
	case slashes != 2:
		// RFC 3986 §3.2: an authority is introduced by exactly "//".
		return linkMalformed, fmt.Sprintf("%s: is followed by %d slash(es), not 2", scheme, slashes)
	}
	host := after
	if j := strings.IndexAny(host, "/?#\\"); j >= 0 {
		host = host[:j]
	}
	if j := strings.LastIndexByte(host, '@'); j >= 0 {
		host = host[j+1:]
	}
	if strings.HasPrefix(host, "[") {
		if j := strings.IndexByte(host, ']'); j >= 0 {
			host = host[:j+1]
		}
	} else if j := strings.LastIndexByte(host, ':'); j >= 0 && allDigits(host[j+1:]) {
		host = host[:j] // a port
	}
	switch {
	case host == "":
		return linkMalformed, "the host is empty"
	case host[0] == '.':
		// A label is never empty (RFC 1035 §2.3.1): ".domain.xyz" is no host.
		return linkMalformed, "the host starts with a dot"
	}
	return linkOK, host
}

// linkHostIsIP reports a host that browsers read as an IP address: a dotted IPv4 or
// bracketed IPv6 literal, or a name whose last label is a number (WHATWG URL
// Standard, "ends in a number": "3232235777", "0x7f.1", "127.1" are IPv4).
func linkHostIsIP(host string) bool {
	if _, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		return true
	}
	h := strings.TrimSuffix(host, ".")
	last := h[strings.LastIndexByte(h, '.')+1:]
	if last == "" {
		return false
	}
	if allDigits(last) {
		return true
	}
	l := strings.ToLower(last)
	return strings.HasPrefix(l, "0x") && strings.Trim(l[2:], "0123456789abcdef") == ""
}

// shownDomain returns the domain a link's visible text shows, in A-label form, when
// the whole text is a URL or a host name ("https://www.bank.example/login",
// "www.bank.example", "bank.example"); "" when it is words ("Click here", "Invoice
// 2026.pdf").
func shownDomain(text string) string {
	t := strings.TrimSpace(text)
	if t == "" || strings.ContainsAny(t, " \t\r\n") {
		return ""
	}
	lower := strings.ToLower(t)
	switch {
	case strings.HasPrefix(lower, "http://"):
		t = t[len("http://"):]
	case strings.HasPrefix(lower, "https://"):
		t = t[len("https://"):]
	case strings.Contains(t, "@"):
		return "" // an address: mailto links show these
	}
	if j := strings.IndexAny(t, "/?#:"); j >= 0 {
		t = t[:j]
	}
	t = strings.TrimSuffix(t, ".")
	if !strings.Contains(t, ".") || linkHostIsIP(t) {
		return ""
	}
	d, err := dnscheck.NormalizeDomain(t)
	if err != nil {
		return ""
	}
	// The last label must be a real top-level domain, so a file name ("setup.exe",
	// "report.pdf") is not read as a domain.
	if !knownTLD(d.ASCII) {
		return ""
	}
	return d.ASCII
}

// html examines an HTML part: every <a href> with the text it shows, and the text
// outside links, read with x/net/html's tokenizer (linear; entities decoded). Script
// and style contents are not text.
func (s *linkScan) html(part string, r io.Reader) {
	z := html.NewTokenizer(r)
	z.SetMaxBuf(MaxLinkPartBytes + 1)
	var (
		inAnchor bool
		href     string
		anchor   strings.Builder
		skip     int // depth of <script>/<style>
	)
	flush := func() {
		if inAnchor && href != "" {
			s.link(part, href, anchor.String())
		}
		inAnchor, href = false, ""
		anchor.Reset()
	}
	for {
		switch z.Next() {
		case html.ErrorToken:
			flush()
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "script", "style":
				skip++
			case "a", "area":
				flush()
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = strings.TrimSpace(string(v))
					}
				}
				inAnchor = string(name) == "a"
				if !inAnchor && href != "" {
					s.link(part, href, "")
					href = ""
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip = max(0, skip-1)
			case "a":
				flush()
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if inAnchor && anchor.Len() < maxAnchorText {
				anchor.WriteString(t[:min(len(t), maxAnchorText-anchor.Len())])
			}
			s.text(part, t)
		}
	}
}

// findings turns the collected issues into one finding per code, and judges the
// message's structure (HTML-only).
func (s *linkScan) findings() {
	res := s.res
	add := func(code finding.Code, sev finding.Severity, ref, what, fix string) {
		list := s.issues[code]
		if len(list) == 0 {
			return
		}
		var recs []string
		for _, i := range list {
			recs = append(recs, fmt.Sprintf("part %s: %s (%s)", i.part, i.link, i.detail))
		}
		n := s.counts[code]
		msg := fmt.Sprintf("%d %s, e.g. %q in part %s (%s).", n, what, list[0].link, list[0].part, list[0].detail)
		res.Findings = append(res.Findings, finding.Finding{
			Code: code, Severity: sev, Ref: ref, Message: msg, Fix: fix,
			Evidence: &finding.Evidence{Name: "part " + list[0].part, Records: recs},
		})
	}
	add(CodeMalformedLink, finding.Error, "RFC 3986 §3",
		"malformed link(s) that no browser can follow and that content filters reject or score as spam",
		`Write every link in full as https://host/path: a colon and two slashes after the scheme, a host right after them.`)
	add(CodeLinkTextMismatch, finding.Warning, "",
		"link(s) whose visible text shows another domain than the one they lead to, the shape of phishing that filters score",
		"Show the real destination in the link text, or use words (\"Read the report\") rather than a different address; a click-tracking domain of your own avoids the mismatch.")
	add(CodeIPLink, finding.Warning, "",
		"link(s) to an IP address rather than a domain name, which content filters score as suspicious",
		"Link to a host name in your own domain.")
	if res.HTMLParts > 0 && res.TextParts == 0 {
		res.Findings = append(res.Findings, finding.Finding{
			Code: CodeHTMLOnly, Severity: finding.Warning, Ref: "RFC 2046 §5.1.4",
			Message: "The message has an HTML body and no text/plain alternative; content filters score HTML-only mail as spam and some readers cannot show it.",
			Fix:     "Send multipart/alternative with a text/plain part first and the HTML part last.",
		})
	}
	if res.Findings == nil {
		res.Findings = []finding.Finding{}
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// oneEditFrom reports whether a differs from b by exactly one insertion, deletion,
// substitution or transposition of adjacent letters.
func oneEditFrom(a, b string) bool {
	if a == b || len(a) > len(b)+1 || len(b) > len(a)+1 {
		return false
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case len(a) == len(b):
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case len(a) < len(b):
		return a[i:] == b[i+1:]
	default:
		return a[i+1:] == b[i:]
	}
}

// knownTLD reports whether a domain ends in a suffix of the Public Suffix List (ICANN
// or private section), rather than an unlisted last label such as "exe" or "pdf".
func knownTLD(domain string) bool {
	suffix, icann := publicsuffix.PublicSuffix(domain)
	return icann || strings.Contains(suffix, ".")
}
