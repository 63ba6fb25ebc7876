package spf_test

import (
	"context"
	"fmt"
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
