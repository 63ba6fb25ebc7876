package main

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/urfave/cli/v2"
)

func dmarcCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "dmarc",
		Usage:     "check the DMARC policy that applies to the domain and where its reports go",
		ArgsUsage: "DOMAIN",
		Description: "Finds the DMARC record for DOMAIN by the RFC 9989 DNS Tree Walk (and as RFC 7489\n" +
			"receivers do, with the Public Suffix List), shows every tag with its value and\n" +
			"whether it is explicit or a default, the policy for the domain and its subdomains\n" +
			"(after inheritance, np and t=y), and checks each rua/ruf destination: external\n" +
			"authorization (<domain>._report._dmarc.<host>) and whether its domain takes mail.\n\n" +
			"Example: mailcheck dmarc example.com --format json",
		Action: func(c *cli.Context) error {
			run, cancel, err := startDomainRun(c, e)
			if err != nil {
				return err
			}
			defer cancel()
			check, err := mailcheck.CheckDMARC(run.ctx, run.domain.ASCII, mailcheck.WithResolver(run.resolver))
			if err != nil {
				return usageError("%v", err)
			}
			return run.emit(check, func(p *printer) {
				if res, ok := check.Details.(*dmarc.Report); ok {
					printDMARC(p, res)
				}
			})
		},
	}
}

var sourceWords = map[dmarc.Source]string{
	dmarc.AtDomain:               "the domain's own record",
	dmarc.AtOrganizationalDomain: "inherited from the organizational domain",
	dmarc.AtPublicSuffixDomain:   "inherited from the public suffix domain (psd=y)",
}

func printDMARC(p *printer, r *dmarc.Report) {
	disc := r.Discovery
	p.line("")
	p.line("  walked    %s", walkLine(disc))
	// Several records at one name are all discarded (RFC 9989 §4.10): show each, so the
	// reader sees which one to keep.
	for _, l := range disc.Lookups {
		if len(l.DMARC) < 2 {
			continue
		}
		p.line("  records   %d at %s, all ignored:", len(l.DMARC), clean(l.Name))
		for i, t := range l.DMARC {
			p.line("            %d. %s", i+1, clean(t))
		}
	}
	if r.Record == nil {
		p.line("  RFC 9989  %s", clean(disc.RFC9989.Reason))
		if disc.RFC7489.Applies {
			p.line("  RFC 7489  policy %s from _dmarc.%s", disc.RFC7489.Policy, clean(disc.RFC7489.PolicyDomain))
		}
		return
	}
	p.line("  record    %s", clean(r.RecordText))
	found := clean(r.FoundAt) + " (" + sourceWords[r.Source] + ")"
	if l := disc.Lookup(disc.RFC9989.PolicyDomain); l != nil && l.CNAME != "" {
		found += ", via CNAME to " + clean(l.CNAME)
	}
	p.line("  found at  %s", found)
	p.line("  policy    %s for %s; %s for subdomains; %s for non-existent subdomains",
		r.EffectivePolicy, clean(r.Domain), r.SubdomainPolicy, r.NonexistentPolicy)
	if l := disc.RFC7489; !l.Applies {
		p.line("  RFC 7489  no policy: %s", clean(l.Reason))
	} else if l.PolicyDomain != disc.RFC9989.PolicyDomain || l.Policy != r.EffectivePolicy || l.Percent != 100 {
		line := fmt.Sprintf("policy %s from _dmarc.%s", l.Policy, clean(l.PolicyDomain))
		if l.Percent != 100 {
			line += fmt.Sprintf(", applied to %d%% of failing mail (pct)", l.Percent)
		}
		p.line("  RFC 7489  %s", line)
	}

	if p.brief {
		return // the domain report shows the policy, not the tag table
	}
	p.line("")
	// The value column is as wide as the longest value (a long rua is rare), so the
	// table fits 80 columns in the usual case.
	width := len("VALUE")
	for _, s := range r.Tags {
		width = max(width, min(len(clean(s.Value)), 40), len("(none)"))
	}
	p.line("  %-6s %-*s %-9s %s", "TAG", width, "VALUE", "SET", "MEANING")
	for _, s := range r.Tags {
		v := s.Value
		if v == "" {
			v = "(none)"
		}
		set := fmt.Sprintf("%-9s", "default")
		if s.Explicit {
			set = p.paint(ansiBold, fmt.Sprintf("%-9s", "explicit"))
		}
		p.line("  %-6s %-*s %s %s", s.Tag, width, clean(v), set, s.Meaning)
	}

	if len(r.Destinations) > 0 {
		p.line("")
		p.line("  report destinations")
		for _, d := range r.Destinations {
			state := "internal"
			if d.External {
				state = "external, " + string(d.Authorization)
				if len(d.Override) > 0 {
					state += " (reports go to " + clean(strings.Join(d.Override, ", ")) + ")"
				}
			}
			mail := ""
			if d.Mail != dmarc.NotMail {
				mail = "; mail: " + string(d.Mail)
			}
			p.line("    %-4s %s  %s%s", d.Tag, clean(d.URI.String()), state, mail)
		}
	}
}

// walkLine shows the names queried and what each held.
func walkLine(d *dmarc.Discovery) string {
	parts := make([]string, 0, len(d.Lookups))
	for _, l := range d.Lookups {
		what := "none"
		switch {
		case l.Failed():
			what = "DNS error"
		case len(l.DMARC) > 1:
			what = fmt.Sprintf("%d records, ignored", len(l.DMARC))
		case l.Record != nil:
			what = "record"
		case len(l.DMARC) == 1:
			what = "invalid record"
		}
		parts = append(parts, clean(l.Name)+" ("+what+")")
	}
	return strings.Join(parts, " → ")
}
