package mailcheck

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mailcheck/mailcheck/attachments"
)

// CheckAttachments scans one RFC 5322 message (read from r) for attachments that the
// selected receivers reject or hide, at any MIME depth and inside archives. Its status
// is fail when a selected receiver rejects the message, warn for suspicious or
// uninspectable content, pass otherwise; Details is the *attachments.Result. The error
// is set only when the message could not be read or an option is invalid. Receivers,
// extra blocked extensions and limits come with WithAttachmentOptions.
func CheckAttachments(ctx context.Context, r io.Reader, opts ...Option) (*Check, error) {
	cfg := &config{} // no DNS here, so no resolver to build
	for _, o := range opts {
		o(cfg)
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	res, err := attachments.Check(ctx, r, cfg.attachmentOpts...)
	if err != nil {
		return nil, err
	}
	findings := res.Findings
	if findings == nil {
		findings = []Finding{}
	}
	c := &Check{ID: "attachments", Status: attachmentsStatus(&res), Summary: attachmentsSummary(&res), Findings: findings, Details: &res}
	return c, nil
}

// attachmentsStatus follows the receivers, not the finding severities: an error finding
// that no selected receiver acts on (an executable named .pdf sent to a receiver that
// only reads names) is suspicious, not a rejection.
func attachmentsStatus(res *attachments.Report) Status {
	if res.Rejected() || res.NotMessage != "" {
		return StatusFail
	}
	for _, f := range res.Findings {
		if f.Incomplete { // the time limit: what was not inspected is unknown
			return StatusError
		}
	}
	for _, f := range res.Findings {
		if f.Severity.Rank() >= Warning.Rank() {
			return StatusWarn
		}
	}
	for _, v := range res.Receivers {
		if v.Action == attachments.Warn {
			return StatusWarn
		}
	}
	return StatusPass
}

func attachmentsSummary(res *attachments.Report) string {
	if res.NotMessage != "" {
		return "This is not a message: " + res.NotMessage + "."
	}
	files, inside := 0, 0
	var count func(as []attachments.Attachment, in bool)
	count = func(as []attachments.Attachment, in bool) {
		for _, a := range as {
			if in {
				inside++
			} else {
				files++
			}
			count(a.Contents, true)
		}
	}
	count(res.Attachments, false)
	var rejects, warns []string
	for _, v := range res.Receivers {
		switch v.Action {
		case attachments.Reject:
			rejects = append(rejects, v.Receiver)
		case attachments.Warn:
			warns = append(warns, v.Receiver)
		}
	}
	s := fmt.Sprintf("%d attachment(s), %d file(s) inside archives or containers.", files, inside)
	if len(rejects) > 0 {
		s += " Rejected by " + strings.Join(rejects, ", ") + "."
	}
	if len(warns) > 0 {
		s += " Hidden from the recipient by " + strings.Join(warns, ", ") + "."
	}
	if len(rejects) == 0 && len(warns) == 0 {
		s += " Accepted by every selected receiver."
	}
	return s
}
