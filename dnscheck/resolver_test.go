package dnscheck_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testZone = `
$ORIGIN example.test.
@          300 IN TXT   "v=spf1 -all"
@          300 IN MX    10 mx
mx         300 IN A     192.0.2.10
mx         300 IN AAAA  2001:db8::10
split      300 IN TXT   "v=spf1 " "ip4:192.0.2.0/24" " -all"
escaped    300 IN TXT   "tab\009quote\"slash\\high\128"
alias      300 IN CNAME alias2
alias2     300 IN CNAME target
target     300 IN TXT   "at the end of the chain"
loop1      300 IN CNAME loop2
loop2      300 IN CNAME loop1
*.wild     300 IN TXT   "wildcard"
a.b.deep   300 IN TXT   "deep"
`

func startServer(t *testing.T) (*dnstest.Server, *dnscheck.Resolver) {
	t.Helper()
	srv := dnstest.Start(t, dnstest.Zone(t, testZone))
	return srv, srv.Resolver(t)
}

func TestLookupsOverTheWire(t *testing.T) {
	ctx := context.Background()
	_, r := startServer(t)

	t.Run("a TXT record comes back as text", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 -all"}, txt)
	})
	t.Run("a multi-string TXT record is joined with no separator", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "split.example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"v=spf1 ip4:192.0.2.0/24 -all"}, txt)
		strs, err := r.LookupTXTStrings(ctx, "split.example.test")
		require.NoError(t, err)
		assert.Equal(t, [][]string{{"v=spf1 ", "ip4:192.0.2.0/24", " -all"}}, strs)
	})
	t.Run("escapes in TXT data become the real bytes", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "escaped.example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"tab\tquote\"slash\\high\x80"}, txt)
	})
	t.Run("MX and addresses resolve", func(t *testing.T) {
		mx, err := r.LookupMX(ctx, "example.test")
		require.NoError(t, err)
		require.Len(t, mx, 1)
		assert.Equal(t, "mx.example.test.", mx[0].Host)
		addrs, err := r.LookupNetIP(ctx, "ip", "mx.example.test")
		require.NoError(t, err)
		assert.Equal(t, "[192.0.2.10 2001:db8::10]", fmt.Sprint(addrs))
	})
	t.Run("a CNAME chain is followed to its end", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "alias.example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"at the end of the chain"}, txt)
		ans, err := r.Query(ctx, "alias.example.test", dns.TypeTXT)
		require.NoError(t, err)
		assert.Equal(t, []string{"alias2.example.test.", "target.example.test."}, ans.Chain())
		cname, err := r.LookupCNAME(ctx, "alias.example.test")
		require.NoError(t, err)
		assert.Equal(t, "target.example.test.", cname)
	})
	t.Run("a wildcard answers for names below it", func(t *testing.T) {
		txt, err := r.LookupTXT(ctx, "anything.wild.example.test")
		require.NoError(t, err)
		assert.Equal(t, []string{"wildcard"}, txt)
	})
}

func TestNegativeAnswersAreKeptApart(t *testing.T) {
	ctx := context.Background()
	_, r := startServer(t)
	tests := []struct {
		name, qname string
		want        error
	}{
		{"a name that does not exist is NXDOMAIN", "nope.example.test", dnscheck.ErrNXDOMAIN},
		{"an existing name without the type is NODATA", "mx.example.test", dnscheck.ErrNODATA},
		{"an empty non-terminal is NODATA, not NXDOMAIN (RFC 8020)", "b.deep.example.test", dnscheck.ErrNODATA},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.LookupTXT(ctx, tc.qname)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.True(t, dnscheck.IsNotFound(err))
			var de *net.DNSError
			require.ErrorAs(t, err, &de)
			assert.False(t, de.IsTimeout)
		})
	}
}

func TestFaultsAreFailuresNotAbsence(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		fault     dnstest.Fault
		want      error
		timeout   bool
		temporary bool
	}{
		{"SERVFAIL is a temporary failure", dnstest.Fault{Rcode: dns.RcodeServerFailure}, dnscheck.ErrServFail, false, true},
		{"REFUSED is a failure", dnstest.Fault{Rcode: dns.RcodeRefused}, dnscheck.ErrRefused, false, false},
		{"silence is a timeout", dnstest.Fault{Drop: true}, dnscheck.ErrTimeout, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, r := startServer(t)
			srv.SetFault("example.test", dns.TypeTXT, tc.fault)
			_, err := r.LookupTXT(ctx, "example.test")
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.False(t, dnscheck.IsNotFound(err), "a failure must not look like a missing record")
			var de *net.DNSError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.timeout, de.IsTimeout)
			assert.Equal(t, tc.temporary, de.IsTemporary)
			assert.Equal(t, 2, srv.Count("example.test", "TXT"), "each of the two attempts reaches the server")

			// Other types at the same name are unaffected.
			_, err = r.LookupMX(ctx, "example.test")
			assert.NoError(t, err)
		})
	}
}

func TestTruncatedAnswerIsRetriedOverTCP(t *testing.T) {
	ctx := context.Background()
	t.Run("forced truncation", func(t *testing.T) {
		srv, r := startServer(t)
		srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Truncate: true})
		ans, err := r.Query(ctx, "example.test", dns.TypeTXT)
		require.NoError(t, err)
		assert.True(t, ans.TCP)
		assert.Len(t, ans.Final(), 1)
		assert.Equal(t, []dnstest.Query{
			{Name: "example.test.", Type: "TXT", Proto: "udp"},
			{Name: "example.test.", Type: "TXT", Proto: "tcp"},
		}, srv.Log())
	})
	t.Run("an answer larger than the EDNS buffer", func(t *testing.T) {
		var zone strings.Builder
		for i := 0; i < 40; i++ {
			fmt.Fprintf(&zone, "big.test. 300 IN TXT \"%s\"\n", strings.Repeat(fmt.Sprint(i%10), 200))
		}
		srv := dnstest.Start(t, dnstest.Zone(t, zone.String()))
		txt, err := srv.Resolver(t).LookupTXT(ctx, "big.test")
		require.NoError(t, err)
		assert.Len(t, txt, 40)
		assert.Equal(t, 1, srv.Count("big.test", "TXT")-countProto(srv, "udp"))
	})
}

func countProto(srv *dnstest.Server, proto string) int {
	n := 0
	for _, q := range srv.Log() {
		if q.Proto == proto {
			n++
		}
	}
	return n
}

func TestCNAMELoopIsAFailure(t *testing.T) {
	_, r := startServer(t)
	_, err := r.LookupTXT(context.Background(), "loop1.example.test")
	require.Error(t, err)
	assert.False(t, dnscheck.IsNotFound(err))
}

func TestConcurrentIdenticalQuestionsShareOneQuery(t *testing.T) {
	srv, r := startServer(t)
	srv.SetLatency(50 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.LookupTXT(context.Background(), "Example.TEST.")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, srv.Count("example.test", "TXT"), "the server's log shows a single query")

	_, err := r.LookupTXT(context.Background(), "example.test")
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Count("example.test", "TXT"), "a repeated question is answered from the cache")
	stats := r.Stats()
	assert.Equal(t, int64(1), stats.Sent)
	assert.Equal(t, int64(1), stats.ByType["TXT"])
}

func TestNextServerIsTriedAfterAFailure(t *testing.T) {
	zone := dnstest.Zone(t, testZone)
	bad, good := dnstest.Start(t, zone), dnstest.Start(t, zone)
	bad.SetFault("example.test", 0, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{bad.Addr, good.Addr}, Timeout: time.Second})
	require.NoError(t, err)
	txt, err := r.LookupTXT(context.Background(), "example.test")
	require.NoError(t, err)
	assert.Equal(t, []string{"v=spf1 -all"}, txt)
	assert.Equal(t, 1, bad.Count("example.test", "TXT"))
	assert.Equal(t, 1, good.Count("example.test", "TXT"))
}

func TestContextDeadlineStopsTheQuery(t *testing.T) {
	srv, _ := startServer(t)
	srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Drop: true})
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{srv.Addr}, Timeout: time.Hour, Attempts: 5})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = r.LookupTXT(ctx, "example.test")
	require.Error(t, err)
	assert.False(t, dnscheck.IsNotFound(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// The zone-file resolver must answer exactly as the server does for the same zone.
func TestZoneResolverAnswersLikeTheServer(t *testing.T) {
	ctx := context.Background()
	zone := dnstest.Zone(t, testZone)
	wire := dnstest.Start(t, zone).Resolver(t)
	offline := dnscheck.NewZoneResolver(zone)
	questions := []struct {
		name  string
		qtype uint16
	}{
		{"example.test", dns.TypeTXT}, {"example.test", dns.TypeMX}, {"mx.example.test", dns.TypeA},
		{"mx.example.test", dns.TypeAAAA}, {"mx.example.test", dns.TypeTXT}, {"nope.example.test", dns.TypeA},
		{"alias.example.test", dns.TypeTXT}, {"alias.example.test", dns.TypeA}, {"loop1.example.test", dns.TypeTXT},
		{"x.wild.example.test", dns.TypeTXT}, {"b.deep.example.test", dns.TypeTXT}, {"split.example.test", dns.TypeTXT},
		{"escaped.example.test", dns.TypeTXT}, {"example.test", dns.TypeCNAME}, {"alias.example.test", dns.TypeCNAME},
	}
	for _, q := range questions {
		t.Run(q.name+" "+dns.TypeToString[q.qtype], func(t *testing.T) {
			a, err := wire.Query(ctx, q.name, q.qtype)
			require.NoError(t, err)
			b, err := offline.Query(ctx, q.name, q.qtype)
			require.NoError(t, err)
			assert.Equal(t, a.Rcode, b.Rcode)
			assert.Equal(t, a.RcodeText(), b.RcodeText())
			assert.Equal(t, rrText(a.Records), rrText(b.Records))
			assert.Equal(t, a.Chain(), b.Chain())
		})
	}
}

func rrText(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, rr.String())
	}
	return out
}

func TestZoneFileErrorsNameTheLine(t *testing.T) {
	_, err := dnscheck.ParseZone(strings.NewReader("a.test. 300 IN A 192.0.2.1\nb.test. 300 IN A not-an-address\n"), "bad.zone")
	var ze *dnscheck.ZoneError
	require.ErrorAs(t, err, &ze)
	assert.Equal(t, "bad.zone", ze.File)
	assert.Equal(t, 2, ze.Line)
	assert.Contains(t, err.Error(), "bad.zone, line 2")
}

func TestNewRejectsBadServerAddresses(t *testing.T) {
	_, err := dnscheck.New(dnscheck.Options{Servers: []string{"not a host"}})
	assert.Error(t, err)
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{"127.0.0.1"}})
	require.NoError(t, err)
	assert.NotNil(t, r)
}

func TestQueryErrorIsOnlyForNoResponse(t *testing.T) {
	srv, r := startServer(t)
	srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	ans, err := r.Query(context.Background(), "example.test", dns.TypeTXT)
	require.NoError(t, err, "SERVFAIL is a response")
	assert.Equal(t, "SERVFAIL", ans.RcodeText())
	srv.SetFault("example.test", dns.TypeMX, dnstest.Fault{Drop: true})
	_, err = r.Query(context.Background(), "example.test", dns.TypeMX)
	assert.True(t, errors.Is(err, dnscheck.ErrTimeout))
}
