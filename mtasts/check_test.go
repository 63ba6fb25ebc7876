package mtasts

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/netdial"
	"github.com/mailcheck/mailcheck/internal/testca"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.backup.example.com\r\nmax_age: 604800\r\n"

// baseZone is example.com with two MX hosts (one under a wildcard pattern), a
// policy record and the policy host, all on loopback.
const baseZone = `$TTL 300
$ORIGIN example.com.
@           MX  10 mx1
@           MX  20 mx2.backup
mx1         A   127.0.0.1
mx2.backup  A   127.0.0.1
mta-sts     A   127.0.0.1
_mta-sts    TXT "v=STSv1; id=20260101T0"
`

// policyServer serves handler over HTTPS on 127.0.0.1 with cert and returns its port.
func policyServer(t *testing.T, cert tls.Certificate, handler http.HandlerFunc) int {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

func servePolicy(body, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write([]byte(body))
	}
}

type env struct {
	dns  *dnstest.Server
	r    Resolver
	ca   *testca.CA
	opts []Option
}

func newEnv(t *testing.T, zone string) *env {
	t.Helper()
	s := dnstest.Start(t, dnstest.Zone(t, zone))
	ca := testca.New(t)
	return &env{dns: s, r: s.Resolver(t), ca: ca, opts: []Option{WithRootCAs(ca.Pool()), WithTimeout(2 * time.Second)}}
}

func (e *env) check(t *testing.T, port int, extra ...Option) *Report {
	t.Helper()
	opts := append(append([]Option{}, e.opts...), WithPort(port))
	res, err := Check(context.Background(), e.r, "example.com", append(opts, extra...)...)
	require.NoError(t, err)
	return res
}

func codes(res *Report) []finding.Code {
	out := []finding.Code{}
	for _, f := range res.Findings {
		out = append(out, f.Code)
	}
	return out
}

func only(t *testing.T, res *Report, code finding.Code) finding.Finding {
	t.Helper()
	require.Equal(t, []finding.Code{code}, codes(res), "findings: %+v", res.Findings)
	return res.Findings[0]
}

func TestCheckAgainstLoopbackServers(t *testing.T) {
	t.Run("a good enforce policy covering every MX host has no finding", func(t *testing.T) {
		e := newEnv(t, baseZone)
		port := policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain; charset=utf-8"))
		res := e.check(t, port)
		assert.Empty(t, res.Findings)
		assert.Equal(t, StateActive, res.State)
		assert.Equal(t, Enforce, res.Mode)
		assert.Equal(t, []MXMatch{{"mx1.example.com", "mx1.example.com"}, {"mx2.backup.example.com", "*.backup.example.com"}}, res.MX)
		assert.Equal(t, "20260101T0", res.Record.ID)
		assert.Equal(t, "mta-sts.example.com", res.Fetch.Certificate.Names[0])
	})
	t.Run("an MX host outside every pattern under enforce is an error naming the host", func(t *testing.T) {
		e := newEnv(t, baseZone+"@ MX 30 mx3.other.example.\nmx3.other.example. A 127.0.0.1\n")
		port := policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain"))
		res := e.check(t, port)
		f := only(t, res, CodeMXNotCovered)
		assert.Equal(t, finding.Error, f.Severity)
		assert.Contains(t, f.Message, "mx3.other.example")
		assert.Contains(t, f.Fix, `"mx: mx3.other.example"`)
		assert.Equal(t, []string{"mx3.other.example"}, res.Uncovered)
	})
	t.Run("the same gap under testing is a warning beside the testing-mode warning", func(t *testing.T) {
		e := newEnv(t, baseZone+"@ MX 30 mx3.other.example.\n")
		body := strings.Replace(goodPolicy, "enforce", "testing", 1)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(body, "text/plain")))
		assert.Equal(t, []finding.Code{CodeModeTesting, CodeMXNotCovered}, codes(res))
		assert.Equal(t, finding.Warning, res.Findings[1].Severity)
	})
	t.Run("a wildcard pattern does not cover the name it is written under", func(t *testing.T) {
		e := newEnv(t, baseZone+"@ MX 30 backup\n")
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain")))
		only(t, res, CodeMXNotCovered)
		assert.Equal(t, []string{"backup.example.com"}, res.Uncovered)
	})
	t.Run("mode none is reported as a withdrawn policy and nothing is matched against it", func(t *testing.T) {
		e := newEnv(t, baseZone+"@ MX 30 mx3.other.example.\n")
		body := "version: STSv1\nmode: none\nmax_age: 86400\n"
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(body, "text/plain")))
		only(t, res, CodeModeNone)
	})
	t.Run("an expired certificate makes senders refuse the policy", func(t *testing.T) {
		e := newEnv(t, baseZone)
		res := e.check(t, policyServer(t, e.ca.Expired(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain")))
		f := only(t, res, CodePolicyCertificate)
		assert.Contains(t, f.Message, "expired")
		assert.Equal(t, StateBroken, res.State)
		assert.False(t, f.Incomplete)
	})
	t.Run("a certificate for another name makes senders refuse the policy", func(t *testing.T) {
		e := newEnv(t, baseZone)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "www.example.com"), servePolicy(goodPolicy, "text/plain")))
		f := only(t, res, CodePolicyCertificate)
		assert.Contains(t, f.Message, "www.example.com")
		assert.Equal(t, []string{"www.example.com"}, res.Fetch.Certificate.Names)
	})
	t.Run("a certificate from a CA the sender does not trust is refused", func(t *testing.T) {
		e := newEnv(t, baseZone)
		other := testca.New(t)
		res := e.check(t, policyServer(t, other.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain")))
		only(t, res, CodePolicyCertificate)
	})
	t.Run("a redirect is not followed", func(t *testing.T) {
		e := newEnv(t, baseZone)
		hits := 0
		port := policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/elsewhere.txt" {
				hits++
				servePolicy(goodPolicy, "text/plain")(w, r)
				return
			}
			http.Redirect(w, r, "/elsewhere.txt", http.StatusMovedPermanently)
		})
		res := e.check(t, port)
		f := only(t, res, CodePolicyRedirect)
		assert.Contains(t, f.Message, "/elsewhere.txt")
		assert.Zero(t, hits, "the redirect target must not be fetched")
	})
	t.Run("a policy over 64 KiB is refused", func(t *testing.T) {
		e := newEnv(t, baseZone)
		big := goodPolicy + strings.Repeat("x-pad: "+strings.Repeat("a", 90)+"\r\n", 700)
		require.Greater(t, len(big), MaxPolicySize)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(big, "text/plain")))
		only(t, res, CodePolicyTooLarge)
	})
	t.Run("a policy served as text/html is refused", func(t *testing.T) {
		e := newEnv(t, baseZone)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/html")))
		f := only(t, res, CodePolicyContentType)
		assert.Contains(t, f.Message, "text/html")
	})
	t.Run("a 404 is an HTTP status error", func(t *testing.T) {
		e := newEnv(t, baseZone)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), http.NotFound))
		f := only(t, res, CodePolicyHTTPStatus)
		assert.Contains(t, f.Message, "404")
	})
	t.Run("a policy without max_age and with a bad mode is a syntax error listing both", func(t *testing.T) {
		e := newEnv(t, baseZone)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy("version: STSv1\nmode: strict\nmx: mx1.example.com\n", "text/plain")))
		f := only(t, res, CodePolicySyntax)
		assert.Contains(t, f.Message, `mode "strict"`)
		assert.Contains(t, f.Message, "no max_age")
	})
	t.Run("a max_age over one year is a max-age error", func(t *testing.T) {
		e := newEnv(t, baseZone)
		body := strings.Replace(goodPolicy, "604800", "31557601", 1)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(body, "text/plain")))
		f := only(t, res, CodeMaxAge)
		assert.Equal(t, finding.Error, f.Severity)
	})
	t.Run("a max_age under a day is a max-age warning on a working policy", func(t *testing.T) {
		e := newEnv(t, baseZone)
		body := strings.Replace(goodPolicy, "604800", "3600", 1)
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(body, "text/plain")))
		f := only(t, res, CodeMaxAge)
		assert.Equal(t, finding.Warning, f.Severity)
		assert.Equal(t, StateActive, res.State)
	})
	t.Run("no record and no policy host is missing, an info", func(t *testing.T) {
		e := newEnv(t, "$TTL 300\n$ORIGIN example.com.\n@ MX 10 mx1\nmx1 A 127.0.0.1\n")
		res := e.check(t, 1)
		f := only(t, res, CodeMissing)
		assert.Equal(t, finding.Info, f.Severity)
		assert.Equal(t, StateMissing, res.State)
		assert.Equal(t, KindNoHost, res.Fetch.Failure)
	})
	t.Run("a policy served without a record is found and reported", func(t *testing.T) {
		e := newEnv(t, strings.Replace(baseZone, `_mta-sts    TXT "v=STSv1; id=20260101T0"`, "", 1))
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain")))
		only(t, res, CodePolicyWithoutRecord)
		assert.Equal(t, StateOrphanPolicy, res.State)
	})
	t.Run("two v=STSv1 records leave the domain without a policy", func(t *testing.T) {
		e := newEnv(t, baseZone+`_mta-sts TXT "v=STSv1; id=2"`+"\n"+`_mta-sts TXT "unrelated"`+"\n")
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain")))
		f := only(t, res, CodeMultipleRecords)
		assert.Len(t, f.Evidence.Records, 2)
	})
	t.Run("a record with a bad id is a record syntax error", func(t *testing.T) {
		e := newEnv(t, strings.Replace(baseZone, "id=20260101T0", "id=2026-01-01", 1))
		res := e.check(t, policyServer(t, e.ca.Valid(t, "mta-sts.example.com"), servePolicy(goodPolicy, "text/plain")))
		f := only(t, res, CodeRecordSyntax)
		assert.Contains(t, f.Message, "2026-01-01")
	})
	t.Run("a record whose policy host does not exist is unreachable, an error", func(t *testing.T) {
		e := newEnv(t, strings.Replace(baseZone, "mta-sts     A   127.0.0.1", "", 1))
		res := e.check(t, 1)
		f := only(t, res, CodePolicyUnreachable)
		assert.False(t, f.Incomplete)
		assert.Equal(t, KindNoHost, res.Fetch.Failure)
	})
	t.Run("a refused connection is unreachable, an error", func(t *testing.T) {
		e := newEnv(t, baseZone)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		res := e.check(t, port)
		f := only(t, res, CodePolicyUnreachable)
		assert.False(t, f.Incomplete)
		assert.Equal(t, KindConnect, res.Fetch.Failure)
	})
	t.Run("a server that never answers is unknown, not broken", func(t *testing.T) {
		e := newEnv(t, baseZone)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		t.Cleanup(func() { l.Close() })
		go func() { // accept and stay silent
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		start := time.Now()
		res := e.check(t, l.Addr().(*net.TCPAddr).Port, WithTimeout(300*time.Millisecond))
		assert.Less(t, time.Since(start), 3*time.Second)
		f := only(t, res, CodePolicyUnreachable)
		assert.True(t, f.Incomplete)
		assert.Equal(t, StateUnknown, res.State)
		assert.Equal(t, KindTimeout, res.Fetch.Failure)
	})
	t.Run("a SERVFAIL on the record is a DNS error, not missing", func(t *testing.T) {
		e := newEnv(t, baseZone)
		e.dns.SetFault("_mta-sts.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
		res := e.check(t, 1)
		f := only(t, res, CodeDNSError)
		assert.True(t, f.Incomplete)
		assert.Equal(t, StateUnknown, res.State)
	})
	t.Run("an address refused by the offline guard is never dialed and leaves the result unknown", func(t *testing.T) {
		e := newEnv(t, strings.Replace(baseZone, "mta-sts     A   127.0.0.1", "mta-sts A 192.0.2.1", 1))
		var asked []netip.Addr
		guard := func(a netip.Addr) error { asked = append(asked, a); return netdial.LoopbackOnly(a) }
		res := e.check(t, 443, WithAllow(guard))
		f := only(t, res, CodePolicyUnreachable)
		assert.True(t, f.Incomplete)
		assert.Equal(t, KindNotDialed, res.Fetch.Failure)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.1")}, asked)
	})
}
