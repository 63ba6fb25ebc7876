package message

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/textproto"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/header"
)

// Header is the header section of one message as the header rules judged it.
type Header struct {
	// FromDomain is the author domain, lower case; "" when From is missing, invalid
	// or names several mailboxes (a From finding says which).
	FromDomain string `json:"from_domain,omitempty"`
	// Fields are the header fields read, by canonical name (not in JSON).
	Fields textproto.MIMEHeader `json:"-"`
	// Readable is false when the input is not an RFC 5322 message at all.
	Readable bool `json:"readable"`
	// Findings are the header rules' diagnostics, never nil.
	Findings []Finding `json:"findings"`
}

// singleFields may appear at most once in a message (RFC 5322 §3.6, the table's "1").
var singleFields = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-Id", "In-Reply-To", "References", "Subject"}

// maxHeaderBytes bounds the header section read for the header rules: the DKIM
// check's bound, far above what receivers keep (Postfix's header_size_limit is
// 100 KB by default).
const maxHeaderBytes = dkim.MaxHeaderSize

// CheckHeader reads the header section from r and judges it by the rules receivers
// enforce. It never fails: a read error is reported as message.unparseable.
func CheckHeader(r io.Reader) *Header {
	h := &Header{Fields: textproto.MIMEHeader{}, Findings: []Finding{}}
	add := func(code Code, sev finding.Severity, ref, msg, fix string) {
		h.Findings = append(h.Findings, Finding{Code: code, Severity: sev, Ref: ref, Message: msg, Fix: fix})
	}
	fields, why, err := readFields(r)
	if err != nil {
		// The input is usually a local spool: a read error is rare and not the
		// message's fault, but it still leaves the header unjudged.
		why = fmt.Sprintf("it could not be read (%v)", err)
	}
	if why != "" {
		add(CodeUnparseable, finding.Error, "RFC 5322 §2.2",
			fmt.Sprintf("This is not an RFC 5322 message: %s, so receivers will reject it.", why),
			"Generate the message with a mail library; each header field is \"Name: value\" and a blank line ends the header.")
		return h
	}
	h.Readable = true
	for _, f := range fields {
		h.Fields.Add(f.Name, f.Value())
	}
	for _, name := range singleFields {
		if n := len(h.Fields.Values(name)); n > 1 {
			add(CodeDuplicateHeader, finding.Error, "RFC 5322 §3.6",
				fmt.Sprintf("The %s field appears %d times; it may appear once, and Gmail rejects such messages.", name, n),
				fmt.Sprintf("Emit a single %s field.", name))
		}
	}
	switch froms := h.Fields.Values("From"); {
	case len(froms) == 0:
		add(CodeFromMissing, finding.Error, "RFC 5322 §3.6.2", "The message has no From field: receivers reject it and DMARC cannot apply.",
			"Add a From field with one address in your domain.")
	case len(froms) == 1:
		list, err := header.Addresses(froms[0])
		switch {
		case err != nil:
			add(CodeFromInvalid, finding.Error, "RFC 5322 §3.4", fmt.Sprintf("The From field %q cannot be parsed: %v.", froms[0], err),
				"Write From as \"Name <user@example.com>\" with a valid address.")
		case len(list) == 0: // an empty group, "undisclosed:;", names no author
			add(CodeFromInvalid, finding.Error, "RFC 5322 §3.6.2", fmt.Sprintf("The From field %q names no mailbox.", froms[0]),
				"Put the author's address in From.")
		case len(list) > 1:
			add(CodeFromMultiple, finding.Error, "RFC 7489 §6.6.1",
				fmt.Sprintf("From holds %d addresses; receivers cannot tell the author domain and many reject the message.", len(list)),
				"Put a single author in From.")
		default:
			if at := strings.LastIndex(list[0].Address, "@"); at >= 0 {
				h.FromDomain = strings.ToLower(list[0].Address[at+1:])
			}
		}
	}
	if dates := h.Fields.Values("Date"); len(dates) == 0 {
		add(CodeDateMissing, finding.Error, "RFC 5322 §3.6.1", "The message has no Date field, which RFC 5322 requires.",
			"Add a Date field with the time the message was written.")
	} else if _, err := mail.ParseDate(dates[0]); err != nil {
		add(CodeDateInvalid, finding.Warning, "RFC 5322 §3.3", fmt.Sprintf("The Date field %q is not an RFC 5322 date.", dates[0]),
			"Write Date as e.g. \"Fri, 27 Nov 2026 14:48:00 +0000\".")
	}
	if ids := h.Fields.Values("Message-Id"); len(ids) == 0 {
		add(CodeMessageIDMissing, finding.Warning, "RFC 5322 §3.6.4",
			"The message has no Message-ID field; Gmail rejects messages without one.",
			"Add a Message-ID such as <unique-id@your-domain>.")
	} else if id := strings.TrimSpace(ids[0]); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		add(CodeMessageIDInvalid, finding.Warning, "RFC 5322 §3.6.4", fmt.Sprintf("The Message-ID %q is not of the form <left@right>.", id),
			"Write the Message-ID as <unique-id@your-domain>.")
	}
	return h
}

// readFields reads the header section the way receivers read it, and says why it is
// not a message header when it is not one. RFC 5322 §2.2: a header field is a name
// of printable US-ASCII characters other than the colon, then a colon (§4.5.3 of
// the obsolete syntax allows spaces before it); its body may hold raw UTF-8
// (RFC 6532) or, from older software, other 8-bit bytes, which receivers accept. A
// first line that is not a field (empty input, a binary file, random bytes) means the
// input is not a message. A later line that is neither a field nor a continuation
// ends the header, as it does at receivers (Postfix's cleanup reads the rest as
// body). An mbox "From " separator before the first field is skipped: it is file
// framing, not part of the message.
func readFields(r io.Reader) (fields []header.Field, why string, err error) {
	sec, err := header.Read(bufio.NewReader(r), maxHeaderBytes)
	switch {
	case errors.Is(err, header.ErrTooLarge):
		return nil, fmt.Sprintf("the header section is over %d MiB", maxHeaderBytes>>20), nil
	case err != nil:
		return nil, "", err
	}
	fields = sec.Fields
	if len(fields) > 0 && header.IsMboxSeparator(fields[0].Raw) {
		fields = fields[1:]
	}
	for i, f := range fields {
		if !header.IsField(f.Raw) {
			if i == 0 {
				return nil, fmt.Sprintf("its first line %.24q is not a header field", firstLine(f.Raw)), nil
			}
			return fields[:i], "", nil
		}
	}
	if len(fields) == 0 {
		if sec.Size == 0 {
			return nil, "it is empty", nil
		}
		return nil, "it has no header fields", nil
	}
	return fields, "", nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSuffix(line, "\r")
}
