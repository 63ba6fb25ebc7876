package main

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/mtasts"
	"github.com/mailcheck/mailcheck/smtpprobe"
	"github.com/urfave/cli/v2"
)

// transportFlags are the flags of the transport checks, on the report and on
// `mailcheck transport`.
func transportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "probe-smtp", Usage: "connect to every MX address on port 25 and check STARTTLS, the TLS version and the certificate (off by default: many networks block port 25)"},
		&cli.StringSliceFlag{Name: "ca-file", Usage: "also trust the PEM certificates in `FILE` (repeatable) for the MTA-STS fetch and the SMTP probe"},
		&cli.IntFlag{Name: "https-port", Usage: "for tests only: fetch the MTA-STS policy from this `PORT` instead of 443"},
		&cli.IntFlag{Name: "smtp-port", Usage: "for tests only: probe SMTP on this `PORT` instead of 25"},
	}
}

// transportOptions reads the transport flags.
func transportOptions(c *cli.Context) ([]mailcheck.Option, error) {
	var opts []mailcheck.Option
	if c.Bool("probe-smtp") {
		opts = append(opts, mailcheck.WithSMTPProbe())
	}
	for _, f := range c.StringSlice("ca-file") {
		opts = append(opts, mailcheck.WithCAFile(f))
	}
	for _, name := range []string{"https-port", "smtp-port"} {
		if p := c.Int(name); c.IsSet(name) && (p < 1 || p > 65535) {
			return nil, usageError("--%s must be a port number (1–65535), not %d", name, p)
		}
	}
	if p := c.Int("https-port"); p != 0 {
		opts = append(opts, mailcheck.WithHTTPSPort(p))
	}
	if p := c.Int("smtp-port"); p != 0 {
		opts = append(opts, mailcheck.WithSMTPPort(p))
	}
	return opts, nil
}

func transportCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "transport",
		Aliases:   []string{"mtasts"},
		Usage:     "how mail reaches the domain: MTA-STS, TLS-RPT, BIMI, and the STARTTLS probe with --probe-smtp",
		ArgsUsage: "DOMAIN",
		Description: "Checks the MTA-STS record and policy (RFC 8461) as a sender fetches it, whether\n" +
			"the policy covers every MX host, the TLS-RPT record (RFC 8460) and the BIMI record with\n" +
			"the domain's eligibility. With --probe-smtp it also connects to every MX address on\n" +
			"port 25: STARTTLS, TLS version and cipher, certificate names and expiry (QUIT after the\n" +
			"handshake; no message is ever started).\n\n" +
			"Examples:\n" +
			"   mailcheck transport example.com\n" +
			"   mailcheck transport example.com --probe-smtp --format json",
		Flags: transportFlags(),
		Action: func(c *cli.Context) error {
			run, cancel, err := startDomainRun(c, e)
			if err != nil {
				return err
			}
			defer cancel()
			opts, err := transportOptions(c)
			if err != nil {
				return err
			}
			checks, err := mailcheck.CheckTransport(run.ctx, run.domain.ASCII, append(opts, mailcheck.WithResolver(run.resolver))...)
			if err != nil {
				return usageError("%s", strings.TrimPrefix(err.Error(), "mailcheck: "))
			}
			statuses := make([]mailcheck.Status, len(checks))
			for i, ch := range checks {
				statuses[i] = ch.Status
			}
			if run.opts.format == "json" {
				if err := writeJSON(e.stdout, map[string]any{"domain": run.domain.ASCII, "checks": checks}); err != nil {
					return err
				}
				return exitFor(statuses...)
			}
			p := &printer{w: e.stdout, color: run.opts.color, width: run.opts.width}
			for i, ch := range checks {
				if i > 0 {
					p.line("")
				}
				p.checkHeader(ch)
				if d := checkDetails(ch); d != nil {
					d(p)
				}
				p.findings(ch.Findings)
			}
			return exitFor(statuses...)
		},
	}
}

func printMTASTS(p *printer, r *mtasts.Report) {
	if len(r.Records) > 0 {
		p.line("    record    %s", quoteRecord(r.Records[0]))
	}
	if f := r.Fetch; f != nil && f.Failure != mtasts.KindNoHost {
		status := "fetched"
		if f.Failure != "" {
			status = clean(f.Error)
		}
		p.line("    policy    %s  (%s)", clean(f.URL), status)
		if c := f.Certificate; c != nil {
			p.line("    cert      %s, issued by %s, expires %s", clean(strings.Join(c.Names, " ")), clean(c.Issuer), c.NotAfter.UTC().Format("2006-01-02"))
		}
	}
	if r.Policy != nil && len(r.Problems) == 0 {
		p.line("    mode      %s, max_age %d, mx %s", r.Policy.Mode, r.Policy.MaxAge, clean(strings.Join(r.Policy.MX, " ")))
	}
	for _, m := range r.MX {
		cover := "covered by " + clean(m.Pattern)
		if m.Pattern == "" {
			cover = "NOT COVERED"
		}
		p.line("    mx        %s  %s", clean(m.Host), cover)
	}
}

func printSMTPProbe(p *printer, r *smtpprobe.Report) {
	for _, h := range r.Hosts {
		line := fmt.Sprintf("    %s %s  %s", clean(h.Host), h.Address, h.Outcome)
		if h.TLSVersion != "" {
			line += fmt.Sprintf("  %s %s", h.TLSVersion, h.CipherSuite)
		} else if h.Banner != "" && !h.STARTTLS {
			line += "  no STARTTLS"
		}
		if len(h.Chain) > 0 {
			line += fmt.Sprintf("  cert %s (expires %s)", clean(strings.Join(h.Chain[0].Names, " ")), h.Chain[0].NotAfter.UTC().Format("2006-01-02"))
		}
		p.line("%s", line)
	}
	if r.Skipped > 0 {
		p.line("    %d more address(es) not probed", r.Skipped)
	}
}

// quoteRecord prints a DNS record in quotes with control characters escaped.
func quoteRecord(s string) string { return `"` + clean(s) + `"` }
