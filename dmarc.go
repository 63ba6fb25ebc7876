package mailcheck

import (
	"context"
	"fmt"

	"github.com/mailcheck/mailcheck/dmarc"
)

// CheckDMARC finds the DMARC policy that applies to the domain (RFC 9989 DNS Tree Walk,
// and what RFC 7489 receivers find), judges the record, and checks its report
// destinations. Details is the *dmarc.Report: record, found_at, effective_policy,
// subdomain_policy, tags (value and explicit or default), destinations, discovery.
// The error is set only when the check could not run; DNS failures are findings.
func CheckDMARC(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	res, err := dmarc.Check(ctx, cfg.resolver, d.ASCII)
	if err != nil {
		return nil, err
	}
	return newCheck("dmarc", d, res.Findings, dmarcSummary(res), res), nil
}

func dmarcSummary(r *dmarc.Report) string {
	if r.Record == nil {
		if r.Discovery.Incomplete {
			return "The DMARC lookup did not complete."
		}
		return "No DMARC policy applies."
	}
	where := "published at " + r.FoundAt
	if r.Source != dmarc.AtDomain {
		where = "inherited from " + r.FoundAt
	}
	return fmt.Sprintf("Policy %s, %s; subdomains: %s.", r.EffectivePolicy, where, r.SubdomainPolicy)
}
