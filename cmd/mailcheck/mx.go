package main

import (
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/urfave/cli/v2"
)

func mxCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "mx",
		Usage:     "check the domain's MX records and the addresses of its mail servers",
		ArgsUsage: "DOMAIN",
		Description: "Looks up DOMAIN's MX set (RFC 5321 §5.1), resolves every target and reports\n" +
			"null MX (RFC 7505), CNAME targets, IP literals, targets without addresses or with\n" +
			"private addresses, duplicates, and a missing MX (mail then falls back to A/AAAA).\n\n" +
			"Example: mailcheck mx example.com --format json",
		Action: func(c *cli.Context) error {
			run, cancel, err := startDomainRun(c, e)
			if err != nil {
				return err
			}
			defer cancel()
			check, err := mailcheck.CheckMX(run.ctx, run.domain.ASCII, mailcheck.WithResolver(run.resolver))
			if err != nil {
				return usageError("%v", err)
			}
			return run.emit(check, func(p *printer) {
				if res, ok := check.Details.(*dnscheck.MXReport); ok {
					printMXHosts(p, res)
				}
			})
		},
	}
}

func printMXHosts(p *printer, res *dnscheck.MXReport) {
	for _, h := range res.Hosts {
		if h.Host == "." {
			continue
		}
		addrs := make([]string, len(h.Addresses))
		for i, a := range h.Addresses {
			addrs[i] = a.String()
		}
		line := "    " + clean(strings.TrimSuffix(h.Host, "."))
		if h.CNAME != "" {
			line += " → " + clean(strings.TrimSuffix(h.CNAME, "."))
		}
		if len(addrs) > 0 {
			line += "  " + strings.Join(addrs, " ")
		}
		p.line("  %3d %s", h.Preference, strings.TrimSpace(line))
	}
}
