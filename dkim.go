package mailcheck

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/spf"
)

// CheckDKIM checks the domain's DKIM keys: each selector named with WithSelectors
// (reported missing when absent) and the common selectors probed by dkim.Check,
// providers seen in the domain's MX hosts and SPF includes first (no probe with
// WithSelectorProbe(false)). Details is the
// *dkim.Report. The error is set only when the check could not run (an invalid domain
// or selector).
func CheckDKIM(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	dopts := []dkim.Option{dkim.WithSelectors(cfg.selectors...)}
	if cfg.noProbe {
		dopts = append(dopts, dkim.WithSelectorList([]dkim.SelectorGroup{}))
	} else {
		dopts = append(dopts, dkim.WithProviderHints(providerHints(ctx, cfg.resolver, d.ASCII)...))
	}
	res, err := dkim.Check(ctx, cfg.resolver, d.ASCII, dopts...)
	if err != nil {
		return nil, err
	}
	return newCheck("dkim", d, res.AllFindings(), dkimSummary(res), res), nil
}

// providerHints collects the names that reveal a domain's mail providers: its MX hosts
// and the include:/redirect= targets of its SPF record. They only order the probe, so
// lookup failures are ignored (the cached answers serve the MX and SPF checks too).
func providerHints(ctx context.Context, r *dnscheck.Resolver, domain string) []string {
	var hints []string
	if mxs, err := r.LookupMX(ctx, domain); err == nil {
		for _, mx := range mxs {
			hints = append(hints, mx.Host)
		}
	}
	if txts, err := r.LookupTXT(ctx, domain); err == nil {
		for _, t := range txts {
			rec, err := spf.Parse(t)
			if err != nil {
				continue
			}
			for _, term := range rec.Terms {
				if term.Mechanism == spf.MechInclude || term.Modifier == spf.ModRedirect {
					hints = append(hints, strings.ToLower(term.Domain))
				}
			}
		}
	}
	return hints
}

func dkimSummary(r *dkim.Report) string {
	var found []string
	missing, failed := 0, 0
	for _, k := range r.Keys {
		switch {
		case k.Status == dkim.KeyDNSError:
			failed++ // unknown, not missing
		case k.Status != dkim.KeyFound:
			if !k.Discovered {
				missing++
			}
		default:
			found = append(found, k.Selector+" ("+keyFacts(k)+")")
		}
	}
	probedNothing := !slices.ContainsFunc(r.Findings, func(f dkim.Finding) bool { return f.Code == dkim.CodeNoSelectorFound })
	var s string
	switch {
	case len(found) == 0 && r.DomainKeyNXDOMAIN:
		s = "No DKIM key: nothing exists under _domainkey." + r.Domain + "."
	case len(found) == 0 && r.Probed > 0 && probedNothing:
		s = "The DKIM lookups did not complete: no probed selector was answered."
	case len(found) == 0 && r.Probed > 0:
		s = fmt.Sprintf("No DKIM key found among %d probed selectors (inconclusive: give --selector).", r.Probed)
	case len(found) == 0:
		s = "No DKIM key found."
	default:
		s = fmt.Sprintf("%d DKIM key(s): %s.", len(found), strings.Join(found, ", "))
	}
	if missing > 0 {
		s += fmt.Sprintf(" %d selector(s) asked for have no key.", missing)
	}
	if failed > 0 {
		s += fmt.Sprintf(" The lookup of %d selector(s) failed.", failed)
	}
	return s
}

// keyFacts describes a found key in a few words: "RSA 2048", "Ed25519", "revoked".
func keyFacts(k *dkim.KeyResult) string {
	switch {
	case k.Key == nil:
		return "unusable"
	case k.Key.Revoked:
		return "revoked"
	case k.Key.Material == dkim.KeyEd25519:
		return "Ed25519"
	}
	return fmt.Sprintf("RSA %d", k.Key.Bits)
}

// CheckDKIMMessage verifies the DKIM signatures of the message read from msg and judges
// their alignment with the From domain by the rule WithAlignment gives (relaxed, on
// organizational domains, by default; CheckMessage passes the From domain's DMARC
// adkim=). Details is the *dkim.MessageReport. The error is set only when the message
// cannot be read.
func CheckDKIMMessage(ctx context.Context, msg io.Reader, opts ...Option) (*Check, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	res, err := dkim.VerifyMessage(ctx, cfg.resolver, msg, dkim.WithAlignment(cfg.aligned))
	if err != nil {
		return nil, err
	}
	return newCheck("dkim", dnscheck.Domain{}, res.AllFindings(), dkimMessageSummary(res), res), nil
}

func dkimMessageSummary(m *dkim.MessageReport) string {
	if len(m.Signatures) == 0 {
		return "The message is not DKIM-signed."
	}
	parts := make([]string, 0, len(m.Signatures))
	for _, s := range m.Signatures {
		p := fmt.Sprintf("d=%s s=%s %s", s.Domain, s.Selector, s.Result)
		switch {
		case s.Reason != "":
			p += " (" + string(s.Reason) + ")"
		case s.Aligned:
			p += " (aligned)"
		case s.Testing:
			p += " (testing key)"
		default:
			p += " (not aligned)"
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("%d signature(s): %s.", len(parts), strings.Join(parts, "; "))
}
