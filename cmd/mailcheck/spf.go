package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/spf"
	"github.com/urfave/cli/v2"
)

func spfCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "spf",
		Usage:     "audit the domain's SPF record, or evaluate it for one sending IP",
		ArgsUsage: "DOMAIN  |  --ip IP [--sender ADDR] [--helo NAME] [DOMAIN]",
		Description: "Without --ip: audits DOMAIN's SPF policy (RFC 7208): the include/redirect tree\n" +
			"with each record's DNS-lookup cost and the running total (limit 10), void lookups\n" +
			"(limit 2), and problems such as +all, ptr, or a missing include target.\n\n" +
			"With one --ip: runs check_host() as a receiver would. The domain is DOMAIN, else the\n" +
			"sender's domain, else the HELO name (RFC 7208 §2.3-§2.4); a sender without a local\n" +
			"part uses postmaster. JSON output has the result (none, neutral, pass, fail,\n" +
			"softfail, temperror, permerror) in `result` and the exp= text in `explanation`.\n" +
			"With several --ip: the audit, plus check_host() for each IP.\n\n" +
			"Exit codes for --ip: 1 for fail, softfail and permerror; 3 for temperror; else 0.\n\n" +
			"Examples:\n" +
			"   mailcheck spf example.com\n" +
			"   mailcheck spf --ip 192.0.2.1 --sender alice@example.com --format json\n" +
			"   mailcheck spf --ip 192.0.2.1 --helo mail.example.com",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "ip", Usage: "client `IP` to evaluate (repeatable: several run the audit plus a self-test)"},
			&cli.StringFlag{Name: "sender", Usage: "MAIL FROM `ADDR` (empty: the HELO identity is checked)"},
			&cli.StringFlag{Name: "helo", Usage: "HELO/EHLO `NAME`"},
		},
		Action: func(c *cli.Context) error {
			var ips []netip.Addr
			for _, s := range c.StringSlice("ip") {
				ip, err := netip.ParseAddr(strings.TrimSpace(s))
				if err != nil {
					return usageError("--ip %q is not an IP address", s)
				}
				ips = append(ips, ip)
			}
			if len(ips) == 1 {
				return spfEvaluate(c, e, ips[0])
			}
			if len(ips) == 0 && (c.IsSet("sender") || c.IsSet("helo")) {
				return usageError("--sender and --helo name the identity check_host() evaluates for a client address: give the address with --ip (e.g. --ip 192.0.2.1)")
			}
			if c.NArg() == 0 && (c.String("sender") != "" || c.String("helo") != "") && len(ips) > 1 {
				// The self-test may take its domain from the identity, like --ip does.
				q := mailcheck.SPFQuery{Sender: c.String("sender"), HELO: c.String("helo")}
				d := q.HELO
				if q.Sender != "" {
					d = q.Sender[strings.LastIndexByte(q.Sender, '@')+1:]
				}
				return spfAudit(c, e, d, ips)
			}
			if c.NArg() != 1 {
				return usageError("spf needs exactly one DOMAIN argument (got %d), or --ip; see `mailcheck spf --help`", c.NArg())
			}
			return spfAudit(c, e, c.Args().First(), ips)
		},
	}
}

func spfAudit(c *cli.Context, e *env, domain string, ips []netip.Addr) error {
	o, err := readOptions(c, e)
	if err != nil {
		return err
	}
	d, err := dnscheck.NormalizeDomain(domain)
	if err != nil {
		return usageError("%s", strings.TrimPrefix(err.Error(), "dnscheck: "))
	}
	r, ctx, cancel, err := dnsSetup(c)
	if err != nil {
		return err
	}
	defer cancel()
	check, err := mailcheck.CheckSPF(ctx, d.ASCII, mailcheck.WithResolver(r), mailcheck.WithSendingIPs(ips...))
	if err != nil {
		return usageError("%v", err)
	}
	run := &domainRun{env: e, opts: o, domain: d, resolver: r, ctx: ctx}
	return run.emit(check, func(p *printer) {
		if rep, ok := check.Details.(*spf.Report); ok {
			printSPFTree(p, rep)
		}
	})
}

// printSPFTree prints the include/redirect tree: cost per node, running total, and
// marks for void lookups, problems and the node where a receiver stops.
func printSPFTree(p *printer, rep *spf.Report) {
	p.line("")
	var walk func(n *spf.Node, indent string)
	walk = func(n *spf.Node, indent string) {
		head := clean(n.Domain)
		if n.Via != "" {
			head = n.Via + " " + head
		}
		line := fmt.Sprintf("%s%s  cost %d, total %d", indent, head, n.Cost, n.Cumulative)
		if n.VoidLookups > 0 {
			line += p.paint(ansiYellow, fmt.Sprintf("  void %d (%s)", n.VoidLookups, clean(strings.Join(n.Void, ", "))))
		}
		if n.Stop {
			line += p.paint(ansiRed, fmt.Sprintf("  ← receivers stop here: 11th lookup at %s", clean(n.StopTerm)))
		}
		if n.Problem != "" {
			line += p.paint(ansiRed, "  ✗ "+clean(n.Problem))
		}
		p.line("%s", line)
		if n.Record != "" {
			p.line("%s    %s", indent, p.paint(ansiDim, clean(n.Record)))
		}
		// Several records: show each, so the reader sees what to merge.
		for i, r := range n.Records {
			p.line("%s    %d. %s", indent, i+1, p.paint(ansiDim, clean(r)))
		}
		for _, c := range n.Children {
			walk(c, indent+"  ")
		}
		if n.NotFetched > 0 {
			p.line("%s  %s", indent, p.paint(ansiRed, fmt.Sprintf("… %d more not fetched (audit limit)", n.NotFetched)))
		}
	}
	walk(rep.Tree, "  ")
	p.line("  total: %d DNS lookups (limit %d), %d void (limit %d), %d void for an IPv6 sender",
		rep.Lookups, spf.MaxLookups, rep.VoidLookups, spf.MaxVoidLookups, rep.VoidLookupsIPv6)
	for _, st := range rep.SelfTests {
		p.line("  self-test %s: %s", st.IP, st.Outcome.Result)
	}
}

// spfHostJSON is the JSON of one evaluation: the result and explanation on top, the
// check (findings, details with the trace) beside them.
type spfHostJSON struct {
	Result      spf.Result `json:"result"`
	Explanation string     `json:"explanation,omitempty"`
	Trace       []spf.Step `json:"trace"`
	*mailcheck.Check
}

func spfEvaluate(c *cli.Context, e *env, ip netip.Addr) error {
	o, err := readOptions(c, e)
	if err != nil {
		return err
	}
	if c.NArg() > 1 {
		return usageError("spf --ip takes at most one DOMAIN (got %d)", c.NArg())
	}
	q := mailcheck.SPFQuery{IP: ip, Sender: c.String("sender"), HELO: c.String("helo"), Domain: c.Args().First()}
	if q.Domain == "" && q.Sender == "" && q.HELO == "" {
		return usageError("spf --ip needs a DOMAIN, --sender or --helo")
	}
	if q.Domain != "" {
		d, err := dnscheck.NormalizeDomain(q.Domain)
		if err != nil {
			return usageError("%s", strings.TrimPrefix(err.Error(), "dnscheck: "))
		}
		q.Domain = d.ASCII
	}
	r, ctx, cancel, err := dnsSetup(c)
	if err != nil {
		return err
	}
	defer cancel()
	check, err := mailcheck.CheckSPFHost(ctx, q, mailcheck.WithResolver(r))
	if err != nil {
		return usageError("%v", err)
	}
	out, _ := check.Details.(*spf.Outcome)
	if o.format == "json" {
		v := spfHostJSON{Check: check}
		if out != nil {
			v.Result, v.Explanation, v.Trace = out.Result, out.Explanation, out.Trace
		}
		if err := writeJSON(e.stdout, v); err != nil {
			return err
		}
		return exitFor(check.Status)
	}
	p := &printer{w: e.stdout, color: o.color, width: o.width}
	p.checkHeader(check)
	if out != nil {
		if out.Explanation != "" {
			p.line("  explanation: %s", clean(out.Explanation))
		}
		p.line("")
		for _, st := range out.Trace {
			mark := "  "
			if st.Match {
				mark = p.paint(ansiGreen, "→ ")
			}
			line := fmt.Sprintf("  %s%s%s  %s", mark, strings.Repeat("  ", st.Depth), clean(st.Domain), clean(st.Term))
			if st.Result != "" {
				line += "  = " + string(st.Result)
			}
			if st.Detail != "" {
				line += "  (" + clean(st.Detail) + ")"
			}
			p.line("%s", line)
		}
		p.line("  %d DNS lookups, %d void", out.Lookups, out.VoidLookups)
	}
	p.findings(check.Findings)
	return exitFor(check.Status)
}
