package main

import (
	"io"
	"os"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/urfave/cli/v2"
)

// attachmentFlags select the receivers' policies; `attachments` and `message` share them.
func attachmentFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "receiver", Usage: "judge attachments by this receiver's `NAME` policy (repeatable, or all)"},
		&cli.StringSliceFlag{Name: "block", Usage: "also reject this `EXTENSION` (e.g. .iso; repeatable)"},
	}
}

// attachmentOptions turns the shared flags into scan options; --timeout bounds the scan.
func attachmentOptions(c *cli.Context) []attachments.Option {
	opts := []attachments.Option{attachments.WithReceivers(c.StringSlice("receiver")...), attachments.WithBlocked(c.StringSlice("block")...)}
	if t := c.Duration("timeout"); t > 0 {
		opts = append(opts, attachments.WithLimits(attachments.Limits{Time: t}))
	}
	return opts
}

// messageInput opens FILE, or standard input for "-".
func messageInput(c *cli.Context, e *env) (io.Reader, func(), error) {
	if c.NArg() != 1 {
		return nil, nil, usageError("%s needs exactly one FILE argument, or - for standard input (got %d)", c.Command.Name, c.NArg())
	}
	name := c.Args().First()
	if name == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	return f, func() { f.Close() }, nil
}

func messageCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "message",
		Usage:     "check a message before sending: header, DKIM signatures and alignment, attachments, links and size",
		ArgsUsage: "FILE|-",
		Description: "Reads one message (an .eml file, or - for standard input) and reports what receivers\n" +
			"will make of it: the header as RFC 5322 requires it (one From, Date, Message-ID, no\n" +
			"repeated fields), every DKIM-Signature verified against the published key, with its\n" +
			"alignment to the From domain (adkim= from that domain's DMARC record), and every\n" +
			"attachment judged by the selected receivers' blocked types, the links of its text\n" +
			"(malformed, IP hosts, text showing another domain, HTML without text) and its size\n" +
			"against each selected receiver's maximum. DKIM keys are looked up\n" +
			"in DNS (or --zone). Exits 1 when something would be rejected, 3 when DNS failed.\n\n" +
			"Example: mailcheck message --receiver gmail outgoing.eml",
		Flags: append(attachmentFlags(),
			&cli.StringFlag{Name: "profile", Value: string(mailcheck.ProfileDefault), Usage: "bulk-sender also requires one-click unsubscribe (RFC 8058)"}),
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
			rep, err := mailcheck.CheckMessage(ctx, in, mailcheck.WithResolver(r),
				mailcheck.WithProfile(mailcheck.Profile(c.String("profile"))),
				mailcheck.WithAttachmentOptions(attachmentOptions(c)...))
			if err != nil {
				return usageError("%v", err)
			}
			statuses := make([]mailcheck.Status, len(rep.Checks))
			for i, ch := range rep.Checks {
				statuses[i] = ch.Status
			}
			if o.format == "json" {
				if err := writeJSON(e.stdout, rep); err != nil {
					return err
				}
				return exitFor(statuses...)
			}
			p := &printer{w: e.stdout, color: o.color, width: o.width}
			from := rep.FromDomain
			if from == "" {
				from = "(no From domain)"
			}
			p.line("%s  from %s  %s", p.paint(ansiBold, "MESSAGE"), clean(from), p.statusMark(rep.Status))
			for _, ch := range rep.Checks {
				p.line("")
				p.line("%s  %s", p.paint(ansiBold, strings.ToUpper(ch.ID)), p.statusMark(ch.Status))
				p.wrapped("  ", clean(ch.Summary))
				switch d := ch.Details.(type) {
				case *attachments.Report:
					printAttachments(p, d)
				case *dkim.MessageReport:
					printSignatures(p, d)
				case *mailcheck.ContentReport:
					printSizeLimits(p, d)
				}
				p.findings(ch.Findings)
			}
			return exitFor(statuses...)
		},
	}
}

// printSignatures prints one line per DKIM-Signature: signer, selector, algorithm,
// result and alignment.
func printSignatures(p *printer, res *dkim.MessageReport) {
	for _, s := range res.Signatures {
		line := "    d=" + clean(s.Domain) + " s=" + clean(s.Selector) + " " + clean(s.Algorithm) + "  " + string(s.Result)
		if s.Reason != "" {
			line += " (" + clean(string(s.Reason)) + ")"
		}
		if s.Aligned {
			line += "  aligned with From"
		}
		p.line("%s", line)
	}
}

// printSizeLimits prints the message size against each selected receiver's maximum.
func printSizeLimits(p *printer, c *mailcheck.ContentReport) {
	if c.Size == nil {
		return
	}
	for _, l := range c.Size.Limits {
		verdict := "fits"
		if l.Exceeded {
			verdict = "TOO LARGE"
		}
		p.line("    %-11s max %d bytes  %s", clean(l.Receiver), l.MaxBytes, verdict)
	}
}
