package main

import (
	"fmt"
	"io"
	"net/netip"
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
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		return nil, nil, usageError("%s is a directory; give a message file (e.g. message.eml), or - to read standard input", name)
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
			"in DNS (or --zone). With --ip (and --sender, --helo) it checks the envelope's SPF too\n" +
			"and predicts DMARC as the receiver computes it: pass or fail, through which aligned\n" +
			"identifier, and the policy applied (p, sp, np, t=y). The first line is the verdict.\n" +
			"--format authres prints the Authentication-Results field a receiver would add.\n" +
			"Exits 1 when something would be rejected (DMARC failing under quarantine or reject\n" +
			"included), 3 when DNS failed.\n\n" +
			"Examples:\n" +
			"   mailcheck message --receiver gmail outgoing.eml\n" +
			"   mailcheck message --ip 203.0.113.5 --sender bounce@example.com outgoing.eml\n" +
			"   mailcheck message --ip 203.0.113.5 --format authres - < outgoing.eml",
		Flags: append(attachmentFlags(),
			&cli.StringFlag{Name: "profile", Value: string(mailcheck.ProfileDefault), Usage: "`PROFILE`: default, or bulk-sender (also requires one-click unsubscribe, RFC 8058, signed)"},
			&cli.StringFlag{Name: "ip", Usage: "the sending server's `IP`: adds the envelope's SPF check and SPF alignment to the DMARC prediction"},
			&cli.StringFlag{Name: "sender", Usage: "MAIL FROM `ADDR` (<> for the null sender; default: the Return-Path field, else From)"},
			&cli.StringFlag{Name: "helo", Usage: "HELO/EHLO `NAME` (its SPF is checked when MAIL FROM is <>)"},
			&cli.BoolFlag{Name: "expect-signing", Usage: "the MTA DKIM-signs after this check: assume an aligned signature"},
			&cli.StringFlag{Name: "authserv-id", Value: "mailcheck.invalid", Usage: "the receiver `NAME` in --format authres"},
			&cli.BoolFlag{Name: "reputation", Usage: "also look the message's link domains up in DNS blocklists (Spamhaus DBL, SURBL), through your own resolver"}),
		Action: func(c *cli.Context) error {
			o, err := readOptions(c, e, "authres")
			if err != nil {
				return err
			}
			opts := []mailcheck.Option{
				mailcheck.WithProfile(mailcheck.Profile(c.String("profile"))),
				mailcheck.WithAttachmentOptions(attachmentOptions(c)...),
				mailcheck.WithAuthservID(c.String("authserv-id")),
			}
			if c.Bool("expect-signing") {
				opts = append(opts, mailcheck.WithExpectSigning())
			}
			if c.Bool("reputation") {
				opts = append(opts, mailcheck.WithReputation(true))
			}
			if s := c.String("ip"); s != "" {
				ip, err := netip.ParseAddr(strings.TrimSpace(s))
				if err != nil {
					return usageError("--ip %q is not an IP address", s)
				}
				opts = append(opts, mailcheck.WithEnvelope(ip, c.String("sender"), c.String("helo")))
			} else if c.String("sender") != "" || c.String("helo") != "" {
				return usageError("--sender and --helo describe the envelope and need --ip, the sending server's address")
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
			rep, err := mailcheck.CheckMessage(ctx, in, append(opts, mailcheck.WithResolver(r))...)
			if err != nil {
				return usageError("%v", err)
			}
			statuses := make([]mailcheck.Status, len(rep.Checks))
			for i, ch := range rep.Checks {
				statuses[i] = ch.Status
			}
			switch o.format {
			case "json":
				if err := writeJSON(e.stdout, rep); err != nil {
					return err
				}
				return exitFor(statuses...)
			case "authres":
				// One field, LF line ends for the shell; the library's value has CRLF.
				fmt.Fprintln(e.stdout, strings.ReplaceAll(rep.AuthenticationResults, "\r\n", "\n"))
				return exitFor(statuses...)
			}
			p := &printer{w: e.stdout, color: o.color, width: o.width}
			from := rep.FromDomain
			if from == "" {
				from = "(no From domain)"
			}
			p.line("%s", clean(rep.Verdict.Line)) // one line, as promised: never wrapped
			p.line("")
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
