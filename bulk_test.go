package mailcheck_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
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
