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
