package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/bounce"
	"github.com/urfave/cli/v2"
)

func bounceCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "bounce",
		Usage:     "explain a rejection notice (bounce) and check what caused it",
		ArgsUsage: "FILE|-",
		Description: "Reads a bounce (a standard DSN, a Postfix, Exim, Sendmail, qmail, Exchange, Gmail or\n" +
			"Yahoo notice, an ARF feedback report, or an Amazon SES JSON notification) and prints,\n" +
			"per failed recipient, the reply, the reason (Sisimai's names) and its cause. For\n" +
			"authentication failures it checks the sender domain's SPF, DKIM and DMARC and\n" +
			"replays SPF for the IP the receiver saw (and says when a forward without SRS is\n" +
			"to blame); for spam, virus and content rejections it checks the returned message;\n" +
			"for blocks it checks the sending IP's reverse DNS and looks the IP up in DNS\n" +
			"blocklists (--no-reputation skips that). DNS goes through --zone or\n" +
			"--resolver. Exits 2 when the input is not a bounce, 1 when a cause on the\n" +
			"sender's side was found, 3 when DNS failed.\n\n" +
			"Example: mailcheck bounce returned.eml",
		Flags: append(attachmentFlags(),
			&cli.BoolFlag{Name: "no-reputation", Usage: "for a block, do not look the sending IP up in DNS blocklists (Spamhaus, SpamCop, ...)"}),
		Action: func(c *cli.Context) error {
			o, err := readOptions(c, e)
			if err != nil {
				return err
			}
			in, closeIn, err := messageInput(c, e)
			if err != nil {
				return err
			}
			defer closeIn()
			r, ctx, cancel, err := dnsSetup(c)
			if err != nil {
				return err
			}
			defer cancel()
			rep, err := mailcheck.ExplainBounce(ctx, in, mailcheck.WithResolver(r),
				mailcheck.WithAttachmentOptions(attachmentOptions(c)...),
				mailcheck.WithReputation(!c.Bool("no-reputation")))
			var nb *bounce.NotBounceError
			switch {
			case errors.As(err, &nb):
				return usageError("%s is not a bounce: it looks like %s", inputName(c), clean(nb.LooksLike))
			case err != nil:
				return usageError("%s", strings.TrimPrefix(err.Error(), "bounce: "))
			}
			if o.format == "json" {
				if err := writeJSON(e.stdout, rep); err != nil {
					return err
				}
				return exitFor(rep.Status)
			}
			printBounceReport(&printer{w: e.stdout, color: o.color, width: o.width}, rep)
			return exitFor(rep.Status)
		},
	}
}

func inputName(c *cli.Context) string {
	if n := c.Args().First(); n != "-" {
		return n
	}
	return "standard input"
}

// printBounceReport prints one line per recipient with its reason and cause, then
// the findings with their fixes, then the checks that were run.
func printBounceReport(p *printer, rep *mailcheck.BounceReport) {
	kind := string(rep.Format)
	if rep.Source != "" {
		kind += " from " + rep.Source
	}
	if rep.ReportingMTA != "" {
		kind += ", reported by " + rep.ReportingMTA
	}
	p.line("%s  %s  %s", p.paint(ansiBold, "BOUNCE"), clean(kind), p.statusMark(rep.Status))
	var facts []string
	if rep.FromDomain != "" {
		facts = append(facts, "sender domain "+rep.FromDomain)
	}
	if rep.EnvelopeSender != "" {
		facts = append(facts, "envelope "+rep.EnvelopeSender)
	}
	if rep.SendingIP != "" {
		facts = append(facts, "sent from "+rep.SendingIP)
	}
	facts = append(facts, "returned: "+rep.Original)
	p.wrapped("  ", clean(strings.Join(facts, " · ")))
	if ar := rep.ReceiverSaw; ar != nil {
		p.line("  the receiver recorded: spf=%s dkim=%s dmarc=%s", clean(orDash(ar.SPF)), clean(orDash(ar.DKIM)), clean(orDash(ar.DMARC)))
	}
	p.line("")
	for _, b := range rep.Bounces {
		code := strings.TrimSpace(fmt.Sprintf("%s %s", replyText(b.ReplyCode), b.Status))
		p.wrapped("  ", fmt.Sprintf("%s  %s  %s  %s", clean(orDash(b.Recipient)), p.paint(ansiBold, string(b.Reason)), clean(orDash(code)), clean(b.Cause)))
	}
	for _, b := range rep.Bounces {
		p.line("")
		p.line("%s", p.paint(ansiBold, clean(orDash(b.Recipient))))
		if b.OriginalRecipient != "" {
			p.line("  sent to %s, forwarded", clean(b.OriginalRecipient))
		}
		if b.Diagnostic != "" {
			p.wrapped("  ", "reply: "+clean(b.Diagnostic))
		}
		if b.RemoteMTA != "" {
			p.line("  remote server: %s", clean(b.RemoteMTA))
		}
		p.findings(b.Findings)
	}
	for _, ch := range rep.Checks {
		p.line("")
		p.checkHeader(ch)
		p.findings(ch.Findings)
	}
}

func replyText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
