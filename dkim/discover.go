package dkim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/provider"
)

// SelectorGroup is one provider's usual selectors and the host names that show a
// domain uses the provider.
type SelectorGroup struct {
	// Provider names the sender, e.g. "Microsoft 365".
	Provider string `json:"provider"`
	// Hints are domain names that, as or under an MX host or an SPF include, reveal
	// the provider; matching groups are probed first.
	Hints []string `json:"hints,omitempty"`
	// Selectors are the names the provider signs with.
	Selectors []string `json:"selectors,omitempty"`
	// Note is said when the provider is inferred but none of its keys is found, e.g.
	// when its selectors are per-customer and cannot be guessed.
	Note string `json:"note,omitempty"`
}

// BuiltinSelectors returns the discovery list: common selectors grouped by provider
// (from the provider table that the SPF and MX checks share), generic names last. The
// slice is a fresh copy, free to change and pass to WithSelectorList.
func BuiltinSelectors() []SelectorGroup {
	var groups []SelectorGroup
	for _, p := range provider.All() {
		g := SelectorGroup{Provider: p.Name, Selectors: p.Selectors, Note: p.Note}
		// Any name that reveals the provider orders the probe: MX hosts, SPF
		// include targets and DKIM CNAME targets.
		for _, h := range slices.Concat(p.MX, p.Hints, p.DKIMCNAME, []string{p.SPF}) {
			if h != "" && !slices.ContainsFunc(g.Hints, func(have string) bool { return provider.Under(h, have) }) {
				g.Hints = append(g.Hints, h)
			}
		}
		groups = append(groups, g)
	}
	return append(groups, SelectorGroup{Provider: "generic",
		Selectors: []string{"default", "dkim", "mail", "s1", "s2", "k1", "selector", "key1", "email", "smtp"}})
}

// Report is a domain's DKIM key check.
type Report struct {
	// Domain is the checked domain, in A-label form.
	Domain string `json:"domain"`
	// Keys are the selectors asked for (found or not) followed by the keys discovery
	// found, in probe order.
	Keys []*KeyResult `json:"keys"`
	// Probed counts the selectors discovery asked about.
	Probed int `json:"probed"`
	// Providers are the providers inferred from the hints, probed first.
	Providers []string `json:"providers,omitempty"`
	// DomainKeyNXDOMAIN reports that _domainkey.<domain> does not exist, so no key
	// can exist below it (RFC 8020) and probing was skipped.
	DomainKeyNXDOMAIN bool `json:"domainkey_nxdomain,omitempty"`
	// Findings are the domain-level diagnostics; each key carries its own.
	// Left out of JSON: a report carries them once, at the check level.
	Findings []Finding `json:"-"`
}

// AllFindings returns every key's findings followed by the domain-level ones.
func (r *Report) AllFindings() []Finding {
	var out []Finding
	for _, k := range r.Keys {
		out = append(out, k.Findings...)
	}
	return append(out, r.Findings...)
}

// Check looks up a domain's DKIM keys: every selector given with WithSelectors and,
// since DNS cannot list selectors, a concurrent probe of the discovery list (providers
// matched by WithProviderHints first). It lints each key found. Finding nothing is
// dkim.no-selector-found, a warning that says the result is inconclusive. The error
// is for an invalid domain or selector, or a cancelled context.
func Check(ctx context.Context, r Resolver, domain string, opts ...Option) (*Report, error) {
	c := newConfig(opts)
	d, err := dnscheck.NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	explicit := make([]string, 0, len(c.selectors))
	for _, s := range c.selectors {
		if err := checkSelector(s); err != nil {
			return nil, err
		}
		s = strings.ToLower(s)
		if !slices.Contains(explicit, s) {
			explicit = append(explicit, s)
		}
	}
	res := &Report{Domain: d.ASCII}
	plan, providers, notes := c.plan(explicit)
	res.Providers = providers

	var wg sync.WaitGroup
	asked := make([]*KeyResult, len(explicit))
	for i, s := range explicit {
		wg.Go(func() {
			asked[i] = lookupKey(ctx, r, d.ASCII, s)
			if asked[i].Status == KeyMissing {
				asked[i].Findings = append(asked[i].Findings, missingFinding(asked[i]))
			}
		})
	}
	var probed []*KeyResult
	if len(plan) > 0 {
		probed = c.probe(ctx, r, d.ASCII, plan, res)
	}
	wg.Wait()
	// A cancelled check could not run; one that ran out of time reports the lookups
	// that failed as incomplete findings, like any other DNS timeout.
	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		return nil, fmt.Errorf("dkim: checking %s: %w", d.ASCII, err)
	}

	res.Keys = append(asked, discovered(probed)...)
	res.Findings = append(res.Findings, probeErrors(probed)...)
	found := 0
	for _, k := range res.Keys {
		if k.Status == KeyFound {
			found++
		}
	}
	answered := 0
	for _, kr := range probed {
		if kr.Status != KeyDNSError {
			answered++
		}
	}
	// "No key found" rests on the probes that were answered; when none was, only
	// the dkim.dns-error says anything: unknown is not missing.
	if found == 0 && len(plan) > 0 && (answered > 0 || res.DomainKeyNXDOMAIN) {
		res.Findings = append(res.Findings, noSelectorFinding(res, notes, answered))
	}
	if f, ok := ed25519Only(res); ok {
		res.Findings = append(res.Findings, f)
	}
	return res, nil
}

// probe is one selector to try in discovery.
type probe struct{ selector, provider string }

// plan orders the discovery list: groups matched by a hint first, the rest after,
// each selector once and none that was asked for explicitly.
func (c *config) plan(explicit []string) (plan []probe, providers, notes []string) {
	var first, rest []SelectorGroup
	rank := map[string]int{}
	for _, g := range c.groups {
		if i := hintIndex(g, c.hints); i >= 0 {
			first = append(first, g)
			rank[g.Provider] = i
		} else {
			rest = append(rest, g)
		}
	}
	// The provider named by the earliest hint (the best MX first) is probed first.
	slices.SortStableFunc(first, func(a, b SelectorGroup) int { return rank[a.Provider] - rank[b.Provider] })
	for _, g := range first {
		providers = append(providers, g.Provider)
		if g.Note != "" {
			notes = append(notes, g.Note)
		}
	}
	seen := map[string]bool{}
	for _, s := range explicit {
		seen[s] = true
	}
	for _, g := range append(first, rest...) {
		for _, s := range g.Selectors {
			s = strings.ToLower(s)
			if seen[s] || checkSelector(s) != nil {
				continue
			}
			seen[s] = true
			plan = append(plan, probe{s, g.Provider})
		}
	}
	return plan, providers, notes
}

// hintIndex returns the position of the first host that reveals g, or -1.
func hintIndex(g SelectorGroup, hosts []string) int {
	for i, h := range hosts {
		h = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
		for _, hint := range g.Hints {
			if h == hint || strings.HasSuffix(h, "."+hint) {
				return i
			}
		}
	}
	return -1
}

// probe asks about every planned selector, a few at a time, each under its own short
// timeout. It first asks about _domainkey.<domain> itself: an NXDOMAIN there means no
// name below it exists (RFC 8020 §2), so no selector needs asking.
func (c *config) probe(ctx context.Context, r Resolver, domain string, plan []probe, res *Report) []*KeyResult {
	qctx, cancel := context.WithTimeout(ctx, c.queryTimeout)
	_, err := r.LookupTXT(qctx, "_domainkey."+domain)
	cancel()
	if errors.Is(err, dnscheck.ErrNXDOMAIN) {
		res.DomainKeyNXDOMAIN = true
		return nil
	}
	res.Probed = len(plan)
	out := make([]*KeyResult, len(plan))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(probeConcurrency, len(plan)) {
		wg.Go(func() {
			for i := range next {
				qctx, cancel := context.WithTimeout(ctx, c.queryTimeout)
				kr := lookupKey(qctx, r, domain, plan[i].selector)
				cancel()
				kr.Provider, kr.Discovered = plan[i].provider, true
				out[i] = kr
			}
		})
	}
	for i := range plan {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// discovered keeps the probes that found something that looks like a key record; a
// wildcard TXT record (an SPF record at *.example.com, say) answers every probe and
// is not a key.
func discovered(probed []*KeyResult) []*KeyResult {
	var out []*KeyResult
	for _, kr := range probed {
		if kr.Status == KeyFound && slices.ContainsFunc(kr.Records, looksLikeKey) {
			out = append(out, kr)
		}
	}
	return out
}

func looksLikeKey(rec string) bool {
	if _, err := ParseKey(rec); err == nil {
		return true
	}
	rec = strings.TrimSpace(rec)
	return strings.HasPrefix(rec, "v=DKIM1") || strings.HasPrefix(rec, "p=") || strings.Contains(rec, "; p=") || strings.Contains(rec, ";p=")
}

// probeErrors folds the failed probes into one finding: they make a "not found"
// less certain but are not each worth a line.
func probeErrors(probed []*KeyResult) []Finding {
	var names []string
	var last error
	domain := ""
	for _, kr := range probed {
		if kr.Status == KeyDNSError {
			names = append(names, kr.Name)
			last, domain = kr.err, kr.Domain
		}
	}
	if len(names) == 0 {
		return nil
	}
	f := dnsErrorFinding(names[0], last)
	if len(names) > 1 {
		k := dnsfail.Classify(last)
		f.Message = fmt.Sprintf("The TXT lookups of %d probed selector names under _domainkey.%s failed (%s), so whether a key exists there is unknown: not missing, not failed, until the name servers answer.",
			len(names), domain, k)
		f.Fix = dnsfail.Fix(k, "the names under _domainkey."+domain, "TXT")
		f.Evidence.Name = "_domainkey." + domain
	}
	f.Evidence.Records = names
	return []Finding{f}
}

func noSelectorFinding(res *Report, notes []string, answered int) Finding {
	f := Finding{
		Code: CodeNoSelectorFound, Severity: finding.Warning,
		Fix: "Find the selector in the s= tag of the DKIM-Signature header of a message you sent, and check it with --selector; " +
			"if your mail is not signed, turn DKIM signing on at your mail provider and publish the key it gives.",
		Ref:      "RFC 6376 §3.6.2.1",
		Evidence: &Evidence{Name: "_domainkey." + res.Domain, Type: "TXT"},
	}
	if res.DomainKeyNXDOMAIN {
		f.Message = fmt.Sprintf("No DKIM key exists for %s: _domainkey.%s does not exist (NXDOMAIN), so no selector can exist below it.", res.Domain, res.Domain)
		f.Ref = "RFC 8020 §2, RFC 6376 §3.6.2.1"
		f.Evidence.Rcode = "NXDOMAIN"
	} else {
		f.Message = fmt.Sprintf("No DKIM key was found among %d probed common selectors; selectors cannot be listed from DNS, so this is inconclusive, not a failure.", res.Probed)
		if answered < res.Probed {
			f.Message = fmt.Sprintf("No DKIM key was found at the %d probed common selectors that were answered (the lookups of %d others failed); selectors cannot be listed from DNS, so this is inconclusive, not a failure.", answered, res.Probed-answered)
		}
	}
	if len(notes) > 0 {
		f.Evidence.Detail = strings.Join(notes, "; ")
		f.Message += " " + notes[0] + "."
	}
	return f
}

// ed25519Only reports a domain whose every usable key is Ed25519: RFC 8463 §5 asks
// signers to add an RSA signature, since not every verifier implements Ed25519.
func ed25519Only(res *Report) (Finding, bool) {
	n := 0
	var names []string
	for _, k := range res.Keys {
		if k.Key == nil || k.Key.Revoked {
			continue
		}
		if k.Key.Material != KeyEd25519 {
			return Finding{}, false
		}
		n++
		names = append(names, k.Name)
	}
	if n == 0 {
		return Finding{}, false
	}
	return Finding{
		Code: CodeEd25519Only, Severity: finding.Info,
		Message:  fmt.Sprintf("Every DKIM key found for %s is Ed25519; receivers that do not implement Ed25519 see such mail as unsigned.", res.Domain),
		Fix:      "Sign with an RSA 2048-bit key as well (two DKIM-Signature fields), under another selector.",
		Ref:      "RFC 8463 §5",
		Evidence: &Evidence{Type: "TXT", Records: names},
	}, true
}
