package bounce

import (
	"bufio"
	"bytes"
	"net/mail"
	"regexp"
	"strings"
)

var (
	// Postfix: "<bob@example.org>: host mx.example.org[192.0.2.1] said: 550 ..."
	// also "<bob@example.org> (expanded from <alias@example.net>): ..."
	postfixLineRE = regexp.MustCompile(`^<([^<>\s]+@[^<>\s]+)>(?:\s+\(expanded from <([^<>\s]+)>\))?:\s*(.*)$`)
	// qmail and Yahoo: "<bob@example.org>:" alone on its line, the reply below.
	bareAngleRE = regexp.MustCompile(`^<([^<>\s]+@[^<>\s]+)>:?\s*$`)
	// Exim: "  bob@example.org" indented, alone on its line; the reply indented below.
	eximAddrRE = regexp.MustCompile(`^ {1,4}([^<>\s@]+@[^<>\s@]+?)(?:\s+<[^>]*>)?:?$`)
	// Sendmail: "<<< 550 5.1.1 <bob@example.org>... User unknown" and
	// "550 5.1.1 <bob@example.org>... User unknown".
	sendmailRE = regexp.MustCompile(`^(?:<<<\s*)?([245]\d\d[ -].*?<([^<>\s]+@[^<>\s]+)>\.\.\..*)$`)
	// qmail's remote host line.
	qmailIPRE = regexp.MustCompile(`^([0-9.]+|[0-9a-f:]+) does not like recipient`)
	// copyMarkerRE starts the returned copy in plain-text notices.
	copyMarkerRE = regexp.MustCompile(`(?i)^-{2,}\s*(?:this is a copy of the message|below this line is (?:a copy of the message|the original message)|original message|the (?:header|body) of the message|undelivered message follows|returned message|message headers follow)`)
)

// scanText reads the recipients and replies out of a notice's human-readable text,
// and returns the offset where a returned copy of the message starts (-1 if none).
// It knows the shapes Postfix, Exim, qmail, Sendmail and Yahoo use: an address line,
// then the reply on the same or the following (indented) lines.
func scanText(text string) ([]Recipient, int) {
	var out []Recipient
	m := memo{}
	var cur *Recipient
	var diag []string
	flush := func() {
		if cur == nil {
			return
		}
		cur.Diagnostic = strings.Join(diag, " ")
		if cur.Diagnostic != "" && len(out) < maxRecipients {
			finishRecipient(cur, m)
			out = append(out, *cur)
		}
		cur, diag = nil, nil
	}
	start := func(addr, orig string) {
		flush()
		cur = &Recipient{Address: strings.ToLower(addr), Action: "failed"}
		if orig != "" && !strings.EqualFold(orig, addr) {
			cur.OriginalRecipient = strings.ToLower(orig)
		}
	}
	offset := 0
	copyAt := -1
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), maxDiagnostic)
	for sc.Scan() {
		raw := sc.Text()
		offset += len(raw) + 1
		line := strings.TrimRight(raw, "\r \t")
		if copyMarkerRE.MatchString(strings.TrimSpace(line)) {
			copyAt = offset
			break
		}
		if m := postfixLineRE.FindStringSubmatch(line); m != nil {
			start(m[1], m[2])
			if m[3] != "" {
				diag = append(diag, m[3])
			}
			continue
		}
		if m := bareAngleRE.FindStringSubmatch(line); m != nil {
			start(m[1], "")
			continue
		}
		if m := sendmailRE.FindStringSubmatch(line); m != nil {
			if cur == nil || cur.Address != strings.ToLower(m[2]) {
				start(m[2], "")
			}
			if len(diag) == 0 {
				diag = append(diag, m[1])
			}
			continue
		}
		if m := eximAddrRE.FindStringSubmatch(line); m != nil && (cur == nil || len(diag) > 0 || !strings.HasPrefix(raw, "    ")) {
			start(m[1], "")
			continue
		}
		if cur == nil {
			continue
		}
		if strings.TrimSpace(line) == "" {
			if len(diag) > 0 {
				flush()
			}
			continue
		}
		if m := qmailIPRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			cur.RemoteIP = m[1]
		}
		if sumBytes(diag) < maxDiagnostic {
			diag = append(diag, strings.TrimSpace(line))
		}
	}
	flush()
	return out, copyAt
}

func sumBytes(ss []string) int {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	return n
}

// originalFromText returns the copy of the message that follows a plain-text
// notice's marker, when it starts with a header section.
func originalFromText(b []byte) *Original {
	b = bytes.TrimLeft(b, "\r\n")
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil || msg.Header.Get("From") == "" && msg.Header.Get("Received") == "" {
		return nil
	}
	rest, _ := bufio.NewReader(msg.Body).Peek(1)
	return &Original{Raw: b, HeadersOnly: len(rest) == 0}
}

// headerOf returns the first value of a header field of a raw message, or "".
func headerOf(raw []byte, name string) string {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	return decodeHeader(msg.Header.Get(name))
}
