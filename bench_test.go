package mailcheck_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/stretchr/testify/require"
)

// The full report for one domain against a server that takes 20 ms per answer: the
// checks run concurrently, so wall time is a handful of round trips, not one per query.
func BenchmarkCheckDomainLatency(b *testing.B) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(b, err)
	srv := dnstest.Start(b, z)
	const rtt = 20 * time.Millisecond
	srv.SetLatency(rtt)
	var queries int64
	for b.Loop() {
		r := srv.Resolver(b)
		rep, err := mailcheck.CheckDomain(context.Background(), "hosted.example", mailcheck.WithResolver(r))
		require.NoError(b, err)
		require.False(b, rep.Incomplete)
		queries += r.Stats().Sent
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perOp)/float64(rtt), "round-trips/op")
	b.ReportMetric(float64(queries)/float64(b.N), "queries/op")
}

// Offline throughput of the report (zone source): the cost of mailcheck itself.
func BenchmarkCheckDomainOffline(b *testing.B) {
	z, err := dnscheck.LoadZoneFile(demoZone)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		_, err := mailcheck.CheckDomain(context.Background(), "hosted.example", mailcheck.WithResolver(dnscheck.NewZoneResolver(z)))
		require.NoError(b, err)
	}
}

// BenchmarkCheckMessageFoldedHeader checks the RFC 8463 signed message with a field
// folded over lines of three bytes added to its header: every reader of the header
// (the header check, the DKIM check, the attachment scan) is linear, so the MB/s
// column stays flat from 100 KB to 8 MB.
func BenchmarkCheckMessageFoldedHeader(b *testing.B) {
	z, err := dnscheck.LoadZoneFile("testdata/zones/dkim-rfc8463.zone")
	require.NoError(b, err)
	r := dnscheck.NewZoneResolver(z)
	signed, err := os.ReadFile("testdata/dkim/rfc8463-a3.eml")
	require.NoError(b, err)
	for _, size := range []int{100 << 10, 1 << 20, 8 << 20} {
		msg := []byte("X-Folded: a" + strings.Repeat("\r\n x", size/4) + "\r\n" + string(signed))
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				rep, err := mailcheck.CheckMessage(context.Background(), bytes.NewReader(msg), mailcheck.WithResolver(r))
				if err != nil || !slices.Contains(codesOf(rep.Check("dkim")), "dkim.aligned-pass") {
					b.Fatalf("verification failed: %v", err)
				}
			}
		})
	}
}

// realisticCriticalPath is the longest chain of dependent queries in
// bench-realistic.zone: the SPF tree's TXT records, shop.example →
// _spf.esp.example → _netblocks.esp.example → _netblocks-v6.esp.example. Every other
// chain is shorter: MX → host addresses (2), _dmarc → the vendors' authorization
// records (2), a DKIM selector's CNAME comes with its target in one answer (1).
const realisticCriticalPath = 4

// BenchmarkCheckDomainRealistic is the whole report of a domain set up the way many
// are (testdata/zones/bench-realistic.zone) against a server answering each query after
// 20 ms, with a fresh cache each time. It reports the wall time in round trips beside
// the critical path, and the queries sent beside the distinct questions among them
// (the difference is asked twice). With MAILCHECK_TIMELINE=1 it prints the timeline of
// the last run's queries: the wave each started in (its start ÷ RTT) shows how many
// answers it waited for, so a wait that is no real dependency stands out.
func BenchmarkCheckDomainRealistic(b *testing.B) {
	z, err := dnscheck.LoadZoneFile("testdata/zones/bench-realistic.zone")
	require.NoError(b, err)
	srv := dnstest.Start(b, z)
	const rtt = 20 * time.Millisecond
	srv.SetLatency(rtt)
	var sent, distinct int
	var log []dnstest.Timed
	for b.Loop() {
		srv.ResetLog()
		rep, err := mailcheck.CheckDomain(context.Background(), "shop.example", mailcheck.WithResolver(srv.Resolver(b)))
		require.NoError(b, err)
		require.False(b, rep.Incomplete)
		require.Equal(b, mailcheck.Grade("A"), rep.Grade)
		log = srv.Timeline()
		seen := map[string]bool{}
		for _, q := range log {
			seen[q.Type+" "+q.Name] = true
		}
		sent, distinct = len(log), len(seen)
	}
	perOp := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(perOp)/float64(rtt), "round-trips/op")
	b.ReportMetric(realisticCriticalPath, "critical-path")
	b.ReportMetric(float64(sent), "queries/op")
	b.ReportMetric(float64(distinct), "distinct-questions/op")
	if os.Getenv("MAILCHECK_TIMELINE") != "" {
		printTimeline(b, log, rtt)
	}
}

// printTimeline writes one line per query: start and end in ms from the first query,
// the wave it started in, and the question.
func printTimeline(b *testing.B, log []dnstest.Timed, rtt time.Duration) {
	b.Helper()
	if len(log) == 0 {
		return
	}
	slices.SortStableFunc(log, func(x, y dnstest.Timed) int { return x.Start.Compare(y.Start) })
	t0 := log[0].Start
	var w strings.Builder
	fmt.Fprintf(&w, "timeline (%d queries, RTT %v):\n  start    end  wave  question\n", len(log), rtt)
	for _, q := range log {
		end := "    -"
		if !q.End.IsZero() {
			end = fmt.Sprintf("%5.1f", float64(q.End.Sub(t0).Microseconds())/1000)
		}
		start := q.Start.Sub(t0)
		fmt.Fprintf(&w, "  %5.1f  %s  %4d  %s %s\n", float64(start.Microseconds())/1000, end, int(start/rtt), q.Type, q.Name)
	}
	fmt.Print(w.String())
}
