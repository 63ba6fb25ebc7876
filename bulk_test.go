package mailcheck_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckDomainsKeepsInputOrderAndSharesTheCache(t *testing.T) {
	domains := []string{"example.com", "hosted.example", "not a domain", "nodmarc.example", "weakdkim.example", "example.com"}
	r := demoResolver(t)
	var got []mailcheck.DomainResult
	err := mailcheck.CheckDomains(context.Background(), domains, func(res mailcheck.DomainResult) {
		got = append(got, res)
	}, mailcheck.WithResolver(r), mailcheck.WithConcurrency(3))
	require.NoError(t, err)
	require.Len(t, got, len(domains))
	for i, res := range got {
		assert.Equal(t, domains[i], res.Domain)
	}
	assert.Error(t, got[2].Err, "an invalid name is reported, not fatal")
	assert.Equal(t, mailcheck.Grade("A"), got[0].Report.Grade)
	assert.Equal(t, mailcheck.Grade("D"), got[3].Report.Grade)

	// The second example.com is answered from the shared cache: it adds no query.
	alone := demoResolver(t)
	_, err = mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(alone))
	require.NoError(t, err)
	assert.Equal(t, got[0].Report.Grade, got[5].Report.Grade)
	assert.Less(t, r.Stats().Sent, 5*alone.Stats().Sent, "shared records are fetched once")
}

func TestCheckDomainsStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err := mailcheck.CheckDomains(ctx, []string{"example.com", "hosted.example"}, func(mailcheck.DomainResult) { n++ },
		mailcheck.WithResolver(demoResolver(t)))
	assert.ErrorIs(t, err, context.Canceled)
	assert.LessOrEqual(t, n, 2)
}

// Two domains checked at once on one resolver share a slow provider include. The
// first gives up early; the second, with time to spare, must still get the answer
// (before, the shared query ran under the first caller's context and both failed).
func TestOneDomainsDeadlineDoesNotFailAnotherDomain(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, `
a.test.              IN TXT "v=spf1 include:_spf.provider.test -all"
b.test.              IN TXT "v=spf1 include:_spf.provider.test -all"
_spf.provider.test.  IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
`))
	srv.SetFault("_spf.provider.test", dns.TypeTXT, dnstest.Fault{Latency: 200 * time.Millisecond})
	r := srv.Resolver(t)

	var wg sync.WaitGroup
	var short, long *mailcheck.Check
	var shortErr, longErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		short, shortErr = mailcheck.CheckSPF(context.Background(), "a.test", mailcheck.WithResolver(r), mailcheck.WithTimeout(50*time.Millisecond))
	}()
	go func() {
		defer wg.Done()
		time.Sleep(10 * time.Millisecond) // ask while a.test's query is in flight
		long, longErr = mailcheck.CheckSPF(context.Background(), "b.test", mailcheck.WithResolver(r), mailcheck.WithTimeout(5*time.Second))
	}()
	wg.Wait()
	require.NoError(t, shortErr)
	require.NoError(t, longErr)
	assert.True(t, short.Incomplete(), "a.test ran out of its own time")
	assert.False(t, long.Incomplete(), "b.test had time and got the shared answer: %v", long.Findings)
	assert.Equal(t, mailcheck.StatusPass, long.Status)
	assert.LessOrEqual(t, srv.Count("_spf.provider.test", "TXT"), 2, "one question (a retry after 300 ms at most) served both")
}

func jobsOf(domains ...string) func(func(mailcheck.Job) bool) {
	return func(yield func(mailcheck.Job) bool) {
		for _, d := range domains {
			if !yield(mailcheck.Job{Domain: d}) {
				return
			}
		}
	}
}

// demoServer serves the demo zone over loopback, for tests that need faults.
func demoServer(t *testing.T) *dnstest.Server {
	t.Helper()
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(t, err)
	return dnstest.Start(t, z)
}

func TestCheckStreamHoldsNoMoreThanItsWindow(t *testing.T) {
	srv := demoServer(t)
	// The first domain is slow; the others are quick and finish behind it.
	srv.SetFault("_dmarc.nodmarc.example", dns.TypeTXT, dnstest.Fault{Latency: 300 * time.Millisecond})
	domains := []string{"nodmarc.example"}
	for range 20 {
		domains = append(domains, "example.com", "hosted.example", "weakdkim.example")
	}
	var mu sync.Mutex
	pulled, pulledAtFirstEmit := 0, -1
	jobs := func(yield func(mailcheck.Job) bool) {
		for _, d := range domains {
			mu.Lock()
			pulled++
			mu.Unlock()
			if !yield(mailcheck.Job{Domain: d}) {
				return
			}
		}
	}
	var got []string
	err := mailcheck.CheckStream(context.Background(), jobs, func(res mailcheck.DomainResult) {
		mu.Lock()
		if pulledAtFirstEmit < 0 {
			pulledAtFirstEmit = pulled
		}
		mu.Unlock()
		got = append(got, res.Domain)
	}, mailcheck.WithResolver(srv.Resolver(t)), mailcheck.WithConcurrency(2), mailcheck.WithWindow(4))
	require.NoError(t, err)
	assert.Equal(t, domains, got, "every domain, in input order")
	assert.LessOrEqual(t, pulledAtFirstEmit, 4+1, "while the slow domain runs, at most the window (and the one waiting for a slot) is read")
}

func TestCheckStreamEmitsABadLineInItsPlace(t *testing.T) {
	bad := errors.New("line 2: no domain")
	jobs := func(yield func(mailcheck.Job) bool) {
		_ = yield(mailcheck.Job{Domain: "example.com"}) && yield(mailcheck.Job{Domain: "a,b", Err: bad}) && yield(mailcheck.Job{Domain: "hosted.example"})
	}
	var got []mailcheck.DomainResult
	err := mailcheck.CheckStream(context.Background(), jobs, func(r mailcheck.DomainResult) { got = append(got, r) },
		mailcheck.WithResolver(demoResolver(t)))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.NotNil(t, got[0].Report)
	assert.ErrorIs(t, got[1].Err, bad)
	assert.Nil(t, got[1].Report)
	assert.Equal(t, "hosted.example", got[2].Report.Domain)
}

func TestCheckStreamATimeoutDoesNotStopTheRun(t *testing.T) {
	srv := demoServer(t)
	srv.SetFault("_dmarc.nodmarc.example", dns.TypeTXT, dnstest.Fault{Drop: true})
	var got []mailcheck.DomainResult
	err := mailcheck.CheckStream(context.Background(), jobsOf("example.com", "nodmarc.example", "hosted.example"),
		func(r mailcheck.DomainResult) { got = append(got, r) },
		mailcheck.WithResolver(srv.Resolver(t)), mailcheck.WithTimeout(300*time.Millisecond), mailcheck.WithConcurrency(1))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.True(t, got[1].Report.Incomplete, "the silent name leaves its domain incomplete")
	assert.Equal(t, mailcheck.Grade("A"), got[0].Report.Grade)
	assert.False(t, got[2].Report.Incomplete, "the run went on after the timeout")
}

func TestCheckStreamFinishesWhatItStartedWhenCancelled(t *testing.T) {
	srv := demoServer(t)
	srv.SetLatency(20 * time.Millisecond)
	var domains []string
	for range 30 {
		domains = append(domains, "example.com", "hosted.example")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []mailcheck.DomainResult
	err := mailcheck.CheckStream(ctx, jobsOf(domains...), func(r mailcheck.DomainResult) {
		got = append(got, r)
		if len(got) == 3 {
			cancel()
		}
	}, mailcheck.WithResolver(srv.Resolver(t)), mailcheck.WithConcurrency(4))
	assert.ErrorIs(t, err, context.Canceled)
	assert.GreaterOrEqual(t, len(got), 3)
	assert.Less(t, len(got), len(domains), "no new domain starts after the cancel")
	for i, r := range got {
		require.NoError(t, r.Err)
		assert.Equal(t, domains[i], r.Domain, "in order, with no gap")
		assert.False(t, r.Report.Incomplete, "%s was finished, not cut short", r.Domain)
	}
}

// With the probe off, only the named selector is asked about.
func TestSelectorProbeOffAsksOnlyTheNamedSelector(t *testing.T) {
	srv := dnstest.Start(t, bulkZone(t, 1))
	d := bulkDomain(0)
	rep, err := mailcheck.CheckDomain(context.Background(), d, mailcheck.WithResolver(srv.Resolver(t)),
		mailcheck.WithSelectors(bulkSelector), mailcheck.WithSelectorProbe(false))
	require.NoError(t, err)
	require.False(t, rep.Incomplete)
	for _, q := range srv.Log() {
		if strings.HasSuffix(q.Name, "._domainkey."+d+".") {
			assert.Equal(t, bulkSelector+"._domainkey."+d+".", q.Name)
		}
	}
	assert.Equal(t, 1, srv.Count(bulkSelector+"._domainkey."+d, "TXT"))
	assert.Equal(t, mailcheck.StatusPass, rep.Check("dkim").Status, "%v", codesOf(rep.Check("dkim")))
}
