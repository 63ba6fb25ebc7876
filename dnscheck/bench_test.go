package dnscheck_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
)

// A cached answer costs no round trip: this is the price of the cache itself.
func BenchmarkLookupTXTCached(b *testing.B) {
	srv := dnstest.Start(b, dnstest.Zone(b, testZone))
	r := srv.Resolver(b)
	ctx := context.Background()
	if _, err := r.LookupTXT(ctx, "example.test"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.LookupTXT(ctx, "example.test"); err != nil {
			b.Fatal(err)
		}
	}
}

// Uncached lookups over loopback UDP: the wire cost of one question.
func BenchmarkLookupTXTWire(b *testing.B) {
	srv := dnstest.Start(b, dnstest.Zone(b, testZone))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	r := srv.Resolver(b)
	for b.Loop() {
		i++
		if _, err := r.LookupTXT(ctx, fmt.Sprintf("n%d.wild.example.test", i)); err != nil {
			b.Fatal(err)
		}
	}
}

// 32 concurrent identical questions against a server with 10 ms latency cost one round
// trip and one query: the in-flight deduplication at work.
func BenchmarkConcurrentIdenticalQuestions(b *testing.B) {
	srv := dnstest.Start(b, dnstest.Zone(b, testZone))
	srv.SetLatency(10 * time.Millisecond)
	ctx := context.Background()
	var queries int64
	for b.Loop() {
		r := srv.Resolver(b)
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.LookupTXT(ctx, "example.test"); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		queries += r.Stats().Sent
	}
	b.ReportMetric(float64(queries)/float64(b.N), "queries/op")
}

// The cost of validation on a signed tree (root → com → example.com) with 20 ms per
// answer, cold cache: the SOA, MX and TXT answers the report checks, looked up alone
// (the baseline) and validated, all three at once as the report does.
func BenchmarkValidateColdChain(b *testing.B) {
	tree := buildTree(b, nil)
	tree.srv.SetLatency(20 * time.Millisecond)
	ctx := context.Background()
	qtypes := []uint16{dns.TypeSOA, dns.TypeMX, dns.TypeTXT}
	for _, validate := range []bool{false, true} {
		name := "lookup-only"
		if validate {
			name = "validated"
		}
		b.Run(name, func(b *testing.B) {
			var queries int64
			for b.Loop() {
				r := tree.resolver(b)
				var wg sync.WaitGroup
				for _, qt := range qtypes {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if !validate {
							if _, err := r.Query(ctx, "example.com", qt); err != nil {
								b.Error(err)
							}
							return
						}
						if v := r.Validate(ctx, "example.com", qt); v.State != dnscheck.Secure {
							b.Error(v.Reason)
						}
					}()
				}
				wg.Wait()
				queries += r.Stats().Sent
			}
			b.ReportMetric(float64(queries)/float64(b.N), "queries/op")
		})
	}
}
