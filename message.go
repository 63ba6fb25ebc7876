package mailcheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/header"
)

// MessageReport is the pre-send check of one message: what a receiver will make of its
// header, its DKIM signatures and its attachments.
type MessageReport struct {
	// FromDomain is the author domain from the From header ("" when there is none).
	FromDomain string `json:"from_domain,omitempty"`
	// Status is the worst of the checks' statuses.
	Status Status `json:"status"`
	// Incomplete reports that DNS failures left a check undone.
	Incomplete bool `json:"incomplete"`
	// Checks are "headers", "dkim", "attachments" and "content", in that order.
	Checks    []*Check       `json:"checks"`
	Queries   dnscheck.Stats `json:"queries"`
	ElapsedMS int64          `json:"elapsed_ms"`
}

// WithAttachmentOptions passes options (receivers, extra blocked extensions, limits)
// to the attachment scan of CheckAttachments and CheckMessage.
func WithAttachmentOptions(opts ...attachments.Option) Option {
	return func(c *config) { c.attachmentOpts = append(c.attachmentOpts, opts...) }
}

// CheckMessage checks one RFC 5322 message before it is sent: its header as receivers
// enforce RFC 5322 (one From, a Date, a Message-ID, no repeated single-use fields), its
// DKIM signatures with alignment judged by the From domain's DMARC adkim=, and its
// attachments against the receivers' blocked types. The message is spooled to a
// temporary file (always removed), and every check streams from it, so memory does
// not grow with the message. The time limit (WithTimeout, or ctx's deadline) bounds
// every check; a check it stops is reported with Incomplete findings, not as an
// error. The error is set only when the message cannot be read at all.
func CheckMessage(ctx context.Context, r io.Reader, opts ...Option) (*MessageReport, error) {
	start := time.Now()
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	spool, err := spoolMessage(r)
	if err != nil {
		return nil, err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()

	headers, from := checkHeaders(section(spool), cfg.profile)
	rep := &MessageReport{FromDomain: from, Checks: []*Check{headers}}

	var dkimCheck, attCheck *Check
	var dkimErr, attErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		aligned, wait := dkimAlignment(ctx, cfg, from)
		defer wait()
		dkimCheck, dkimErr = CheckDKIMMessage(ctx, section(spool), WithAlignment(aligned), WithResolver(cfg.resolver))
	}()
	go func() {
		defer wg.Done()
		attCheck, attErr = CheckAttachments(ctx, section(spool), WithAttachmentOptions(cfg.attachmentOpts...))
	}()
	wg.Wait()
	if err := errors.Join(dkimErr, attErr); err != nil {
		return nil, err
	}
	rep.Checks = append(rep.Checks, dkimCheck, attCheck)
	// Content rules of the message package (issue 11): links, HTML-only, size.
	contentCheck, err := checkContent(ctx, section(spool), section(spool), attCheck)
	if err != nil {
		return nil, err
	}
	rep.Checks = append(rep.Checks, contentCheck)
	rep.Status = worstStatus(rep.Checks)
	for _, c := range rep.Checks {
		rep.Incomplete = rep.Incomplete || c.Incomplete()
	}
	rep.Queries = cfg.resolver.Stats()
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// spoolMessage copies the message to a temporary file, so each check reads it afresh.
func spoolMessage(r io.Reader) (*os.File, error) {
	f, err := os.CreateTemp("", "mailcheck-message-*.eml")
	if err != nil {
		return nil, fmt.Errorf("mailcheck: spooling the message: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("mailcheck: reading the message: %w", err)
	}
	return f, nil
}

// section is an independent reader over the whole spooled message.
func section(f *os.File) io.Reader {
	size, _ := f.Seek(0, io.SeekEnd)
	return io.NewSectionReader(f, 0, size)
}

// dkimAlignment returns the From domain's DKIM alignment rule from its DMARC record
// (adkim=, RFC 9989 §4.7); relaxed when there is none or it cannot be read. The
// record is looked up in the background and waited for only when a signature passes,
// so the lookup does not hold up the key lookups or the body hash; wait returns once
// the lookup is over.
func dkimAlignment(ctx context.Context, cfg *config, from string) (aligned func(string, string) bool, wait func()) {
	if from == "" {
		return nil, func() {}
	}
	mode := dmarc.Relaxed
	done := make(chan struct{})
	go func() {
		defer close(done)
		if disc, err := dmarc.Discover(ctx, cfg.resolver, from); err == nil && disc.RFC9989.Record != nil {
			mode = disc.RFC9989.Record.DKIMAlignment
		}
	}()
	aligned = func(fromDomain, signingDomain string) bool {
		<-done
		return dmarc.Aligned(fromDomain, signingDomain, mode)
	}
	return aligned, func() { <-done }
}

func worstStatus(checks []*Check) Status {
	rank := map[Status]int{StatusSkip: 0, StatusPass: 1, StatusWarn: 2, StatusError: 3, StatusFail: 4}
	worst := StatusPass
	for _, c := range checks {
		if rank[c.Status] > rank[worst] {
			worst = c.Status
		}
	}
	return worst
}

// singleFields may appear at most once in a message (RFC 5322 §3.6, the table's "1").
var singleFields = []string{"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-Id", "In-Reply-To", "References", "Subject"}

// maxHeaderBytes bounds the header section read for the header check: the DKIM
// check's bound, far above what receivers keep (Postfix's header_size_limit is
// 100 KB by default).
const maxHeaderBytes = dkim.MaxHeaderSize

// checkHeaders judges the header section and returns the From domain.
func checkHeaders(r io.Reader, profile Profile) (*Check, string) {
	var fs []Finding
	add := func(code Code, sev Severity, ref, msg, fix string) {
		fs = append(fs, Finding{Code: code, Severity: sev, Ref: ref, Message: msg, Fix: fix})
	}
	fields, why, err := readFields(r)
	if err != nil {
		// The spool is a local file: a read error here is rare and not the message's
		// fault, but it still leaves the header unjudged.
		why = fmt.Sprintf("it could not be read (%v)", err)
	}
	if why != "" {
		add(CodeMessageUnparseable, Error, "RFC 5322 §2.2",
			fmt.Sprintf("This is not an RFC 5322 message: %s, so receivers will reject it.", why),
			"Generate the message with a mail library; each header field is \"Name: value\" and a blank line ends the header.")
		c := &Check{ID: "headers", Status: statusOf(fs), Summary: "The header cannot be read.", Findings: fs}
		return c, ""
	}
	h := textproto.MIMEHeader{}
	for _, f := range fields {
		h.Add(f.Name, f.Value())
	}
	for _, name := range singleFields {
		if n := len(h.Values(name)); n > 1 {
			add(CodeMessageDuplicateHeader, Error, "RFC 5322 §3.6",
				fmt.Sprintf("The %s field appears %d times; it may appear once, and Gmail rejects such messages.", name, n),
				fmt.Sprintf("Emit a single %s field.", name))
		}
	}
	from := ""
	switch froms := h.Values("From"); {
	case len(froms) == 0:
		add(CodeMessageFromMissing, Error, "RFC 5322 §3.6.2", "The message has no From field: receivers reject it and DMARC cannot apply.",
			"Add a From field with one address in your domain.")
	case len(froms) == 1:
		list, err := header.Addresses(froms[0])
		switch {
		case err != nil:
			add(CodeMessageFromInvalid, Error, "RFC 5322 §3.4", fmt.Sprintf("The From field %q cannot be parsed: %v.", froms[0], err),
				"Write From as \"Name <user@example.com>\" with a valid address.")
		case len(list) == 0: // an empty group, "undisclosed:;", names no author
			add(CodeMessageFromInvalid, Error, "RFC 5322 §3.6.2", fmt.Sprintf("The From field %q names no mailbox.", froms[0]),
				"Put the author's address in From.")
		case len(list) > 1:
			add(CodeMessageFromMultiple, Error, "RFC 7489 §6.6.1",
				fmt.Sprintf("From holds %d addresses; receivers cannot tell the author domain and many reject the message.", len(list)),
				"Put a single author in From.")
		default:
			if at := strings.LastIndex(list[0].Address, "@"); at >= 0 {
				from = strings.ToLower(list[0].Address[at+1:])
			}
		}
	}
	if dates := h.Values("Date"); len(dates) == 0 {
		add(CodeMessageDateMissing, Error, "RFC 5322 §3.6.1", "The message has no Date field, which RFC 5322 requires.",
			"Add a Date field with the time the message was written.")
	} else if _, err := mail.ParseDate(dates[0]); err != nil {
		add(CodeMessageDateInvalid, Warning, "RFC 5322 §3.3", fmt.Sprintf("The Date field %q is not an RFC 5322 date.", dates[0]),
			"Write Date as e.g. \"Fri, 27 Nov 2026 14:48:00 +0000\".")
	}
	if ids := h.Values("Message-Id"); len(ids) == 0 {
		add(CodeMessageMessageIDMissing, Warning, "RFC 5322 §3.6.4",
			"The message has no Message-ID field; Gmail rejects messages without one.",
			"Add a Message-ID such as <unique-id@your-domain>.")
	} else if id := strings.TrimSpace(ids[0]); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, ">") || !strings.Contains(id, "@") {
		add(CodeMessageMessageIDInvalid, Warning, "RFC 5322 §3.6.4", fmt.Sprintf("The Message-ID %q is not of the form <left@right>.", id),
			"Write the Message-ID as <unique-id@your-domain>.")
	}
	if profile == ProfileBulkSender && (h.Get("List-Unsubscribe") == "" || h.Get("List-Unsubscribe-Post") == "") {
		add(CodeMessageNoOneClickUnsubscribe, Warning, "RFC 8058 §3",
			"Bulk mail must offer one-click unsubscribe: List-Unsubscribe with an https URI and List-Unsubscribe-Post: List-Unsubscribe=One-Click.",
			"Add both fields and sign them with DKIM.")
	}
	if fs == nil {
		fs = []Finding{}
	}
	summary := "The header has what receivers require."
	if len(fs) > 0 {
		summary = fmt.Sprintf("%d header problem(s).", len(fs))
	}
	return &Check{ID: "headers", Status: statusOf(fs), Summary: summary, Findings: fs}, from
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
