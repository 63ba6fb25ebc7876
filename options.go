package mailcheck

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/reputation"
)

// Option configures a check. Options are the module's one configuration style.
type Option func(*config)

type config struct {
	resolver *dnscheck.Resolver
	// resolverSet tells WithResolver(nil), a mistake, from no WithResolver at all.
	resolverSet bool
	timeout     time.Duration
	profile     Profile
	selectors   []string
	// noProbe turns the common-selector DKIM probe off (WithSelectorProbe(false)).
	noProbe bool
	ips     []netip.Addr
	// concurrency is how many domains CheckDomains checks at once.
	concurrency int
	// window is how many domains CheckStream may start before emitting them.
	window int
	// aligned is the DKIM alignment rule of CheckDKIMMessage (nil: relaxed).
	aligned func(fromDomain, signingDomain string) bool
	// attachmentOpts configure CheckMessage's attachment scan.
	attachmentOpts []attachments.Option
	// envelope, expectSigning and authservID configure CheckMessage (message.go).
	envelope      *envelopeConfig
	expectSigning bool
	authservID    string
	// transport configures MTA-STS, TLS-RPT, the SMTP probe and BIMI (transport.go).
	transport transportConfig
	// reputation turns the blocklist lookups on or off (nil: the default, on);
	// blocklists replaces reputation.DefaultLists (reputation.go).
	reputation *bool
	blocklists []reputation.List
}

// WithResolver makes the check use r (and its cache) instead of a new Resolver on the
// system's nameservers. Share one Resolver across checks of one domain so that each
// question is asked once.
func WithResolver(r *dnscheck.Resolver) Option {
	return func(c *config) { c.resolver, c.resolverSet = r, true }
}

// WithTimeout bounds the whole check; zero means no bound beyond the context's.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithAlignment sets the rule CheckDKIMMessage judges a signature's d= against the
// From domain by, e.g. DMARC's strict adkim=s (relaxed by default: the same
// organizational domain, RFC 7489 §3.1.1).
func WithAlignment(aligned func(fromDomain, signingDomain string) bool) Option {
	return func(c *config) { c.aligned = aligned }
}

func buildConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	if c.profile == "" {
		c.profile = ProfileDefault
	}
	if !slices.Contains(Profiles, c.profile) {
		return nil, fmt.Errorf("mailcheck: unknown profile %q (want one of %v)", c.profile, Profiles)
	}
	if err := c.transport.loadRoots(); err != nil {
		return nil, err
	}
	if c.resolverSet && c.resolver == nil {
		return nil, fmt.Errorf("mailcheck: WithResolver(nil): pass a *dnscheck.Resolver, or leave the option out to use the system's resolvers")
	}
	if c.resolver == nil {
		r, err := dnscheck.New(dnscheck.Options{})
		if err != nil {
			return nil, err
		}
		c.resolver = r
	}
	return c, nil
}

// Profile selects what a domain report expects of the domain.
type Profile string

// The profiles (see SCORING.md).
const (
	// ProfileDefault judges a domain that sends and receives mail.
	ProfileDefault Profile = "default"
	// ProfileBulkSender adds the Gmail/Yahoo/Microsoft bulk-sender requirements as a checklist.
	ProfileBulkSender Profile = "bulk-sender"
	// ProfileParked judges a domain that sends no mail: null MX, "v=spf1 -all",
	// DMARC p=reject for the domain and its subdomains; no DKIM expected.
	ProfileParked Profile = "parked"
)

// Profiles lists the valid profiles.
var Profiles = []Profile{ProfileDefault, ProfileBulkSender, ProfileParked}

// WithProfile selects the scoring profile (ProfileDefault if unset).
func WithProfile(p Profile) Option { return func(c *config) { c.profile = p } }

// WithSelectors adds DKIM selectors to look up besides the probed common ones.
func WithSelectors(selectors ...string) Option {
	return func(c *config) { c.selectors = append(c.selectors, selectors...) }
}

// WithSelectorProbe turns the probe of common DKIM selectors on (the default) or off.
// Off, only the WithSelectors selectors are looked up: for a bulk run where each
// domain's selector is known, it saves some 30 queries per domain. It also turns off
// the SPF audit's provider hints, which probe the CNAME-publishing providers' selectors.
func WithSelectorProbe(on bool) Option { return func(c *config) { c.noProbe = !on } }

// WithSendingIPs names the IPs the domain sends from: the SPF self-test evaluates
// check_host() for each, and the bulk-sender profile checks their reverse DNS.
func WithSendingIPs(ips ...netip.Addr) Option {
	return func(c *config) { c.ips = append(c.ips, ips...) }
}

// begin is the common start of a domain check: options applied, the domain validated
// and converted to its A-label, the context bounded by WithTimeout. The caller must
// call cancel.
func begin(ctx context.Context, domain string, opts []Option) (context.Context, context.CancelFunc, *config, dnscheck.Domain, error) {
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, nil, nil, dnscheck.Domain{}, err
	}
	d, err := dnscheck.NormalizeDomain(domain)
	if err != nil {
		return nil, nil, nil, dnscheck.Domain{}, err
	}
	cancel := context.CancelFunc(func() {})
	if cfg.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
	}
	return ctx, cancel, cfg, d, nil
}
