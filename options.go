package mailcheck

import (
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
)

// Option configures a check. Options are the module's one configuration style.
type Option func(*config)

type config struct {
	resolver *dnscheck.Resolver
	timeout  time.Duration
}

// WithResolver makes the check use r (and its cache) instead of a new Resolver on the
// system's nameservers. Share one Resolver across checks of one domain so that each
// question is asked once.
func WithResolver(r *dnscheck.Resolver) Option { return func(c *config) { c.resolver = r } }

// WithTimeout bounds the whole check; zero means no bound beyond the context's.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

func buildConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		o(c)
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
