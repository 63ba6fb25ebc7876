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

func TestNewRejectsResolverAddressesThatAreNotIPAndPort(t *testing.T) {
	tests := []struct {
		name, server, want string
	}{
		{"a host name is refused: finding it would need DNS", "foo", `"foo" is not an IP address`},
		{"a port over 65535 is refused", "127.0.0.1:99999", `port "99999"`},
		{"port zero is refused", "127.0.0.1:0", `port "0"`},
		{"a non-numeric port is refused", "192.0.2.53:dns", `port "dns"`},
		{"an empty port is refused", "192.0.2.53:", `port ""`},
		{"an empty host is refused", ":53", "no IP address"},
		{"an empty address is refused", "", "no IP address"},
		{"an address with a space is refused", "not a host", "not an IP address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := dnscheck.New(dnscheck.Options{Servers: []string{"192.0.2.1", tc.server}})
			require.Error(t, err)
			assert.Nil(t, r)
			assert.ErrorIs(t, err, dnscheck.ErrBadServer)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", tc.server), "the error names the bad value")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	for _, ok := range []string{"127.0.0.1", "127.0.0.1:5353", "::1", "[::1]", "[2001:db8::53]:53"} {
		t.Run(ok+" is accepted", func(t *testing.T) {
			_, err := dnscheck.New(dnscheck.Options{Servers: []string{ok}})
			assert.NoError(t, err)
		})
	}
}

func TestAFailureIsNamedByItsCause(t *testing.T) {
	ctx := context.Background()
	t.Run("a port where nothing listens is connection refused, not a timeout", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := pc.LocalAddr().String()
		require.NoError(t, pc.Close())
		r, err := dnscheck.New(dnscheck.Options{Servers: []string{addr}, Timeout: 300 * time.Millisecond, Attempts: 2})
		require.NoError(t, err)
		start := time.Now()
		_, err = r.LookupTXT(ctx, "example.test")
		require.Error(t, err)
		assert.ErrorIs(t, err, dnscheck.ErrConnRefused)
		assert.NotErrorIs(t, err, dnscheck.ErrTimeout)
		assert.Less(t, time.Since(start), 300*time.Millisecond, "a refused connection fails at once")
		var de *net.DNSError
		require.ErrorAs(t, err, &de)
		assert.False(t, de.IsTimeout)
		assert.False(t, dnscheck.IsNotFound(err))
	})
	t.Run("an unusual rcode keeps its name", func(t *testing.T) {
		srv, r := startServer(t)
		srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeNotImplemented})
		_, err := r.LookupTXT(ctx, "example.test")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "NOTIMP")
		assert.False(t, dnscheck.IsNotFound(err))
	})
}

func TestOneCallersDeadlineDoesNotFailAnotherWaitingOnTheSameQuery(t *testing.T) {
	srv, r := startServer(t)
	srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Latency: 250 * time.Millisecond})

	shortCtx, cancelShort := context.WithTimeout(context.Background(), 40*time.Millisecond)
	defer cancelShort()
	longCtx, cancelLong := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelLong()

	var wg sync.WaitGroup
	var shortErr, longErr error
	var shortTook time.Duration
	var longTXT []string
	wg.Add(2)
	go func() {
		defer wg.Done()
		start := time.Now()
		_, shortErr = r.LookupTXT(shortCtx, "example.test")
		shortTook = time.Since(start)
	}()
	go func() {
		defer wg.Done()
		time.Sleep(10 * time.Millisecond) // join the flight the short caller started
		longTXT, longErr = r.LookupTXT(longCtx, "example.test")
	}()
	wg.Wait()

	require.Error(t, shortErr, "the short caller gives up at its own deadline")
	assert.ErrorIs(t, shortErr, context.DeadlineExceeded)
	assert.Less(t, shortTook, 200*time.Millisecond, "and does not wait for the slow answer")
	require.NoError(t, longErr, "the long caller still gets the answer")
	assert.Equal(t, []string{"v=spf1 -all"}, longTXT)
	assert.Equal(t, 1, srv.Count("example.test", "TXT"), "both waited on one query")
}

func TestASlowResolverStillAnswers(t *testing.T) {
	srv, _ := startServer(t)
	srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Latency: 2500 * time.Millisecond})
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{srv.Addr}}) // the defaults: retry after 2 s, 3 attempts
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	txt, err := r.LookupTXT(ctx, "example.test")
	took := time.Since(start)
	require.NoError(t, err, "a resolver that answers in 2.5 s is not given up on after 2 s")
	assert.Equal(t, []string{"v=spf1 -all"}, txt)
	assert.Less(t, took, 4*time.Second, "the first attempt's answer is taken (the retry's would come at 4.5 s)")
}

func TestADeadNameCostsTheBudgetNotTheWholeDeadline(t *testing.T) {
	srv, r := startServer(t) // 300 ms × 2 attempts
	srv.SetFault("example.test", dns.TypeTXT, dnstest.Fault{Drop: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err := r.LookupTXT(ctx, "example.test")
	took := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, dnscheck.ErrTimeout)
	assert.Less(t, took, 2*time.Second, "other questions of the check still have their time")
	assert.Equal(t, 2, srv.Count("example.test", "TXT"), "a retry after 300 ms")
}
