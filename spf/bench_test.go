package spf_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
)

// benchTree builds a zone whose SPF tree is depth levels deep below the root, each
// record including fanout children and naming one host with a: (looked up while the
// children are fetched), the leaves listing ip4 ranges.
func benchTree(depth, fanout int) string {
	var b strings.Builder
	b.WriteString("$TTL 300\nhost.bench.example. A 192.0.2.1\nhost.bench.example. AAAA 2001:db8::1\n")
	var add func(name string, level int)
	add = func(name string, level int) {
		if level == depth {
			fmt.Fprintf(&b, "%s TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all\"\n", name)
			return
		}
		rec := "v=spf1 a:host.bench.example"
		for i := 0; i < fanout; i++ {
			child := fmt.Sprintf("c%d.%s", i, name)
			rec += " include:" + strings.TrimSuffix(child, ".")
			add(child, level+1)
		}
		fmt.Fprintf(&b, "%s TXT \"%s ~all\"\n", name, rec)
	}
	add("bench.example.", 0)
	return b.String()
}

// BenchmarkAuditLatency measures the audit of a 3-level tree (15 records, 21 lookups)
// against a server that answers every query after 20 ms: fetched concurrently it costs
// about D+1 = 4 round trips, not one per query.
func BenchmarkAuditLatency(b *testing.B) {
	const depth, fanout, rtt = 3, 2, 20 * time.Millisecond
	srv := dnstest.Start(b, dnstest.Zone(b, benchTree(depth, fanout)))
	srv.SetLatency(rtt)
	var lookups int
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := srv.Resolver(b) // a fresh cache: every query goes to the server
		rep, err := spf.Check(context.Background(), r, "bench.example")
		if err != nil {
			b.Fatal(err)
		}
		lookups = rep.Lookups
	}
	wall := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(wall.Microseconds())/1000, "ms/audit")
	b.ReportMetric(float64(wall)/float64(rtt), "round-trips")
	b.ReportMetric(depth+1, "D+1")
	b.ReportMetric(float64(lookups), "lookups")
}

// tenLookupZone is an SPF tree of exactly 10 DNS-querying terms, three levels of
// include below the root, with an a: and an mx (two hosts) on the way. Its critical
// path is the chain of TXT lookups root → a → a1 → a11: 4 round trips.
const tenLookupZone = `$TTL 300
ten.bench.example.      TXT "v=spf1 include:a.ten.bench.example include:b.ten.bench.example mx ~all"
ten.bench.example.      MX  10 mx1.ten.bench.example.
ten.bench.example.      MX  20 mx2.ten.bench.example.
mx1.ten.bench.example.  A   198.51.100.25
mx2.ten.bench.example.  A   198.51.100.26
a.ten.bench.example.    TXT "v=spf1 include:a1.ten.bench.example a:host.ten.bench.example ~all"
a1.ten.bench.example.   TXT "v=spf1 include:a11.ten.bench.example ~all"
a11.ten.bench.example.  TXT "v=spf1 ip4:203.0.113.0/26 -all"
b.ten.bench.example.    TXT "v=spf1 include:b1.ten.bench.example a ~all"
b.ten.bench.example.    A   198.51.100.30
b1.ten.bench.example.   TXT "v=spf1 include:b11.ten.bench.example a:host2.ten.bench.example ~all"
b11.ten.bench.example.  TXT "v=spf1 ip4:203.0.113.64/26 -all"
host.ten.bench.example. A   198.51.100.40
host2.ten.bench.example. A  198.51.100.41
`

// BenchmarkCheckHostLatency evaluates check_host() over the 10-lookup tree against a
// server that answers every query after 20 ms, for an IP that matches nothing (so every
// term is evaluated), with a fresh cache each time. Sequentially each lookup waits for
// the one before (13 queries, one after another: the 10 terms, the root's TXT and
// the two MX hosts' addresses);
// prefetching, the wall time is the critical path.
func BenchmarkCheckHostLatency(b *testing.B) {
	const rtt = 20 * time.Millisecond
	srv := dnstest.Start(b, dnstest.Zone(b, tenLookupZone))
	srv.SetLatency(rtt)
	ip := netip.MustParseAddr("192.0.2.1")
	for _, bc := range []struct {
		name string
		opts []spf.Option
	}{{"sequential", []spf.Option{spf.WithSequential()}}, {"prefetch", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			var lookups int
			var queries int64
			for b.Loop() {
				r := srv.Resolver(b)
				out := spf.CheckHost(context.Background(), r, ip, "ten.bench.example", "", bc.opts...)
				if out.Result != spf.SoftFail || out.Lookups != 10 {
					b.Fatalf("got %s with %d lookups: %s", out.Result, out.Lookups, out.Problem)
				}
				lookups = out.Lookups
				queries += r.Stats().Sent
			}
			b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(rtt), "round-trips")
			b.ReportMetric(float64(lookups), "lookups")
			b.ReportMetric(float64(queries)/float64(b.N), "queries")
		})
	}
}

// nestedZone is a record with three nested includes, each level with a few ranges.
const nestedZone = `$TTL 300
warm.bench.example.    TXT "v=spf1 ip4:198.51.100.0/28 include:l1.warm.bench.example -all"
l1.warm.bench.example. TXT "v=spf1 ip4:198.51.100.16/28 ip6:2001:db8:1::/48 include:l2.warm.bench.example ~all"
l2.warm.bench.example. TXT "v=spf1 ip4:198.51.100.32/28 ip6:2001:db8:2::/48 include:l3.warm.bench.example ~all"
l3.warm.bench.example. TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:3::/48 -all"
`

// BenchmarkCheckHostWarm is check_host() for a record with three nested includes when
// every answer is already in the resolver's cache: the cost of the evaluation itself.
// The evals/s/core figure is 1e9 / ns/op for one goroutine (the target is 50,000).
func BenchmarkCheckHostWarm(b *testing.B) {
	srv := dnstest.Start(b, dnstest.Zone(b, nestedZone))
	r := srv.Resolver(b)
	ip := netip.MustParseAddr("192.0.2.77") // matched in the innermost include
	for _, bc := range []struct {
		name string
		opts []spf.Option
	}{{"sequential", []spf.Option{spf.WithSequential()}}, {"prefetch", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			if out := spf.CheckHost(context.Background(), r, ip, "warm.bench.example", "", bc.opts...); out.Result != spf.Pass {
				b.Fatalf("got %s: %s", out.Result, out.Problem)
			}
			sent := r.Stats().Sent
			b.ReportAllocs()
			for b.Loop() {
				spf.CheckHost(context.Background(), r, ip, "warm.bench.example", "", bc.opts...)
			}
			if r.Stats().Sent != sent {
				b.Fatal("the cache was not warm")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "evals/s")
		})
	}
}
