package mailcheck

import (
	"context"
	"fmt"
	"io"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/message"
)

// ContentReport is the Details of the "content" check of CheckMessage: the links of
// the message's own text and the message size against the selected receivers.
type ContentReport struct {
	Links *message.Links `json:"links"`
	Size  *message.Size  `json:"size"`
}

// checkContent runs the message package's content rules (links, HTML-only, size) on
// the spooled message; policies are the receivers the attachment scan judged by.
// Each reader is read once, in linear time.
func checkContent(ctx context.Context, forLinks, forSize io.Reader, att *Check) (*Check, error) {
	var policies []attachments.Policy
	if rep, ok := att.Details.(*attachments.Report); ok {
		policies = rep.Policies
	}
	// The size is read from the local spool even past the time limit: it is one
	// linear pass, and the largest messages, the likeliest to run out of time, are
	// the ones a receiver refuses for their size.
	size, err := message.CheckSize(context.WithoutCancel(ctx), forSize, policies)
	if err != nil {
		return nil, err
	}
	fs := append([]Finding{}, size.Findings...)
	links, err := message.CheckLinks(ctx, forLinks)
	var summary string
	switch {
	case err != nil && ctx.Err() != nil:
		links = nil
		fs = append(fs, Finding{
			Code: message.CodeLinksIncomplete, Severity: Warning, Incomplete: true,
			Message: "The time limit came before the links of the message's text were read; they are unknown.",
			Fix:     "Run the check again with a longer --timeout.",
		})
		summary = fmt.Sprintf("%s as sent; links not read in the time limit.", sizeShort(size.WireBytes))
	case err != nil:
		return nil, err
	default:
		fs = append(fs, links.Findings...)
		summary = fmt.Sprintf("%d link(s) in %d text and %d HTML part(s); %s as sent.", links.Links, links.TextParts, links.HTMLParts, sizeShort(size.WireBytes))
		if links.Truncated {
			summary += fmt.Sprintf(" Only the first %d MiB of text were read for links.", message.MaxLinkTotalBytes>>20)
		}
	}
	return &Check{ID: "content", Status: statusOf(fs), Summary: summary, Findings: fs, Details: &ContentReport{Links: links, Size: size}}, nil
}

func sizeShort(n int64) string {
	if n < 1e6 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
