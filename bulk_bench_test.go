package mailcheck_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
)

// benchDKIMKey is a 2048-bit RSA public key (the one of bench-realistic.zone).
const benchDKIMKey = `"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAinZc2Mzi3c12QALYkxK/NsYfUBTA++Ih/LS1H5zbT165JW1l6w/5BIVybgZGwik4fqteMdTPlkr8NZ0lZuIELOhp5QPywqIUl8pDV0MKcStfFaj4Z1gICdbRSgkP5L5qMeNVoUNwClvsnZO170TyKblYOnNS" "M+5phDxl6UACdyLABwGwsZZ+lfZx47QbvUZkIQrwyiKHWmvydcMMRECj1SNCwNs9iRbGPeT9t2xlQYqRJl9TnfI6fIyOp9QokbE0c6S2nDLDJjaUoSsof5uTltfvxHmjgfCN+tDxIEmpEoJL1bkDe3xWJMiExbjI7FXwvfshoHVVk43YfRGTYixI9wIDAQAB"`

// bulkSelector is the DKIM selector every generated domain publishes its key at.
const bulkSelector = "s2026"

// bulkDomain names the i-th generated domain.
func bulkDomain(i int) string { return fmt.Sprintf("d%06d.example", i) }

// bulkZone generates n domains set up the way many are: an MX host of their own with
// an address, SPF with one include of a shared provider, DMARC p=reject with rua at
// the domain itself, a DKIM key at bulkSelector.
func bulkZone(tb testing.TB, n int) *dnscheck.Zone {
	tb.Helper()
	var w strings.Builder
	w.WriteString("$TTL 3600\n")
	w.WriteString("_spf.provider.example. IN TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:5::/48 ~all\"\n")
	for i := range n {
		d := bulkDomain(i)
		fmt.Fprintf(&w, "$ORIGIN %s.\n", d)
		fmt.Fprintf(&w, "@ IN MX 10 mx\n")
		fmt.Fprintf(&w, "@ IN TXT \"v=spf1 mx include:_spf.provider.example -all\"\n")
		fmt.Fprintf(&w, "mx IN A 198.51.%d.%d\n", (i/250)%250, i%250+1)
		fmt.Fprintf(&w, "_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@%s\"\n", d)
		fmt.Fprintf(&w, "%s._domainkey IN TXT ( %s )\n", bulkSelector, benchDKIMKey)
	}
	z, err := dnscheck.ParseZone(strings.NewReader(w.String()), "bulk")
	if err != nil {
		tb.Fatalf("bulk zone: %v", err)
	}
	return z
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(tb testing.TB, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// cpuTime is the process's user+system CPU time so far (this includes the in-process
// DNS server, which answers every query).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBulk checks MAILCHECK_BULK_N (default 2,000) generated domains through
// CheckDomains against the in-process DNS server (no added latency), with the
// domain's selector named (WithSelectors), with the common-selector probe on (the
// default) and off (WithSelectorProbe(false)). One op is
// the whole list with a fresh resolver (empty cache). It reports domains/s (wall),
// CPU ms per domain (getrusage, server included) and allocations per domain
// (runtime.MemStats.Mallocs, server included), per concurrency, and the share of
// reports left incomplete because a lookup timed out.
func BenchmarkBulk(b *testing.B) {
	n := envInt(b, "MAILCHECK_BULK_N", 2000)
	z := bulkZone(b, n)
	srv := dnstest.Start(b, z)
	domains := make([]string, n)
	for i := range domains {
		domains[i] = bulkDomain(i)
	}
	for _, c := range []struct {
		probe bool
		conc  int
	}{{true, 16}, {true, 64}, {false, 16}, {false, 64}, {false, 256}} {
		probe, conc := c.probe, c.conc
		b.Run(fmt.Sprintf("probe=%v/conc=%d", probe, conc), func(b *testing.B) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cpuTime()
			var queries int64
			incomplete := 0
			for b.Loop() {
				srv.ResetLog()
				r := srv.Resolver(b)
				err := mailcheck.CheckDomains(context.Background(), domains, func(res mailcheck.DomainResult) {
					if res.Err != nil {
						b.Fatalf("%s: %v", res.Domain, res.Err)
					}
					if res.Report.Incomplete {
						incomplete++
					}
				}, mailcheck.WithResolver(r), mailcheck.WithConcurrency(conc), mailcheck.WithSelectors(bulkSelector),
					mailcheck.WithSelectorProbe(probe), mailcheck.WithTimeout(10*time.Second))
				if err != nil {
					b.Fatal(err)
				}
				queries += r.Stats().Sent
			}
			cpu := cpuTime() - cpu0
			runtime.ReadMemStats(&ms1)
			total := float64(n * b.N)
			b.ReportMetric(total/b.Elapsed().Seconds(), "domains/s")
			b.ReportMetric(float64(cpu.Microseconds())/1000/total, "cpu-ms/domain")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/total, "allocs/domain")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/total, "B/domain")
			b.ReportMetric(float64(queries)/total, "queries/domain")
			// A domain whose lookups timed out (the server, sharing the 2 cores, fell
			// behind): counted, not fatal, so the concurrency where it starts shows.
			b.ReportMetric(float64(incomplete)/total, "incomplete/domain")
		})
	}
}

// BenchmarkSoak checks MAILCHECK_SOAK_N (default 100,000) generated domains in one
// CheckStream run (16 at a time, the selector named, no probe), each bounded by
// WithTimeout(3s). Every 20th domain's names time out
// (Drop) and every 20th other one SERVFAILs (5% each). It fails unless every domain
// got exactly one result, in order, and every domain without a fault is complete (a
// failure never leaks into another domain). It reports goroutines and heap in use
// after the first and the last 10,000 domains (MAILCHECK_SOAK_N/10 when smaller).
// The server's query log is reset every 1,000 results so it does not grow.
func BenchmarkSoak(b *testing.B) {
	n := envInt(b, "MAILCHECK_SOAK_N", 100_000)
	z := bulkZone(b, n)
	srv := dnstest.Start(b, z)
	faultOf := func(i int) string {
		switch i % 20 {
		case 7:
			return "drop"
		case 13:
			return "servfail"
		}
		return ""
	}
	for i := range n {
		switch faultOf(i) {
		case "drop":
			srv.SetFault(bulkDomain(i), 0, dnstest.Fault{Drop: true})
		case "servfail":
			srv.SetFault(bulkDomain(i), 0, dnstest.Fault{Rcode: dns.RcodeServerFailure})
		}
	}
	mark := min(10_000, n/10)
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}
	for b.Loop() {
		// Three attempts of 500 ms: a UDP packet lost on the loaded loopback (the
		// server shares the 2 cores) is retried within the domain's 3 s.
		r, err := dnscheck.New(dnscheck.Options{Servers: []string{srv.Addr}, Timeout: 500 * time.Millisecond, Attempts: 3})
		if err != nil {
			b.Fatal(err)
		}
		r.SetCacheLimit(50_000)
		got := make([]int, n)
		next := 0
		var g1, g2 int
		var h1, h2 uint64
		var maxMS int64
		jobs := func(yield func(mailcheck.Job) bool) {
			for i := range n {
				if !yield(mailcheck.Job{Domain: bulkDomain(i)}) {
					return
				}
			}
		}
		cpu0 := cpuTime()
		start := time.Now()
		err = mailcheck.CheckStream(context.Background(), jobs, func(res mailcheck.DomainResult) {
			i := next
			next++
			if i >= n || res.Domain != bulkDomain(i) {
				b.Fatalf("result %d is for %q, want %q", i, res.Domain, bulkDomain(min(i, n-1)))
			}
			got[i]++
			if res.Err != nil {
				b.Fatalf("%s: %v", res.Domain, res.Err)
			}
			if faultOf(i) == "" && res.Report.Incomplete {
				b.Fatalf("%s has no fault but its report is incomplete: %s", res.Domain, incompleteChecks(res.Report))
			}
			// WithTimeout(3s) bounds each domain (with 500 ms for scoring and scheduling
			// on the loaded machine).
			if res.Report.ElapsedMS > 3500 {
				b.Fatalf("%s took %d ms, past its 3 s WithTimeout", res.Domain, res.Report.ElapsedMS)
			}
			maxMS = max(maxMS, res.Report.ElapsedMS)
			if faultOf(i) != "" && !res.Report.Incomplete {
				b.Fatalf("%s (%s) has a fault but its report is complete", res.Domain, faultOf(i))
			}
			if next%1000 == 0 {
				srv.ResetLog()
			}
			switch next {
			case mark:
				g1, h1 = runtime.NumGoroutine(), heap()
			case n - mark:
				g2, h2 = runtime.NumGoroutine(), heap()
			}
		}, mailcheck.WithResolver(r), mailcheck.WithConcurrency(16), mailcheck.WithSelectors(bulkSelector),
			mailcheck.WithSelectorProbe(false), mailcheck.WithTimeout(3*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for i, c := range got {
			if c != 1 {
				b.Fatalf("%s got %d results", bulkDomain(i), c)
			}
		}
		wall := time.Since(start)
		b.ReportMetric(float64(n)/wall.Seconds(), "domains/s")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(n), "cpu-ms/domain")
		b.ReportMetric(float64(maxMS), "max-domain-ms")
		b.ReportMetric(float64(g1), "goroutines-first")
		b.ReportMetric(float64(g2), "goroutines-last")
		b.ReportMetric(float64(h1)/(1<<20), "heap-MB-first")
		b.ReportMetric(float64(h2)/(1<<20), "heap-MB-last")
	}
}

// incompleteChecks lists the checks of rep left incomplete, with their findings.
func incompleteChecks(rep *mailcheck.Report) string {
	var w strings.Builder
	for _, c := range rep.Checks {
		if c.Incomplete() {
			fmt.Fprintf(&w, "%s: %v; ", c.ID, c.Findings)
		}
	}
	return w.String()
}
