package mailcheck

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/reputation"
)

// WithReputation turns the DNS blocklist lookups (package reputation) on or off. They
// are on by default in CheckDomain and ExplainBounce (the sending IP of a block, the
// link domains of a content rejection), and off by default in CheckDomains and
// CheckStream, where thousands of domains would exceed the lists' free quotas, and in
// CheckMessage (the message's link domains), which a pipeline runs on every message.
func WithReputation(on bool) Option {
	return func(c *config) { c.reputation = &on }
}

// WithBlocklists replaces reputation.DefaultLists for the blocklist lookups.
func WithBlocklists(lists ...reputation.List) Option {
	return func(c *config) { c.blocklists = lists }
}

func (c *config) reputationOn() bool { return c.reputation == nil || *c.reputation }

// blocklistOptions are the reputation options every lookup shares: the lists
// (WithBlocklists), then the targets given.
func (c *config) blocklistOptions(targets ...reputation.Option) []reputation.Option {
	if c.blocklists != nil {
		targets = append(targets, reputation.WithLists(c.blocklists...))
	}
	return targets
}

// mxAddresses are the addresses mail to the domain goes to: each MX host's, or the
// domain's own under an implicit MX. The MX answer is the shared cache's.
func mxAddresses(ctx context.Context, r *dnscheck.Resolver, domain string) (hosts []string, addrs [][]netip.Addr) {
	mx, err := dnscheck.MX(ctx, r, domain)
	if err != nil || mx == nil {
		return nil, nil
	}
	if mx.Implicit {
		if len(mx.ImplicitAddresses) > 0 {
			return []string{domain}, [][]netip.Addr{mx.ImplicitAddresses}
		}
		return nil, nil
	}
	for _, h := range mx.Hosts {
		if h.Host == "." || h.Host == "" {
			continue
		}
		hosts, addrs = append(hosts, h.Host), append(addrs, h.Addresses)
	}
	return hosts, addrs
}

// checkReputation looks the sending IPs, the MX addresses and the domain up in the
// blocklists; a skipped check when they are off.
func checkReputation(ctx context.Context, cfg *config, d dnscheck.Domain) (*Check, error) {
	if !cfg.reputationOn() {
		return skipCheck("reputation", d, "Not checked: the blocklist lookups are off (--no-reputation, or bulk without --reputation)."), nil
	}
	opts := cfg.blocklistOptions(reputation.WithSendingIPs(cfg.ips...))
	hosts, addrs := mxAddresses(ctx, cfg.resolver, d.ASCII)
	for i, h := range hosts {
		opts = append(opts, reputation.WithMXAddresses(h, addrs[i]...))
	}
	res, err := reputation.Check(ctx, cfg.resolver, d.ASCII, opts...)
	if err != nil {
		return nil, err
	}
	listed, refused := res.Listed(), res.Refused()
	summary := fmt.Sprintf("%d lookups in %d blocklists: no listing.", len(res.Results), len(res.Lists))
	switch {
	case len(listed) > 0:
		summary = fmt.Sprintf("%d listing(s): %s on %s.", len(listed), listed[0].Target, listed[0].List)
	case len(res.Failed()) > 0:
		summary = fmt.Sprintf("%d of %d blocklist lookups failed.", len(res.Failed()), len(res.Results))
	case len(refused) > 0:
		summary = fmt.Sprintf("%s did not answer (%s); the other lists show no listing.", refused[0].List, refused[0].Meanings[0])
	}
	return newCheck("reputation", d, res.Findings, summary, res), nil
}

// checkDANE looks up the TLSA records of the MX hosts (RFC 7672) and judges them under
// mailcheck's own DNSSEC validation. Informational: it scores nothing yet.
func checkDANE(ctx context.Context, cfg *config, d dnscheck.Domain) (*Check, error) {
	hosts, _ := mxAddresses(ctx, cfg.resolver, d.ASCII)
	res := dnscheck.DANE(ctx, cfg.resolver, d.ASCII, hosts)
	usable := 0
	for _, h := range res.Hosts {
		if h.Usable {
			usable++
		}
	}
	summary := "No MX host publishes TLSA records (DANE is not used)."
	switch {
	case len(res.Hosts) > 0 && cfg.resolver.Offline() && !cfg.resolver.CustomTrustAnchors():
		summary = fmt.Sprintf("%d MX host(s) publish TLSA records; not judged: a zone file is not validated without --trust-anchor.", len(res.Hosts))
	case len(res.Hosts) > 0:
		summary = fmt.Sprintf("%d of %d MX host(s) with TLSA records have a usable, DNSSEC-secure set.", usable, len(res.Hosts))
	}
	return newCheck("dane", d, res.Findings, summary, res), nil
}

// maxLinkLookups bounds the link domains of one message looked up in the domain
// blocklists: URL filters weigh the first links most, and each domain costs a query
// per list.
const maxLinkLookups = 10

// lookupLinkDomains looks the first maxLinkLookups of a message's link domains
// (message.Links.Domains) up in the domain blocklists (Spamhaus DBL, SURBL), as
// receivers' URL filters do. looked are the domains asked about; rep is nil when no
// domain list is configured.
func lookupLinkDomains(ctx context.Context, cfg *config, domains []string) (rep *reputation.Report, looked []string, err error) {
	looked = domains[:min(len(domains), maxLinkLookups)]
	rep, err = reputation.Check(ctx, cfg.resolver, "", cfg.blocklistOptions(reputation.WithDomains(looked...))...)
	if err != nil || len(rep.Results) == 0 {
		return nil, looked, err
	}
	return rep, looked, nil
}

// listsAsked counts the blocklists a report's lookups went to (a domain-only
// lookup asks the domain lists, not every list configured).
func listsAsked(rep *reputation.Report) int {
	zones := map[string]bool{}
	for _, r := range rep.Results {
		zones[r.Zone] = true
	}
	return len(zones)
}
