package mailcheck_test

import (
	"context"
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
