package mailcheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/dnscheck"
)

// CheckMX checks the domain's MX set (RFC 5321 §5.1, RFC 7505) and the addresses of its
// targets. The error is set only when the check could not run (an invalid domain name,
// no usable resolver); DNS failures are findings and make the status "error".
func CheckMX(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	res, err := dnscheck.MX(ctx, cfg.resolver, d.ASCII)
	if err != nil {
		return nil, err
	}
	return newCheck("mx", d, res.Findings, mxSummary(res), res), nil
}

func mxSummary(r *dnscheck.MXReport) string {
	switch {
	case r.NXDOMAIN:
		return "The domain does not exist (NXDOMAIN)."
	case r.Null && len(r.Hosts) == 1:
		return "Null MX: the domain accepts no mail."
	case r.Implicit && len(r.ImplicitAddresses) > 0:
		return fmt.Sprintf("No MX record; mail goes to the domain's %d address record(s).", len(r.ImplicitAddresses))
	case r.Implicit:
		return "No MX record and no address: the domain cannot receive mail."
	}
	hosts := make([]string, 0, len(r.Hosts))
	for _, h := range r.Hosts {
		hosts = append(hosts, fmt.Sprintf("%d %s", h.Preference, strings.TrimSuffix(h.Host, ".")))
	}
	if len(hosts) == 0 {
		return "The MX lookup did not complete."
	}
	return fmt.Sprintf("%d MX host(s): %s.", len(hosts), strings.Join(hosts, ", "))
}
