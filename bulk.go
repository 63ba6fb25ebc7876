package mailcheck

import (
	"context"
	"sync"
)

// DomainResult is one domain's outcome in CheckDomains: a report, or the reason none
// could be made (an invalid name).
type DomainResult struct {
	Domain string
	Report *Report
	Err    error
}

// DefaultConcurrency is how many domains CheckDomains checks at once.
const DefaultConcurrency = 16

// WithConcurrency sets how many domains CheckDomains checks at once.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// CheckDomains reports on many domains, several at a time, and calls emit with each
// result in the order of domains (so output is reproducible). The domains share one
// resolver and its cache, so third-party records common to many of them (a provider's
// SPF include, say) are fetched once. WithTimeout bounds each domain, not the whole run.
func CheckDomains(ctx context.Context, domains []string, emit func(DomainResult), opts ...Option) error {
	cfg, err := buildConfig(opts)
	if err != nil {
		return err
	}
	n := cfg.concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	perDomain := append(opts[:len(opts):len(opts)], WithResolver(cfg.resolver))
	done := make([]chan DomainResult, len(domains))
	for i := range done {
		done[i] = make(chan DomainResult, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(domains)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep, err := CheckDomain(ctx, domains[i], perDomain...)
				done[i] <- DomainResult{Domain: domains[i], Report: rep, Err: err}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range domains {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range domains {
		select {
		case r := <-done[i]:
			emit(r)
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
	}
	wg.Wait()
	return nil
}
