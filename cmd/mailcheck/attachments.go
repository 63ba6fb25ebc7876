package main

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/urfave/cli/v2"
)

func attachmentsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "attachments",
		Usage:     "check a message's attachments against receivers' blocked file types",
		ArgsUsage: "FILE|-",
		Description: "Reads one message (an .eml file, or - for standard input), walks every MIME part at\n" +
			"any depth (attached messages, uuencoded files, winmail.dat, zip, tar, gzip, bzip2,\n" +
			"7z and rar archives, ISO images, cabinets) and shows each file as a tree with its\n" +
			"names, its detected type and what each selected receiver does with it. Exits 1 when\n" +
			"a selected receiver rejects it.\n" +
			"Receivers: infomaniak (default), gmail, microsoft, outlook (hides, warning only), all.\n\n" +
			"Example: mailcheck attachments --receiver gmail --receiver microsoft invoice.eml",
		Flags: attachmentFlags(),
		Action: func(c *cli.Context) error {
			o, err := readOptions(c, e)
			if err != nil {
				return err
			}
			in, done, err := messageInput(c, e)
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel, err := checkContext(c)
			if err != nil {
				return err
			}
			defer cancel()
			check, err := mailcheck.CheckAttachments(ctx, in, mailcheck.WithAttachmentOptions(attachmentOptions(c)...))
			if err != nil {
				return usageError("%v", err)
			}
			if o.format == "json" {
				if err := writeJSON(e.stdout, check); err != nil {
					return err
				}
				return exitFor(check.Status)
			}
			p := &printer{w: e.stdout, color: o.color, width: o.width}
			p.line("%s  %s  %s", p.paint(ansiBold, "ATTACHMENTS"), clean(c.Args().First()), p.statusMark(check.Status))
			p.line("  %s", clean(check.Summary))
			if res, ok := check.Details.(*attachments.Report); ok {
				printAttachments(p, res)
			}
			p.findings(check.Findings)
			return exitFor(check.Status)
		},
	}
}

// printAttachments prints the receivers' verdicts, then each file as a tree.
func printAttachments(p *printer, res *attachments.Report) {
	if res.NotMessage != "" {
		return // the summary says so; there is nothing to list
	}
	p.line("")
	for _, v := range res.Receivers {
		mark := p.paint(ansiGreen, "accepts")
		switch v.Action {
		case attachments.Reject:
			mark = p.paint(ansiRed, "REJECTS")
		case attachments.Warn:
			mark = p.paint(ansiYellow, "hides  ")
		}
		line := fmt.Sprintf("  %-11s %s", clean(v.Receiver), mark)
		if v.Reason != "" {
			line += "  " + clean(v.Reason)
		}
		p.line("%s", line)
	}
	if len(res.Attachments) == 0 {
		p.line("")
		p.line("  (no attachments)")
		return
	}
	p.line("")
	for _, a := range res.Attachments {
		printFile(p, a, "  ", "")
	}
}

func printFile(p *printer, a attachments.Attachment, indent, branch string) {
	label := a.Part
	if a.Entry != "" && branch != "" {
		label = a.Entry
	} else if a.Entry != "" {
		label += " (" + a.Source + ") " + a.Entry
	}
	names := make([]string, 0, len(a.Names))
	for _, n := range a.Names {
		if n != a.Entry {
			names = append(names, fmt.Sprintf("%q", n))
		}
	}
	line := indent + branch + clean(label)
	if len(names) > 0 {
		line += "  " + clean(strings.Join(names, " | "))
	}
	facts := []string{}
	if a.Type != "" {
		facts = append(facts, string(a.Type))
	} else if a.ContentType != "" {
		facts = append(facts, clean(a.ContentType))
	}
	if a.Size > 0 {
		facts = append(facts, fmt.Sprintf("%d bytes", a.Size))
	}
	if a.Encrypted {
		facts = append(facts, "encrypted")
	}
	if len(facts) > 0 {
		line += "  " + p.paint(ansiDim, "["+strings.Join(facts, ", ")+"]")
	}
	// The verdict of every receiver, or one word when they all accept.
	var verdicts []string
	accepted := 0
	for _, v := range a.Verdicts {
		switch v.Action {
		case attachments.Reject:
			verdicts = append(verdicts, p.paint(ansiRed, v.Receiver+" rejects"))
		case attachments.Warn:
			verdicts = append(verdicts, p.paint(ansiYellow, v.Receiver+" hides"))
		default:
			accepted++
			verdicts = append(verdicts, v.Receiver+" accepts")
		}
	}
	if accepted == len(a.Verdicts) {
		line += "  " + p.paint(ansiGreen, "accepted")
	} else {
		line += "  " + strings.Join(verdicts, ", ")
	}
	p.line("%s", line)
	child := indent
	if branch != "" {
		child += "   "
	}
	for _, c := range a.Contents {
		printFile(p, c, child, "└─ ")
	}
}
