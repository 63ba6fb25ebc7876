package mailcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/message"
	"github.com/mailcheck/mailcheck/spf"
)

// MessageReport is the pre-send check of one message: what a receiver will make of its
// header, its envelope's SPF, its DKIM signatures, DMARC and its attachments.
type MessageReport struct {
	// FromDomain is the author domain from the From header ("" when there is none).
	FromDomain string `json:"from_domain,omitempty"`
	// Verdict says in one line what the selected receivers will do with the message.
	Verdict Verdict `json:"verdict"`
	// Status is the worst of the checks' statuses.
	Status Status `json:"status"`
	// Incomplete reports that DNS failures left a check undone.
	Incomplete bool `json:"incomplete"`
	// Checks are "headers", "spf" (only with WithEnvelope), "dkim", "dmarc",
	// "attachments" and "content" (links, HTML-only, size), in that order. The spf check's Details is a *message.SPFAuth,
	// the dmarc check's a *message.Prediction.
	Checks []*Check `json:"checks"`
	// AuthenticationResults is the RFC 8601 header field a receiver would add
	// (message.AuthenticationResults), folded with CRLF.
	AuthenticationResults string         `json:"authentication_results"`
	Queries               dnscheck.Stats `json:"queries"`
	ElapsedMS             int64          `json:"elapsed_ms"`
	// MailcheckVersion and CheckedAt are as in Report.
	MailcheckVersion string    `json:"mailcheck_version,omitempty"`
	CheckedAt        time.Time `json:"checked_at,omitzero"`
}

// Check returns the check with the given ID, or nil.
func (r *MessageReport) Check(id string) *Check {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Failed reports whether any check failed: the same test as Report.Failed, and what
// Status == StatusFail says.
func (r *MessageReport) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}

// Verdict is what the selected receivers (WithAttachmentOptions' receivers) will do
// with the message, in one line and per receiver.
type Verdict struct {
	// Accepted is true when every selected receiver delivers the message to the inbox.
	Accepted bool `json:"accepted"`
	// Line is the verdict in words: "would be rejected by gmail: DMARC fails under
	// p=reject — ..." or "would be accepted by every selected receiver".
	Line      string            `json:"line"`
	Receivers []ReceiverVerdict `json:"receivers"`
}

// ReceiverVerdict is one receiver's decision and its reasons.
type ReceiverVerdict struct {
	Receiver string `json:"receiver"`
	// Action is "accept", "spam" (DMARC quarantine) or "reject".
	Action  string   `json:"action"`
	Reasons []string `json:"reasons,omitempty"`
}

// WithAttachmentOptions passes options (receivers, extra blocked extensions, limits)
// to the attachment scan of CheckAttachments and CheckMessage.
func WithAttachmentOptions(opts ...attachments.Option) Option {
	return func(c *config) { c.attachmentOpts = append(c.attachmentOpts, opts...) }
}

// WithEnvelope gives CheckMessage the SMTP envelope the message will be sent with:
// the client IP of the sending server, the MAIL FROM address ("" takes the message's
// Return-Path, else its From address; "<>" is the null sender of bounces) and the
// HELO/EHLO name (whose SPF is checked when MAIL FROM is null, RFC 7208 §2.4). With
// it, the report gains an "spf" check and the DMARC prediction judges SPF alignment.
func WithEnvelope(ip netip.Addr, mailFrom, helo string) Option {
	return func(c *config) {
		c.envelope = &envelopeConfig{ip: ip, mailFrom: mailFrom, helo: helo}
	}
}

// WithExpectSigning says the MTA DKIM-signs the message after this check: an
// unsigned message is then no warning (dkim.unsigned is info), and the DMARC
// prediction assumes a passing signature with d= the From domain.
func WithExpectSigning() Option { return func(c *config) { c.expectSigning = true } }

// WithAuthservID names the receiver in MessageReport.AuthenticationResults (its
// authserv-id, RFC 8601 §2.5); "mailcheck.invalid" by default.
func WithAuthservID(id string) Option { return func(c *config) { c.authservID = id } }

type envelopeConfig struct {
	ip             netip.Addr
	mailFrom, helo string
}

// CheckMessage checks one RFC 5322 message before it is sent, as the receiver will
// see it: its header as receivers enforce RFC 5322 (one From, a Date, a Message-ID,
// no repeated single-use fields; one-click unsubscribe under ProfileBulkSender), the
// SPF result of its envelope (WithEnvelope), its DKIM signatures with alignment
// judged by the From domain's DMARC adkim=, the DMARC outcome a receiver computes
// from those (dmarc.predicted-pass or dmarc.predicted-fail, with the policy it
// applies), and its attachments against the receivers' blocked types. The report
// starts with a one-line Verdict and carries the Authentication-Results field a
// receiver would add. A reader that can seek and be read at offsets (a file, a
// bytes.Reader, an io.SectionReader) is read in place, from its current offset; any
// other message is held in memory up to 1 MiB, else spooled to a temporary file
// (always removed). Every check streams from it, so memory does not grow with the
// message. The time limit (WithTimeout, or ctx's deadline) bounds
// every check; a check it stops is reported with Incomplete findings, not as an
// error. The error is set only when the message cannot be read at all or an option is
// invalid.
func CheckMessage(ctx context.Context, r io.Reader, opts ...Option) (*MessageReport, error) {
	start := time.Now()
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.envelope != nil && !cfg.envelope.ip.IsValid() {
		return nil, fmt.Errorf("mailcheck: the envelope needs the client IP address")
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
	defer spool.Close()

	hdr := message.CheckHeader(spool.section())
	from := hdr.FromDomain
	rep := &MessageReport{FromDomain: from, MailcheckVersion: Version(), CheckedAt: checkedAt(start)}
	var spfAuth *message.SPFAuth
	if cfg.envelope != nil {
		spfAuth = envelopeIdentity(cfg.envelope, hdr)
	}

	var dkimCheck, attCheck *Check
	var dkimErr, attErr error
	policy := discoverPolicy(ctx, cfg, from)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		dkimCheck, dkimErr = CheckDKIMMessage(ctx, spool.section(), WithAlignment(policy.aligned), WithResolver(cfg.resolver))
	}()
	go func() {
		defer wg.Done()
		attCheck, attErr = CheckAttachments(ctx, spool.section(), WithAttachmentOptions(cfg.attachmentOpts...))
	}()
	go func() {
		defer wg.Done()
		if spfAuth != nil && spfAuth.Domain != "" {
			spfAuth.Outcome = spf.CheckHost(ctx, cfg.resolver, spfAuth.Envelope.IP, spfAuth.Domain, senderFor(spfAuth), spf.WithHELO(spfAuth.Envelope.HELO))
		}
	}()
	wg.Wait()
	policy.wait()
	if err := errors.Join(dkimErr, attErr); err != nil {
		return nil, err
	}
	sigs, _ := dkimCheck.Details.(*dkim.MessageReport)
	if cfg.expectSigning {
		expectSigning(dkimCheck)
	}
	facts := message.Facts{FromDomain: from, Policy: policy.disc, DKIM: sigs, SPF: spfAuth, ExpectSigning: cfg.expectSigning}
	pred := message.Predict(facts)

	hfs := hdr.Findings
	if cfg.profile == ProfileBulkSender {
		hfs = append(hfs, message.CheckUnsubscribe(hdr, sigs, policy.adkim(), cfg.expectSigning)...)
	}
	rep.Checks = append(rep.Checks, headersCheck(hdr, hfs))
	if spfAuth != nil {
		rep.Checks = append(rep.Checks, spfEnvelopeCheck(spfAuth, pred))
	}
	rep.Checks = append(rep.Checks, dkimCheck, dmarcPredictionCheck(pred), attCheck)
	// Content rules of the message package (issue 11): links, HTML-only, size.
	contentCheck, err := checkContent(ctx, spool.section(), spool.section(), attCheck)
	if err != nil {
		return nil, err
	}
	if cfg.reputation != nil && *cfg.reputation { // opt-in: one message, many lookups
		if err := checkLinkReputation(ctx, cfg, contentCheck); err != nil {
			return nil, err
		}
	}
	rep.Checks = append(rep.Checks, contentCheck)
	rep.Status = worstStatus(rep.Checks)
	for _, c := range rep.Checks {
		rep.Incomplete = rep.Incomplete || c.Incomplete()
	}
	att, _ := attCheck.Details.(*attachments.Report)
	var size *message.Size
	if cr, ok := contentCheck.Details.(*ContentReport); ok {
		size = cr.Size
	}
	rep.Verdict = verdictOf(rep.Checks[0], pred, att, size)
	rep.AuthenticationResults = message.AuthenticationResults(cfg.authservID, facts, pred)
	rep.Queries = cfg.resolver.Stats()
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// maxMemorySpool is the largest message CheckMessage keeps in memory; a larger one is
// spooled to a temporary file. Most mail is far smaller, and a temporary file costs
// five system calls and, when many messages are checked at once, the kernel's lock on
// the temporary directory.
const maxMemorySpool = 1 << 20

// spoolBufs recycles the in-memory spools, so a steady stream of messages does not
// allocate (and the GC does not clear) a buffer per message.
var spoolBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// spool holds the message so each check reads it afresh: in place when the reader
// can be read at offsets, else in a pooled buffer up to maxMemorySpool bytes, else in
// a temporary file (always removed by Close).
type spool struct {
	size int64
	file *os.File
	at   *io.SectionReader // the caller's reader, read in place

	// mu guards buf against a read after Close, which has given it back to the pool.
	mu  sync.RWMutex
	buf *bytes.Buffer
}

// spoolMessage reads the whole message from r. A reader that can seek and be read at
// offsets (an *os.File of a regular file, a bytes.Reader, an io.SectionReader: the
// milter's spool) is not copied: the checks read it in place, from its current
// offset to its end, and it is left at its end as if read.
func spoolMessage(r io.Reader) (*spool, error) {
	if ra, ok := r.(interface {
		io.ReaderAt
		io.Seeker
	}); ok && readableInPlace(r) {
		if cur, err := ra.Seek(0, io.SeekCurrent); err == nil {
			if end, err := ra.Seek(0, io.SeekEnd); err == nil && end >= cur {
				return &spool{size: end - cur, at: io.NewSectionReader(ra, cur, end-cur)}, nil
			}
			if _, err := ra.Seek(cur, io.SeekStart); err != nil {
				return nil, fmt.Errorf("mailcheck: reading the message: %w", err)
			}
		}
	}
	buf := spoolBufs.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(r, maxMemorySpool+1)); err != nil {
		spoolBufs.Put(buf)
		return nil, fmt.Errorf("mailcheck: reading the message: %w", err)
	}
	if buf.Len() <= maxMemorySpool {
		return &spool{size: int64(buf.Len()), buf: buf}, nil
	}
	defer spoolBufs.Put(buf)
	f, err := os.CreateTemp("", "mailcheck-message-*.eml")
	if err != nil {
		return nil, fmt.Errorf("mailcheck: spooling the message: %w", err)
	}
	size, err := io.Copy(f, io.MultiReader(buf, r))
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("mailcheck: reading the message: %w", err)
	}
	return &spool{size: size, file: f}, nil
}

// readableInPlace reports whether r can be read at offsets as it is: any ReaderAt
// except an *os.File that is not a regular file (a directory, a device, a FIFO seeks
// without error on Linux but does not read back), which is copied so the read error
// surfaces once, in spoolMessage's words.
func readableInPlace(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return true
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if s.at != nil {
		return s.at.ReadAt(p, off)
	}
	if s.file != nil {
		return s.file.ReadAt(p, off)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.buf == nil {
		return 0, os.ErrClosed
	}
	b := s.buf.Bytes()
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// section is an independent reader over the whole spooled message.
func (s *spool) section() io.Reader { return io.NewSectionReader(s, 0, s.size) }

// Close removes the temporary file or gives the buffer back to the pool.
func (s *spool) Close() {
	if s.at != nil {
		return // the caller's
	}
	if s.file != nil {
		s.file.Close()
		os.Remove(s.file.Name())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	spoolBufs.Put(s.buf)
	s.buf = nil
}

// fromPolicy is the From domain's DMARC discovery, looked up in the background: its
// adkim= is waited for only when a signature passes, so the lookup does not hold up
// the key lookups or the body hash.
type fromPolicy struct {
	disc *dmarc.Discovery
	done chan struct{}
}

func discoverPolicy(ctx context.Context, cfg *config, from string) *fromPolicy {
	p := &fromPolicy{done: make(chan struct{})}
	if from == "" {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		if disc, err := dmarc.Discover(ctx, cfg.resolver, from); err == nil {
			p.disc = disc
		}
	}()
	return p
}

func (p *fromPolicy) wait() { <-p.done }

// adkim is the From domain's DKIM alignment rule (RFC 9989 §4.7); relaxed when there
// is no record or it cannot be read.
func (p *fromPolicy) adkim() dmarc.AlignmentMode {
	p.wait()
	if p.disc != nil && p.disc.RFC9989.Record != nil {
		return p.disc.RFC9989.Record.DKIMAlignment
	}
	return dmarc.Relaxed
}

func (p *fromPolicy) aligned(fromDomain, signingDomain string) bool {
	return dmarc.Aligned(fromDomain, signingDomain, p.adkim())
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
