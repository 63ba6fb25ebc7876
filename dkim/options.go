package dkim

import (
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Defaults for discovery.
const (
	// DefaultQueryTimeout bounds each probe: most selectors do not exist, and one slow
	// name server should not hold the whole check up.
	DefaultQueryTimeout = 2 * time.Second
	// probeConcurrency is how many probes are in flight at once: enough for the whole
	// built-in list, so discovery costs one round trip, yet a bound on what a long
	// user-supplied list puts on the resolver at once.
	probeConcurrency = 32
)

// Option configures Check and VerifyMessage.
type Option func(*config)

type config struct {
	selectors    []string
	groups       []SelectorGroup
	groupsSet    bool
	hints        []string
	queryTimeout time.Duration
	aligned      func(from, d string) bool
	now          func() time.Time
}

func newConfig(opts []Option) *config {
	c := &config{queryTimeout: DefaultQueryTimeout, aligned: relaxedAligned, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if !c.groupsSet {
		c.groups = BuiltinSelectors()
	}
	return c
}

// WithSelectors names selectors to look up. Each is reported, with dkim.key-missing
// when no key is published; the discovery list is still probed for others.
func WithSelectors(selectors ...string) Option {
	return func(c *config) { c.selectors = append(c.selectors, selectors...) }
}

// WithSelectorList replaces the built-in discovery list. An empty list turns
// discovery off, so only the WithSelectors selectors are looked up.
func WithSelectorList(groups []SelectorGroup) Option {
	return func(c *config) { c.groups, c.groupsSet = groups, true }
}

// WithProviderHints gives host names that reveal the domain's mail providers: its MX
// hosts and the names its SPF record includes. Providers they match are probed first.
func WithProviderHints(hosts ...string) Option {
	return func(c *config) { c.hints = append(c.hints, hosts...) }
}

// WithQueryTimeout bounds each discovery probe (DefaultQueryTimeout if d <= 0).
func WithQueryTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.queryTimeout = d
		}
	}
}

// WithAlignment sets how VerifyMessage decides that a signing domain d is aligned
// with the From domain (RFC 7489 §3.1.1). The default is relaxed alignment on the
// organizational domains computed from the public suffix list; a caller that has the
// DMARC record's adkim= passes the matching function from the dmarc package.
func WithAlignment(aligned func(fromDomain, signingDomain string) bool) Option {
	return func(c *config) {
		if aligned != nil {
			c.aligned = aligned
		}
	}
}

// WithNow sets the clock VerifyMessage judges x= expiry by (time.Now by default).
func WithNow(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// relaxedAligned is RFC 7489 §3.1.1 relaxed mode: the organizational domains match.
func relaxedAligned(from, d string) bool {
	from, d = strings.ToLower(strings.TrimSuffix(from, ".")), strings.ToLower(strings.TrimSuffix(d, "."))
	if from == d {
		return from != ""
	}
	a, err1 := publicsuffix.EffectiveTLDPlusOne(from)
	b, err2 := publicsuffix.EffectiveTLDPlusOne(d)
	return err1 == nil && err2 == nil && a == b
}
