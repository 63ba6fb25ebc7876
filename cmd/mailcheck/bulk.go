package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/urfave/cli/v2"
)

func bulkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "bulk",
		Usage:     "report on many domains: one line each, or one JSON report per line",
		ArgsUsage: "FILE|-",
		Description: "Reads domains one per line from FILE (or - for standard input; blank lines and\n" +
			"lines starting with # are skipped; in a CSV the first column is used), checks them\n" +
			"--concurrency at a time on one shared resolver, and prints one line per domain in\n" +
			"input order: grade, score, the checks that failed, and the top fix. With --format\n" +
			"json each line is a full report (JSON Lines); a domain that cannot be checked is\n" +
			"{\"domain\": ..., \"error\": ...}. --timeout bounds each domain. Exit code: 1 when any\n" +
			"domain fails a check or cannot be checked, 3 when some are incomplete, else 0.\n\n" +
			"Example: mailcheck bulk --concurrency 32 --format json domains.txt > reports.jsonl",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "concurrency", Value: mailcheck.DefaultConcurrency, Usage: "check `N` domains at once"},
			&cli.StringFlag{Name: "profile", Value: string(mailcheck.ProfileDefault), Usage: "default, bulk-sender or parked, for every domain"},
			&cli.BoolFlag{Name: "trust-ad", Usage: "deprecated, no effect: mailcheck validates DNSSEC itself (see --trust-anchor)"},
		},
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
			domains, err := readDomains(in)
			if err != nil {
				return usageError("reading the domain list: %v", err)
			}
			if n := c.Int("concurrency"); n < 1 || n > 1024 {
				return usageError("--concurrency must be between 1 and 1024, not %d", n)
			}
			r, err := newResolver(c)
			if err != nil {
				return err
			}
			opts := []mailcheck.Option{mailcheck.WithResolver(r), mailcheck.WithConcurrency(c.Int("concurrency")),
				mailcheck.WithProfile(mailcheck.Profile(c.String("profile"))), mailcheck.WithTimeout(c.Duration("timeout"))}
			if c.Bool("trust-ad") {
				opts = append(opts, mailcheck.WithTrustAD())
			}
			p := &printer{w: e.stdout, color: o.color, width: o.width}
			if o.format == "text" {
				p.line("%-32s %-5s %7s  %s", "DOMAIN", "GRADE", "SCORE", "PROBLEMS")
			}
			code := exitOK
			err = mailcheck.CheckDomains(c.Context, domains, func(res mailcheck.DomainResult) {
				code = max(code, bulkExit(res))
				if o.format == "json" {
					writeBulkJSON(e, res)
					return
				}
				printBulkLine(p, res)
			}, opts...)
			if err != nil {
				return usageError("%v", err)
			}
			if code == exitOK {
				return nil
			}
			return &exitError{code: code}
		},
	}
}

// readDomains reads one domain per line, skipping blanks and # comments; a CSV line
// contributes its first column.
func readDomains(r interface{ Read([]byte) (int, error) }) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, ",;\t"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		out = append(out, line)
	}
	return out, sc.Err()
}

// bulkExit ranks one domain's outcome by the exit code it calls for (1 outranks 3).
func bulkExit(res mailcheck.DomainResult) int {
	switch {
	case res.Err != nil || res.Report.Failed():
		return exitFail
	case res.Report.Incomplete: // no grade: "?" and the score range
		return exitIncomplete
	}
	return exitOK
}

func writeBulkJSON(e *env, res mailcheck.DomainResult) {
	var v any = res.Report
	if res.Err != nil {
		v = map[string]string{"domain": res.Domain, "error": strings.TrimPrefix(res.Err.Error(), "dnscheck: ")}
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"domain":%q,"error":%q}`, res.Domain, err.Error()))
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
}

func printBulkLine(p *printer, res mailcheck.DomainResult) {
	if res.Err != nil {
		p.line("%-32s %-5s %7s  %s", clean(res.Domain), "-", "-", p.paint(ansiRed, clean(strings.TrimPrefix(res.Err.Error(), "dnscheck: "))))
		return
	}
	rep := res.Report
	var problems []string
	for _, c := range rep.Checks {
		switch c.Status {
		case mailcheck.StatusFail:
			problems = append(problems, c.ID+" fails")
		case mailcheck.StatusError:
			problems = append(problems, c.ID+" incomplete")
		}
	}
	if len(rep.FixFirst) > 0 {
		problems = append(problems, "fix first: "+rep.FixFirst[0].Title)
	}
	p.line("%-32s %-5s %7s  %s", clean(rep.Domain), p.gradeMark(rep.Grade), scoreText(rep), clean(strings.Join(problems, "; ")))
}
