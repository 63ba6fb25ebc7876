package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/mtasts"
	"github.com/mailcheck/mailcheck/smtpprobe"
	"github.com/mailcheck/mailcheck/spf"
	"github.com/urfave/cli/v2"
)

// reportFlags are the flags of the full report, on the app (for `mailcheck DOMAIN`)
// and on the `check` command.
func reportFlags() []cli.Flag {
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "profile", Value: string(mailcheck.ProfileDefault),
			Usage: "what to expect (`PROFILE`): default, bulk-sender (Gmail/Yahoo/Microsoft sender rules as a checklist) or parked (sends no mail)"},
		&cli.StringSliceFlag{Name: "selector", Usage: "also look up this DKIM `SELECTOR` (repeatable)"},
		&cli.StringSliceFlag{Name: "ip", Usage: "a sending `IP` (repeatable): SPF is evaluated for it, and its reverse DNS checked"},
		&cli.IntFlag{Name: "min-score", Usage: "exit 1 when the score is below `N` (0–100; for CI jobs that watch their domains); exit 3 when DNS failures leave it unknown whether it is"},
		&cli.BoolFlag{Name: "no-reputation", Usage: "do not look the sending IPs, MX addresses and domain up in DNS blocklists (Spamhaus, SpamCop, ...)"},
	}, transportFlags()...)
	// In the app's help these stand apart from the flags every command takes: they
	// belong to the full report (`mailcheck DOMAIN`), and only check also takes them.
	const category = "The full report (mailcheck DOMAIN, mailcheck check DOMAIN)"
	for _, f := range flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Category = category
		case *cli.StringSliceFlag:
			f.Category = category
		case *cli.IntFlag:
			f.Category = category
		case *cli.BoolFlag:
			f.Category = category
		}
	}
	return flags
}

const reportDescription = "Runs the MX, SPF, DMARC, DKIM and transport (MTA-STS, TLS-RPT, BIMI; the STARTTLS\n" +
	"probe with --probe-smtp) checks concurrently on one resolver and prints a\n" +
	"scored report: a grade A–F and a score 0–100 (the weighted mean of the categories DMARC 30,\n" +
	"SPF 20, DKIM 20, MX and transport 15, DNS hygiene 15; see SCORING.md), each finding with\n" +
	"its fix, and the changes that gain the most points first. A DNS failure is not a failure:\n" +
	"the item is unknown, the score becomes the range it could take, the grade is ? and the\n" +
	"report is marked incomplete (exit 3).\n\n" +
	"Examples:\n" +
	"   mailcheck example.com\n" +
	"   mailcheck example.com --profile bulk-sender --ip 192.0.2.10 --selector s2024\n" +
	"   mailcheck --zone testdata/zones/demo.zone example.com --format json"

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "check",
		Usage:       "the full scored report for a domain (the same as `mailcheck DOMAIN`)",
		ArgsUsage:   "DOMAIN",
		Description: reportDescription,
		Flags:       reportFlags(),
		Action:      func(c *cli.Context) error { return reportAction(c, e) },
	}
}

func reportAction(c *cli.Context, e *env) error {
	run, cancel, err := startDomainRun(c, e)
	if err != nil {
		return err
	}
	defer cancel()
	opts := []mailcheck.Option{
		mailcheck.WithResolver(run.resolver),
		mailcheck.WithProfile(mailcheck.Profile(c.String("profile"))),
		mailcheck.WithSelectors(c.StringSlice("selector")...),
		mailcheck.WithReputation(!c.Bool("no-reputation")),
	}
	topts, err := transportOptions(c)
	if err != nil {
		return err
	}
	opts = append(opts, topts...)
	min, minSet := c.Int("min-score"), c.IsSet("min-score")
	if minSet && (min < 0 || min > 100) {
		return usageError("--min-score must be between 0 and 100, not %d", min)
	}
	for _, s := range c.StringSlice("ip") {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return usageError("--ip %q is not an IP address", s)
		}
		opts = append(opts, mailcheck.WithSendingIPs(ip))
	}
	rep, err := mailcheck.CheckDomain(run.ctx, run.domain.ASCII, opts...)
	if err != nil {
		return usageError("%s", strings.TrimPrefix(err.Error(), "mailcheck: "))
	}
	if run.opts.format == "json" {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		printReport(&printer{w: e.stdout, color: run.opts.color, width: run.opts.width, brief: true}, rep)
	}
	if minSet {
		switch {
		case rep.ScoreMax < min:
			return &exitError{code: exitFail, msg: fmt.Sprintf("score %s is below --min-score %d", scoreText(rep), min)}
		case rep.ScoreMin < min:
			return &exitError{code: exitIncomplete, msg: fmt.Sprintf("score %s may be below --min-score %d: DNS failures left it unknown", scoreText(rep), min)}
		}
	}
	return reportExit(rep)
}

// reportExit is 1 when a check failed, else 3 when the report is incomplete, else 0.
func reportExit(rep *mailcheck.Report) error {
	statuses := make([]mailcheck.Status, 0, len(rep.Checks)+1)
	for _, ch := range rep.Checks {
		statuses = append(statuses, ch.Status)
	}
	if rep.Incomplete {
		statuses = append(statuses, mailcheck.StatusError)
	}
	return exitFor(statuses...)
}

// scoreText is the score, or the range it could take when the report is incomplete.
func scoreText(rep *mailcheck.Report) string {
	if rep.ScoreMin == rep.ScoreMax {
		return fmt.Sprint(rep.Score)
	}
	return fmt.Sprintf("%d–%d", rep.ScoreMin, rep.ScoreMax)
}

// checkDetails returns the printer of a check's facts, by the type of its details.
func checkDetails(c *mailcheck.Check) func(*printer) {
	switch d := c.Details.(type) {
	case *dnscheck.MXReport:
		return func(p *printer) { printMXHosts(p, d) }
	case *spf.Report:
		return func(p *printer) { printSPFTree(p, d) }
	case *dmarc.Report:
		return func(p *printer) { printDMARC(p, d) }
	case *dkim.Report:
		return func(p *printer) { printDKIMKeys(p, d) }
	case *mtasts.Report:
		return func(p *printer) { printMTASTS(p, d) }
	case *smtpprobe.Report:
		return func(p *printer) { printSMTPProbe(p, d) }
	}
	return nil
}

func (p *printer) gradeMark(grade mailcheck.Grade) string {
	switch grade {
	case "A", "B":
		return p.paint(ansiGreen+ansiBold, grade.String())
	case "C":
		return p.paint(ansiYellow+ansiBold, grade.String())
	case "":
		return p.paint(ansiYellow+ansiBold, grade.String())
	}
	return p.paint(ansiRed+ansiBold, grade.String())
}

func printReport(p *printer, rep *mailcheck.Report) {
	name := clean(rep.Domain)
	if rep.DomainUnicode != "" {
		name += " (" + clean(rep.DomainUnicode) + ")"
	}
	p.line("%s  grade %s  score %s/100", p.paint(ansiBold, name), p.gradeMark(rep.Grade), scoreText(rep))
	p.line("%s", p.paint(ansiDim, fmt.Sprintf("profile %s · scoring %s · %d DNS queries · %d ms",
		rep.Profile, rep.ScoringVersion, rep.Queries.Sent, rep.ElapsedMS)))
	if rep.Incomplete {
		p.line("%s", p.paint(ansiRed, fmt.Sprintf("INCOMPLETE: DNS failures left some items unknown: the score could be anywhere from %d to %d, so there is no grade. Re-run, or fix the name servers named below.", rep.ScoreMin, rep.ScoreMax)))
	}
	for _, c := range rep.Caps {
		p.wrapped("", fmt.Sprintf("Grade held at %s or lower: %s", c.MaxGrade, clean(c.Reason)))
	}
	p.line("")
	for _, cat := range rep.Categories {
		score := "n/a"
		if cat.Score >= 0 {
			score = fmt.Sprintf("%3d%%", cat.Score)
		}
		p.line("  %-18s %-5s %s  (weight %d)", cat.Name, score, bar(cat.Score), cat.Weight)
	}
	for _, c := range rep.Checks {
		p.line("")
		p.checkHeader(c)
		if c.Points != nil && c.Points.Possible > 0 {
			p.line("  %s", p.paint(ansiDim, fmt.Sprintf("%d of %d points", c.Points.Earned, c.Points.Possible)))
		}
		if d := checkDetails(c); d != nil {
			d(p)
		}
		p.findings(c.Findings)
	}
	if len(rep.Checklist) > 0 {
		p.line("")
		p.line("%s", p.paint(ansiBold, "Bulk-sender requirements (Gmail, Yahoo, Microsoft)"))
		for _, it := range rep.Checklist {
			p.wrapped("  ", fmt.Sprintf("%-14s %s: %s", checklistMark(it.State), it.Name, clean(it.Detail)))
		}
	}
	if len(rep.FixFirst) > 0 {
		p.line("")
		p.line("%s", p.paint(ansiBold, "Fix first"))
		for i, f := range rep.FixFirst {
			p.wrapped("  ", fmt.Sprintf("%d. %s (+%.1f points): %s", i+1, clean(f.Title), f.Gain, clean(f.Fix)))
			p.fixRecords("     ", f.FixRecords)
		}
	}
}

func checklistMark(s mailcheck.ChecklistState) string {
	switch s {
	case mailcheck.ChecklistMet:
		return "[met]"
	case mailcheck.ChecklistNotMet:
		return "[NOT MET]"
	case mailcheck.ChecklistCheckedOnMessages:
		return "[on messages]"
	case mailcheck.ChecklistNotMeasurable:
		return "[not in DNS]"
	}
	return "[unknown]"
}

// bar draws a 10-cell score bar.
func bar(score int) string {
	if score < 0 {
		return strings.Repeat("·", 10)
	}
	n := (score + 5) / 10
	return strings.Repeat("█", n) + strings.Repeat("░", 10-n)
}
