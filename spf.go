package mailcheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/provider"
	"github.com/mailcheck/mailcheck/spf"
)

// CheckSPF audits the domain's SPF policy (RFC 7208) without a client IP: the record,
// its include/redirect tree, lookup and void counts, and findings. Details is the
// *spf.Report. With WithSendingIPs, check_host() is also evaluated for each IP and the
// results are in the report's self_tests. The error is set only when the check could
// not run (an invalid domain name, no usable resolver).
func CheckSPF(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	r := cfg.resolver
	sopts := []spf.Option{spf.WithSelfTest(cfg.ips...), spf.WithType99Lookup(r.LookupType99SPF)}
	if !cfg.noProbe { // the hints probe the providers' DKIM selectors
		sopts = append(sopts, spf.WithProviderHints(func(ctx context.Context) []string { return dkimCNAMETargets(ctx, r, d.ASCII) }))
	}
	rep, err := spf.Check(ctx, r, d.ASCII, sopts...)
	if err != nil {
		return nil, err
	}
	return newCheck("spf", d, rep.Findings, spfAuditSummary(rep), rep), nil
}

// dkimCNAMETargets returns where the domain's DKIM keys point, for the providers that
// publish keys as CNAMEs (Microsoft 365, SendGrid, Fastmail ...): a provider that signs
// for the domain also sends its mail, so a missing SPF record should include it. The
// questions are the ones the DKIM check asks, so in a full report they are answered
// from the shared cache.
func dkimCNAMETargets(ctx context.Context, r *dnscheck.Resolver, domain string) []string {
	// RFC 8020 §2: no name exists below an NXDOMAIN, so no key does either.
	if _, err := r.LookupTXT(ctx, "_domainkey."+domain); errors.Is(err, dnscheck.ErrNXDOMAIN) {
		return nil
	}
	var names []string
	for _, p := range provider.All() {
		if len(p.DKIMCNAME) == 0 {
			continue
		}
		for _, s := range p.Selectors {
			names = append(names, s+"._domainkey."+domain)
		}
	}
	targets := make([]string, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			if ans, err := r.Query(ctx, name, typeTXT); err == nil {
				if chain := ans.Chain(); len(chain) > 0 {
					targets[i] = chain[len(chain)-1]
				}
			}
		})
	}
	wg.Wait()
	return slices.DeleteFunc(targets, func(s string) bool { return s == "" })
}

// typeTXT is the TXT record type (RFC 1035 §3.2.2); miekg/dns stays in dnscheck.
const typeTXT = 16

func spfAuditSummary(rep *spf.Report) string {
	if rep.Record == "" {
		for _, f := range rep.Findings {
			if f.Code == spf.CodeDNSError && f.Evidence != nil && f.Evidence.Name == rep.Domain {
				return "The SPF lookup did not complete." // unknown, not missing
			}
		}
		return "No usable SPF record."
	}
	s := fmt.Sprintf("%d DNS lookups of %d allowed, %d void of %d.", rep.Lookups, spf.MaxLookups, rep.VoidLookups, spf.MaxVoidLookups)
	for _, st := range rep.SelfTests {
		s += fmt.Sprintf(" %s: %s.", st.IP, st.Outcome.Result)
	}
	return s
}

// SPFQuery is the input of one check_host() evaluation.
type SPFQuery struct {
	// IP is the SMTP client's address.
	IP netip.Addr
	// Sender is the MAIL FROM address; empty for a bounce, where the HELO identity
	// "postmaster@HELO" is checked (RFC 7208 §2.4).
	Sender string
	// HELO is the HELO/EHLO name.
	HELO string
	// Domain overrides the domain to check; by default the sender's domain, or HELO.
	Domain string
}

// CheckSPFHost runs RFC 7208 check_host() once. Details is the *spf.Outcome (result,
// explanation, trace). The status follows the result: fail, softfail and permerror
// fail the check; temperror makes it an error (unknown); the rest pass. An invalid
// identity domain is not an error: RFC 7208 §4.3 makes the result none.
func CheckSPFHost(ctx context.Context, q SPFQuery, opts ...Option) (*Check, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if !q.IP.IsValid() {
		return nil, fmt.Errorf("mailcheck: SPF check needs a client IP address")
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	sender, domain := q.Sender, q.Domain
	switch {
	case sender == "" && q.HELO != "":
		sender = "postmaster@" + q.HELO
		if domain == "" {
			domain = q.HELO
		}
	case domain == "" && sender != "":
		domain = sender[strings.LastIndexByte(sender, '@')+1:]
	}
	if domain == "" {
		return nil, fmt.Errorf("mailcheck: SPF check needs a sender, a HELO name or a domain")
	}
	d, err := dnscheck.NormalizeDomain(domain)
	if err != nil {
		d = dnscheck.Domain{ASCII: domain, Unicode: domain}
	}
	out := spf.CheckHost(ctx, cfg.resolver, q.IP, d.ASCII, sender, spf.WithHELO(q.HELO))
	// The status follows the result's finding, as for every check: fail for
	// fail/softfail/permerror, error for temperror, warn for none.
	return newCheck("spf", d, []Finding{spfResultFinding(out)}, spfHostSummary(out), out), nil
}

func spfHostSummary(out *spf.Outcome) string {
	s := fmt.Sprintf("check_host(%s, %s, %s) = %s", out.IP, out.Domain, out.Sender, out.Result)
	// The last matching step decided: evaluation stops there.
	for i := len(out.Trace) - 1; i >= 0; i-- {
		if st := out.Trace[i]; st.Match {
			s += fmt.Sprintf(" (matched %s in %s)", st.Term, st.Domain)
			break
		}
	}
	if out.Problem != "" && (out.Result == spf.PermError || out.Result == spf.TempError || out.Result == spf.None) {
		s += ": " + out.Problem
	}
	return s + "."
}

// spfResultFinding states the result as a finding, so reports list it with the rest.
func spfResultFinding(out *spf.Outcome) Finding {
	f := Finding{Code: spf.CodeResult, Ref: "RFC 7208 §2.6", Severity: finding.Info,
		Evidence: &finding.Evidence{Name: out.Domain, Type: "TXT", Detail: out.Problem}}
	switch out.Result {
	case spf.Pass:
		f.Message = fmt.Sprintf("%s is authorized to send for %s.", out.IP, out.Domain)
	case spf.None:
		f.Severity = finding.Warning
		f.Message = fmt.Sprintf("%s publishes no SPF record, so %s can be neither authorized nor refused.", out.Domain, out.IP)
		f.Fix = "Publish a TXT record starting with v=spf1 that lists your sending servers."
	case spf.Neutral:
		f.Message = fmt.Sprintf("%s says nothing about %s (neutral).", out.Domain, out.IP)
	case spf.SoftFail:
		f.Severity = finding.Error
		f.Message = fmt.Sprintf("%s is probably not authorized to send for %s (softfail): receivers often junk such mail.", out.IP, out.Domain)
		f.Fix = "Add the sending server to the SPF record (ip4:/ip6:/include:)."
	case spf.Fail:
		f.Severity = finding.Error
		f.Message = fmt.Sprintf("%s is not authorized to send for %s (fail): receivers may reject the mail.", out.IP, out.Domain)
		f.Fix = "Add the sending server to the SPF record (ip4:/ip6:/include:)."
	case spf.PermError:
		f.Severity = finding.Error
		f.Message = fmt.Sprintf("The SPF policy of %s cannot be evaluated (permerror): %s.", out.Domain, out.Problem)
		f.Fix = "Run `mailcheck spf " + out.Domain + "` to see what to correct."
	case spf.TempError:
		f.Severity, f.Incomplete = finding.Error, true
		f.Message = fmt.Sprintf("The SPF check of %s for %s hit a DNS error (temperror): %s.", out.Domain, out.IP, out.Problem)
	}
	return f
}
