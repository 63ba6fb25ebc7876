package mailcheck

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/message"
	"github.com/mailcheck/mailcheck/reputation"
)

// ContentReport is the Details of the "content" check of CheckMessage: the links of
// the message's own text and the message size against the selected receivers.
type ContentReport struct {
	Links *message.Links `json:"links"`
	Size  *message.Size  `json:"size"`
	// LinkReputation is the link domains' blocklist lookups, with
	// WithReputation(true) only.
	LinkReputation *reputation.Report `json:"link_reputation,omitempty"`
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

// checkLinkReputation looks the content check's link domains up in the domain
// blocklists and adds a message.link-listed finding per listing, and the lookups'
// own findings (a refusing list, a DNS failure) as they are.
func checkLinkReputation(ctx context.Context, cfg *config, c *Check) error {
	cr, _ := c.Details.(*ContentReport)
	if cr == nil || cr.Links == nil || len(cr.Links.Domains) == 0 {
		return nil
	}
	rep, looked, err := lookupLinkDomains(ctx, cfg, cr.Links.Domains)
	if err != nil || rep == nil {
		return err
	}
	cr.LinkReputation = rep
	for _, r := range rep.Listed() {
		c.Findings = append(c.Findings, Finding{
			Code: message.CodeLinkListed, Severity: Warning, Ref: "RFC 5782 §2",
			Message: fmt.Sprintf("The message links to %s, which is listed on %s (%s: %s): receivers whose URL filters consult it junk or refuse the message.",
				r.Target.Domain, r.List, r.Zone, strings.Join(r.Meanings, "; ")),
			Fix:      fmt.Sprintf("Remove the links to %s, or have its owner stop the cause and request removal at %s.", r.Target.Domain, r.Removal),
			Evidence: &Evidence{Name: r.Query, Type: "A", Records: r.Codes, Detail: r.Removal},
		})
	}
	for _, f := range rep.Findings {
		if f.Code != reputation.CodeDomainListed { // said above, in the message's words
			c.Findings = append(c.Findings, f)
		}
	}
	c.Status = statusOf(c.Findings)
	c.Summary += fmt.Sprintf(" %d link domain(s) looked up in %d blocklists: %d listing(s).", len(looked), listsAsked(rep), len(rep.Listed()))
	return nil
}
