package mailcheck

import (
	"context"
	"iter"
	"sync"
)

// DomainResult is one domain's outcome in CheckDomains and CheckStream: a report, or
// the reason none could be made (an invalid name, a bad input line).
type DomainResult struct {
	Domain string
	Report *Report
	Err    error
}

// Job is one domain for CheckStream: the name, and options of its own (a DKIM
// selector or a sending IP read beside it), added to CheckStream's. A Job with Err set
// stands for an input line that could not be read: it is emitted in its place, with
// that error, and never checked.
type Job struct {
	Domain  string
	Options []Option
	Err     error
}

// DefaultConcurrency is how many domains CheckDomains checks at once.
const DefaultConcurrency = 16

// DefaultWindowFactor sets CheckStream's default reorder window: this many results
// per concurrent check may wait for an earlier, slower domain.
const DefaultWindowFactor = 16

// WithConcurrency sets how many domains CheckDomains and CheckStream check at once.
func WithConcurrency(n int) Option { return func(c *config) { c.concurrency = n } }

// WithWindow sets how many domains CheckStream may have started but not yet emitted
// (DefaultWindowFactor × the concurrency by default, and never less than the
// concurrency). It bounds memory: a slow domain holds back at most this many finished
// reports, after which no new domain starts until it is done.
func WithWindow(n int) Option { return func(c *config) { c.window = n } }

// CheckDomains reports on many domains, several at a time, and calls emit with each
// result in the order of domains (so output is reproducible). The domains share one
// resolver and its cache, so third-party records common to many of them (a provider's
// SPF include, say) are fetched once. WithTimeout bounds each domain, not the whole run.
func CheckDomains(ctx context.Context, domains []string, emit func(DomainResult), opts ...Option) error {
	jobs := func(yield func(Job) bool) {
		for _, d := range domains {
			if !yield(Job{Domain: d}) {
				return
			}
		}
	}
	return CheckStream(ctx, jobs, emit, opts...)
}

// CheckStream is CheckDomains for a list of any length: it pulls jobs as it goes
// (from one goroutine, not the caller's), checks them WithConcurrency at a time and
// calls emit, from one goroutine, with each result in the order of jobs. Memory does
// not grow with the list: at most WithWindow domains are started and not yet emitted.
//
// When ctx ends, no new job is started, but the domains already started are finished
// (each still bounded by WithTimeout) and emitted, so output stops at a clean point;
// CheckStream then returns ctx's error. Without a cancellation it returns nil once
// every job is emitted.
func CheckStream(ctx context.Context, jobs iter.Seq[Job], emit func(DomainResult), opts ...Option) error {
	cfg, err := buildConfig(opts)
	if err != nil {
		return err
	}
	n := cfg.concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	window := cfg.window
	if window <= 0 {
		window = DefaultWindowFactor * n
	}
	window = max(window, n)
	// Blocklist lookups are off in bulk unless the options turn them on: thousands of
	// domains would exceed the lists' free quotas.
	perDomain := append(append([]Option{WithReputation(false)}, opts...), WithResolver(cfg.resolver))

	type seq struct {
		i   int
		job Job
		res DomainResult
	}
	work := make(chan seq)
	// Every started job holds a slot until it is emitted; results never outnumber
	// the slots, so a worker never waits to hand one in.
	slots := make(chan struct{}, window)
	results := make(chan seq, window)
	total := make(chan int, 1) // how many jobs were started, once the producer stops
	stopped := false           // the producer stopped on ctx, not at the end of jobs

	// Domains already started run to their end even after ctx ends: a report cut
	// short by Ctrl-C would read as incomplete and be written out as if checked.
	checkCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range work {
				rep, err := CheckDomain(checkCtx, s.job.Domain, append(perDomain, s.job.Options...)...)
				s.res = DomainResult{Domain: s.job.Domain, Report: rep, Err: err}
				results <- s
			}
		}()
	}
	go func() {
		defer close(work)
		i := 0
		defer func() { total <- i }()
		for job := range jobs {
			if ctx.Err() != nil {
				stopped = true
				return
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				stopped = true
				return
			}
			s := seq{i: i, job: job}
			i++
			if job.Err != nil {
				s.res = DomainResult{Domain: job.Domain, Err: job.Err}
				results <- s
				continue
			}
			work <- s
		}
		if ctx.Err() != nil {
			stopped = true // the jobs may have ended because ctx did
		}
	}()

	pending := map[int]DomainResult{}
	next, last := 0, -1
	for last < 0 || next < last {
		select {
		case s := <-results:
			pending[s.i] = s.res
			for {
				r, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				emit(r)
				<-slots
			}
		case last = <-total:
		}
	}
	wg.Wait()
	if stopped { // written before total was sent, read after it was received
		return ctx.Err()
	}
	return nil
}
