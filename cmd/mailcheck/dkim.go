package main

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/urfave/cli/v2"
)

func dkimCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "dkim",
		Usage:     "check the domain's DKIM keys: the selectors given, and common ones probed",
		ArgsUsage: "DOMAIN",
		Description: "Looks up <selector>._domainkey.DOMAIN for every --selector and, because DNS cannot\n" +
			"list selectors, probes common ones (Google, Microsoft 365, Mailchimp, SendGrid, ...;\n" +
			"providers seen in the MX and SPF records first). Each key is linted: syntax (RFC 6376\n" +
			"§3.6.1), type, size (RFC 8301: under 1024 bits fails, 1024 warns), revocation, h=sha1,\n" +
			"s=, t=y testing. Finding no key among the probed selectors is inconclusive: take the\n" +
			"selector from the s= tag of a DKIM-Signature in a message you sent.\n\n" +
			"Example: mailcheck dkim example.com --selector s2024 --format json",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "selector", Usage: "also look up this `SELECTOR` (repeatable); reported missing when absent"},
		},
		Action: func(c *cli.Context) error {
			run, cancel, err := startDomainRun(c, e)
			if err != nil {
				return err
			}
			defer cancel()
			check, err := mailcheck.CheckDKIM(run.ctx, run.domain.ASCII, mailcheck.WithResolver(run.resolver), mailcheck.WithSelectors(c.StringSlice("selector")...))
			if err != nil {
				return usageError("%s", strings.TrimPrefix(strings.TrimPrefix(err.Error(), "dkim: "), "dnscheck: "))
			}
			return run.emit(check, func(p *printer) {
				if res, ok := check.Details.(*dkim.Report); ok {
					printDKIMKeys(p, res)
				}
			})
		},
	}
}

func printDKIMKeys(p *printer, res *dkim.Report) {
	for _, k := range res.Keys {
		p.line("    %s", strings.Join(dkimKeyLine(k), "  "))
	}
	if res.Probed > 0 {
		line := fmt.Sprintf("    probed %d common selectors", res.Probed)
		if len(res.Providers) > 0 {
			line += "; providers seen in MX/SPF, probed first: " + clean(strings.Join(res.Providers, ", "))
		}
		p.line("%s", line)
	}
}

// dkimKeyLine is one key's facts: selector, type and size, flags, CNAME target.
func dkimKeyLine(k *dkim.KeyResult) []string {
	parts := []string{clean(k.Selector)}
	switch {
	case k.Status == dkim.KeyMissing:
		return append(parts, "missing ("+clean(k.Rcode)+")")
	case k.Status == dkim.KeyDNSError:
		return append(parts, "lookup failed ("+clean(k.Rcode)+")")
	case k.Key == nil:
		parts = append(parts, "unusable record")
	case k.Key.Revoked:
		parts = append(parts, "revoked")
	case k.Key.Material == dkim.KeyEd25519:
		parts = append(parts, "Ed25519")
	default:
		parts = append(parts, fmt.Sprintf("RSA %d", k.Key.Bits))
	}
	if k.Key != nil {
		if k.Key.Format == dkim.FormatPKCS1 {
			parts = append(parts, "PKCS#1")
		}
		if k.Key.Testing {
			parts = append(parts, "t=y")
		}
		if k.Key.Strict {
			parts = append(parts, "t=s")
		}
	}
	if k.Provider != "" && k.Provider != "generic" {
		parts = append(parts, "(usual for "+clean(k.Provider)+")")
	}
	if k.CNAME != "" {
		parts = append(parts, "→ "+clean(k.CNAME))
	}
	return parts
}
