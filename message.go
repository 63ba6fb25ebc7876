package mailcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/message"
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
	// Checks are "headers", "dkim" and "attachments", in that order.
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

	headers, hdr := checkHeaders(section(spool), cfg.profile)
	from := hdr.FromDomain
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

// checkHeaders judges the header section (message.CheckHeader) as the "headers" check.
func checkHeaders(r io.Reader, profile Profile) (*Check, *message.Header) {
	h := message.CheckHeader(r)
	fs := h.Findings
	if h.Readable && profile == ProfileBulkSender && (h.Fields.Get("List-Unsubscribe") == "" || h.Fields.Get("List-Unsubscribe-Post") == "") {
		fs = append(fs, Finding{Code: message.CodeNoOneClickUnsubscribe, Severity: Warning, Ref: "RFC 8058 §3",
			Message: "Bulk mail must offer one-click unsubscribe: List-Unsubscribe with an https URI and List-Unsubscribe-Post: List-Unsubscribe=One-Click.",
			Fix:     "Add both fields and sign them with DKIM."})
	}
	return headersCheck(h, fs), h
}

// headersCheck is the "headers" check of a header report and its findings.
func headersCheck(h *message.Header, fs []Finding) *Check {
	summary := "The header has what receivers require."
	switch {
	case !h.Readable:
		summary = "The header cannot be read."
	case len(fs) > 0:
		summary = fmt.Sprintf("%d header problem(s).", len(fs))
	}
	return &Check{ID: "headers", Status: statusOf(fs), Summary: summary, Findings: fs}
}
