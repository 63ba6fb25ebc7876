package bounce

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// Limits on what Parse reads, so a hostile notice costs bounded memory and time.
const (
	// MaxSize is the most Parse reads: a notice with the returned message attached
	// is rarely over a few MiB.
	MaxSize = 16 << 20
	// maxParts is the most MIME parts walked; maxDepth the deepest nesting.
	maxParts = 64
	maxDepth = 6
	// maxText is the most human-readable text scanned for recipients.
	maxText = 256 << 10
	// maxRecipients is the most recipients reported from one notice.
	maxRecipients = 500
	// maxDiagnostic bounds one recipient's diagnostic text.
	maxDiagnostic = 4 << 10
)

// ErrNotBounce is wrapped by the error Parse returns for input that is not a bounce;
// the *NotBounceError says what it looks like instead.
var ErrNotBounce = errors.New("bounce: not a bounce")

// ErrTooLarge is returned for input over MaxSize.
var ErrTooLarge = fmt.Errorf("bounce: input larger than %d MiB", MaxSize>>20)

// NotBounceError reports input that is not a delivery notice.
type NotBounceError struct {
	// LooksLike says what the input looks like instead, e.g. "a read receipt".
	LooksLike string
}

func (e *NotBounceError) Error() string { return "not a bounce: this looks like " + e.LooksLike }

// Unwrap makes errors.Is(err, ErrNotBounce) true.
func (e *NotBounceError) Unwrap() error { return ErrNotBounce }

// Format is the form a notice came in.
type Format string

// The formats Parse reads.
const (
	FormatDSN     Format = "dsn"      // RFC 3464 multipart/report delivery-status
	FormatARF     Format = "arf"      // RFC 5965 feedback report
	FormatText    Format = "text"     // a plain-text notice (qmail, Exim, Postfix, Sendmail, Yahoo wording)
	FormatSESJSON Format = "ses-json" // an Amazon SES bounce, complaint or delivery notification
)

// Report is what one notice says.
type Report struct {
	Format Format `json:"format"`
	// Source is the MTA or provider that wrote the notice, when recognisable:
	// "postfix", "exim", "sendmail", "qmail", "exchange", "gmail", "yahoo",
	// "amazonses"; "" when unknown.
	Source string `json:"source,omitempty"`
	// ReportingMTA is the server that wrote the notice (Reporting-MTA).
	ReportingMTA string `json:"reporting_mta,omitempty"`
	// NoticeFrom, NoticeTo and Subject are the notice's own header fields: NoticeTo
	// is usually the original envelope sender.
	NoticeFrom string `json:"notice_from,omitempty"`
	NoticeTo   string `json:"notice_to,omitempty"`
	Subject    string `json:"subject,omitempty"`
	// Sender is the original envelope sender, when the notice names it
	// (X-Postfix-Sender, Original-Mail-From, SES mail.source).
	Sender string `json:"sender,omitempty"`
	// SourceIP is the IP the original message came from, when the notice names it
	// (ARF Source-IP, SES mail.sourceIp).
	SourceIP   string      `json:"source_ip,omitempty"`
	Recipients []Recipient `json:"recipients"`
	// Original is the returned message or its header, when attached.
	Original *Original `json:"original,omitempty"`
	// Feedback is the feedback report of an ARF notice.
	Feedback *FeedbackReport `json:"feedback,omitempty"`
}

// Recipient is one recipient's delivery outcome.
type Recipient struct {
	// Address is the recipient the notice is about (Final-Recipient).
	Address string `json:"recipient"`
	// OriginalRecipient is the address the sender used, when it differs
	// (Original-Recipient, or the alias a forward expanded).
	OriginalRecipient string `json:"original_recipient,omitempty"`
	// Action is failed, delayed, delivered, relayed or expanded (RFC 3464 §2.3.3).
	Action string `json:"action,omitempty"`
	// Status is the RFC 3463 enhanced status code, e.g. "5.7.26".
	Status string `json:"status,omitempty"`
	// ReplyCode is the SMTP reply code (RFC 5321 §4.2), 0 when not given.
	ReplyCode int `json:"reply_code,omitempty"`
	// Diagnostic is the receiver's reply text, multi-line prefixes removed.
	Diagnostic string `json:"diagnostic,omitempty"`
	// RemoteMTA is the receiving server that answered.
	RemoteMTA string `json:"remote_mta,omitempty"`
	// RemoteIP is that server's address when the notice gives it.
	RemoteIP string `json:"remote_ip,omitempty"`
	// Command is the SMTP command the reply answered: MAIL, RCPT or DATA.
	Command string `json:"command,omitempty"`
	Reason  Reason `json:"reason"`
}

// Original is the returned copy of the message that bounced.
type Original struct {
	// HeadersOnly is true for text/rfc822-headers (or a copy cut after its header).
	HeadersOnly bool `json:"headers_only"`
	// Raw is the message (or header section) as returned.
	Raw []byte `json:"-"`
}

// FeedbackReport is the machine-readable part of an ARF report (RFC 5965 §3.1).
type FeedbackReport struct {
	FeedbackType          string   `json:"feedback_type"`
	UserAgent             string   `json:"user_agent,omitempty"`
	OriginalMailFrom      string   `json:"original_mail_from,omitempty"`
	OriginalRcptTo        []string `json:"original_rcpt_to,omitempty"`
	SourceIP              string   `json:"source_ip,omitempty"`
	ReportedDomain        []string `json:"reported_domain,omitempty"`
	AuthenticationResults string   `json:"authentication_results,omitempty"`
}

// part is one leaf of the notice's MIME tree, decoded.
type part struct {
	ctype  string
	params map[string]string
	header textproto.MIMEHeader
	body   []byte
}

// Parse reads one notice. Input that is a message but not a bounce gives an error
// wrapping ErrNotBounce (a *NotBounceError saying what it looks like); input over
// MaxSize gives ErrTooLarge.
func Parse(r io.Reader) (*Report, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("bounce: reading: %w", err)
	}
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	return ParseBytes(data)
}

// ParseBytes is Parse on a notice already in memory (at most MaxSize bytes are read).
func ParseBytes(data []byte) (*Report, error) {
	return parseBytes(data, 0)
}

// parseBytes is ParseBytes at a nesting depth: a bounce forwarded as an attachment
// is read once from inside the forward.
func parseBytes(data []byte, depth int) (*Report, error) {
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) == 0 {
		return nil, &NotBounceError{LooksLike: "empty input"}
	}
	if trimmed[0] == '{' {
		return parseSES(trimmed)
	}
	// An mbox "From " separator line precedes the header in mail spools.
	if bytes.HasPrefix(trimmed, []byte("From ")) {
		if i := bytes.IndexByte(trimmed, '\n'); i >= 0 {
			trimmed = trimmed[i+1:]
		}
	}
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(trimmed)))
	if err != nil || len(msg.Header) == 0 {
		return nil, &NotBounceError{LooksLike: "text, not an email message (it has no header section)"}
	}
	rep := &Report{
		NoticeFrom: decodeHeader(msg.Header.Get("From")),
		NoticeTo:   decodeHeader(msg.Header.Get("To")),
		Subject:    decodeHeader(msg.Header.Get("Subject")),
	}
	body, _ := io.ReadAll(msg.Body)
	var parts []part
	walk(textproto.MIMEHeader(msg.Header), body, 0, &parts)
	topType, topParams := mediaType(msg.Header.Get("Content-Type"))
	rep.Source = sourceOf(msg.Header, rep)

	var human []byte
	var dsn, feedback *part
	for i := range parts {
		p := &parts[i]
		switch p.ctype {
		case "message/delivery-status", "message/global-delivery-status":
			if dsn == nil {
				dsn = p
			}
		case "message/feedback-report":
			if feedback == nil {
				feedback = p
			}
		case "message/rfc822", "message/global":
			if rep.Original == nil {
				rep.Original = &Original{Raw: p.body}
			}
		case "text/rfc822-headers", "message/global-headers":
			if rep.Original == nil {
				rep.Original = &Original{Raw: p.body, HeadersOnly: true}
			}
		case "text/plain", "":
			if len(human) < maxText {
				human = append(human, p.body...)
				human = append(human, '\n')
			}
		}
	}
	if len(human) > maxText {
		human = human[:maxText]
	}
	if rep.Source == "" {
		rep.Source = sourceFromText(human)
	}
	if topType == "multipart/report" && strings.EqualFold(topParams["report-type"], "disposition-notification") {
		return nil, &NotBounceError{LooksLike: "a read receipt (an RFC 8098 message disposition notification), not a bounce"}
	}
	if feedback != nil {
		rep.Format = FormatARF
		parseARF(rep, feedback.body)
		return rep, nil
	}
	textRcpts, copyAt := scanText(string(human))
	if rep.Original == nil && copyAt >= 0 {
		rep.Original = originalFromText(human[copyAt:])
	}
	if dsn != nil {
		rep.Format = FormatDSN
		parseDSN(rep, dsn.body, textRcpts)
		if len(rep.Recipients) > 0 {
			localUnrouteable(rep)
			return rep, nil
		}
	}
	if len(textRcpts) > 0 && (looksLikeBounce(msg.Header, rep) || dsn != nil) {
		rep.Format = FormatText
		rep.Recipients = textRcpts
		localUnrouteable(rep)
		return rep, nil
	}
	// Someone forwarded the bounce as an attachment: read the attached notice.
	if depth == 0 && rep.Original != nil && !rep.Original.HeadersOnly {
		if inner, err := parseBytes(rep.Original.Raw, depth+1); err == nil {
			return inner, nil
		}
	}
	return nil, &NotBounceError{LooksLike: describe(msg.Header, rep, dsn != nil)}
}

// describe says what a message that is not a bounce looks like.
func describe(h mail.Header, rep *Report, hadDSN bool) string {
	auto := strings.ToLower(h.Get("Auto-Submitted"))
	subj := strings.ToLower(rep.Subject)
	switch {
	case hadDSN:
		return "a delivery status notification that names no recipient"
	case looksLikeBounce(h, rep):
		return "a delivery notice in a wording mailcheck cannot read (no recipient with an error found)"
	case strings.HasPrefix(auto, "auto-replied") || strings.HasPrefix(subj, "out of office") ||
		strings.HasPrefix(subj, "automatic reply") || strings.HasPrefix(subj, "auto:") || strings.Contains(subj, "vacation"):
		return "an automatic reply (out of office): the message was delivered"
	}
	what := "an ordinary message"
	if rep.NoticeFrom != "" {
		what += " from " + rep.NoticeFrom
	}
	if rep.Subject != "" {
		what += fmt.Sprintf(" (subject %q)", truncate(rep.Subject, 80))
	}
	return what
}

// looksLikeBounce reports whether the notice's sender or subject is a mailer's.
func looksLikeBounce(h mail.Header, rep *Report) bool {
	from := strings.ToLower(rep.NoticeFrom)
	subj := strings.ToLower(rep.Subject)
	if strings.Contains(from, "mailer-daemon") || strings.Contains(from, "postmaster") || strings.Contains(from, "mail delivery") ||
		h.Get("X-Failed-Recipients") != "" {
		return true
	}
	for _, s := range []string{"undeliver", "undelivered", "delivery status notification", "delivery failure", "failure notice",
		"returned mail", "mail delivery failed", "delivery has failed", "non-delivery", "not delivered", "couldn't be delivered",
		"could not be delivered", "rejected", "delivery notification", "mail delivery system"} {
		if strings.Contains(subj, s) {
			return true
		}
	}
	return false
}

// sourceOf recognises the MTA or provider that wrote the notice.
func sourceOf(h mail.Header, rep *Report) string {
	from := strings.ToLower(rep.NoticeFrom)
	for k := range h {
		if strings.HasPrefix(k, "X-Ms-Exchange-") {
			return "exchange"
		}
	}
	switch {
	case strings.Contains(from, "googlemail.com") || strings.Contains(from, "google.com"):
		return "gmail"
	case strings.Contains(from, "amazonses.com"):
		return "amazonses"
	case strings.Contains(from, "yahoo"):
		return "yahoo"
	case h.Get("X-Failed-Recipients") != "":
		return "exim"
	}
	return ""
}

// sourceFromText recognises an MTA by the fixed words of its notice.
func sourceFromText(human []byte) string {
	for _, s := range []struct{ words, source string }{
		{"This is the mail system at host", "postfix"},
		{"This is the qmail-send program", "qmail"},
		{"Transcript of session follows", "sendmail"},
		{"This message was created automatically by mail delivery software", "exim"},
		{"Sorry, we were unable to deliver your message", "yahoo"},
	} {
		if bytes.Contains(human, []byte(s.words)) {
			return s.source
		}
	}
	return ""
}

// walk collects the leaves of a MIME tree, decoded, within maxParts and maxDepth.
// message/rfc822 and header parts are kept whole, not descended into.
func walk(h textproto.MIMEHeader, body []byte, depth int, out *[]part) {
	if len(*out) >= maxParts {
		return
	}
	ctype, params := mediaType(h.Get("Content-Type"))
	if strings.HasPrefix(ctype, "multipart/") && depth < maxDepth {
		boundary := params["boundary"]
		if boundary == "" {
			*out = append(*out, part{ctype: "text/plain", header: h, body: body})
			return
		}
		mr := multipart.NewReader(bytes.NewReader(body), boundary)
		for len(*out) < maxParts {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			b, err := io.ReadAll(io.LimitReader(p, MaxSize))
			if err != nil && len(b) == 0 {
				break
			}
			walk(p.Header, b, depth+1, out)
		}
		return
	}
	if strings.HasPrefix(ctype, "multipart/") {
		return
	}
	*out = append(*out, part{ctype: ctype, params: params, header: h, body: decodeBody(h.Get("Content-Transfer-Encoding"), body)})
}

// mediaType parses a Content-Type, defaulting to text/plain (RFC 2045 §5.2).
func mediaType(v string) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err != nil {
		// A broken parameter list still names the type.
		t, _, _ = strings.Cut(v, ";")
		return strings.ToLower(strings.TrimSpace(t)), map[string]string{}
	}
	return t, params
}

// decodeBody undoes a Content-Transfer-Encoding; a body that does not decode is used
// as it is.
func decodeBody(cte string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil && n == 0 {
			return b
		}
		return out[:n]
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil && len(out) == 0 {
			return b
		}
		return out
	}
	return b
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
	return r, nil // unknown charsets: the bytes as they are
}}

// decodeHeader decodes RFC 2047 encoded words.
func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		v = d
	}
	return truncate(strings.TrimSpace(v), 998)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// localUnrouteable corrects Exim's "Unrouteable address" (its whole text for an
// address no router accepted) for a recipient in the notice writer's own domain.
// Exim says the same words whenever no router accepts an address (Exim spec,
// "Routing an address"): for a remote domain that means its DNS gave no way to reach
// it (hostunknown, as the text rules read it), but the writer routes its own domains
// to local users, so there the words mean the local part is no user or alias of it:
// userunknown, what Postfix says for the same recipient ("unknown user", 5.1.1).
// Exim's DSN gives no better status than 5.0.0 for either.
func localUnrouteable(rep *Report) {
	own := map[string]bool{}
	if h := strings.ToLower(strings.TrimSuffix(rep.ReportingMTA, ".")); h != "" {
		own[h] = true
	}
	if a, err := mail.ParseAddress(rep.NoticeFrom); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			own[strings.ToLower(d)] = true
		}
	}
	for i := range rep.Recipients {
		rc := &rep.Recipients[i]
		_, domain, ok := strings.Cut(rc.Address, "@")
		if !ok || rc.Reason != HostUnknown || !strings.HasPrefix(strings.ToLower(rc.Diagnostic), "unrouteable address") {
			continue
		}
		for h := range own {
			// The writer's host name is in the domain (mx.sender.example for
			// sender.example) or is the domain itself.
			if h == domain || strings.HasSuffix(h, "."+domain) {
				rc.Reason = UserUnknown
				break
			}
		}
	}
}
