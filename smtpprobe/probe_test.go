package smtpprobe

import (
	"context"
	"crypto/tls"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/netdial"
	"github.com/mailcheck/mailcheck/internal/smtptest"
	"github.com/mailcheck/mailcheck/internal/testca"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const zone = `$TTL 300
$ORIGIN example.com.
@    MX 10 mx1
mx1  A  127.0.0.1
`

func codes(res *Report) []finding.Code {
	out := []finding.Code{}
	for _, f := range res.Findings {
		out = append(out, f.Code)
	}
	return out
}

func probe(t *testing.T, zoneText string, ca *testca.CA, port int, extra ...Option) (*Report, *dnstest.Server) {
	t.Helper()
	s := dnstest.Start(t, dnstest.Zone(t, zoneText))
	opts := append([]Option{WithPort(port), WithRootCAs(ca.Pool()), WithHostTimeout(2 * time.Second)}, extra...)
	res, err := Probe(context.Background(), s.Resolver(t), "example.com", opts...)
	require.NoError(t, err)
	return res, s
}

func certPtr(c tls.Certificate) *tls.Certificate { return &c }

func TestProbeAgainstLoopbackServers(t *testing.T) {
	ca := testca.New(t)
	t.Run("a server with STARTTLS, TLS 1.3 and a valid certificate is secure, and gets QUIT but never MAIL", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Valid(t, "mx1.example.com"))})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Empty(t, res.Findings)
		require.Len(t, res.Hosts, 1)
		h := res.Hosts[0]
		assert.Equal(t, Secure, h.Outcome)
		assert.Equal(t, "mx.test ESMTP", h.Banner)
		assert.True(t, h.STARTTLS)
		assert.Equal(t, "TLS 1.3", h.TLSVersion)
		assert.NotEmpty(t, h.CipherSuite)
		assert.True(t, h.Verified)
		assert.Equal(t, []string{"mx1.example.com"}, h.Chain[0].Names)
		assert.Eventually(t, func() bool { return len(srv.Commands()) == 3 }, time.Second, 10*time.Millisecond)
		assert.Equal(t, []string{"EHLO", "STARTTLS", "QUIT"}, srv.Commands())
	})
	t.Run("a server without STARTTLS is insecure, an error", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeNoSTARTTLS}, codes(res))
		assert.Equal(t, finding.Error, res.Findings[0].Severity)
		assert.Equal(t, Insecure, res.Hosts[0].Outcome)
		assert.NotContains(t, srv.Commands(), "MAIL")
	})
	t.Run("a server offering only TLS 1.0 is insecure and its version is named", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Valid(t, "mx1.example.com")), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeTLSVersion}, codes(res))
		assert.Equal(t, "TLS 1.0", res.Hosts[0].TLSVersion)
		assert.Contains(t, res.Findings[0].Message, "TLS 1.0")
		assert.Equal(t, Insecure, res.Hosts[0].Outcome)
	})
	t.Run("a server that hangs after its banner is unknown within the host timeout, not insecure", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Hang: true})
		start := time.Now()
		// Bounds generous enough for a loaded machine: what matters is that a hang ends.
		res, _ := probe(t, zone, ca, srv.Port, WithHostTimeout(time.Second))
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Equal(t, []finding.Code{CodeTimeout}, codes(res))
		assert.True(t, res.Findings[0].Incomplete)
		assert.Equal(t, Unknown, res.Hosts[0].Outcome)
	})
	t.Run("the total timeout bounds a probe of many hanging hosts", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Hang: true})
		z := zone + "@ MX 20 mx2\nmx2 A 127.0.0.1\n@ MX 30 mx3\nmx3 A 127.0.0.1\n"
		start := time.Now()
		res, _ := probe(t, z, ca, srv.Port, WithHostTimeout(30*time.Second), WithTotalTimeout(time.Second))
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Len(t, res.Hosts, 3)
		for _, h := range res.Hosts {
			assert.Equal(t, Unknown, h.Outcome)
		}
	})
	t.Run("an expired certificate is a certificate problem", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Expired(t, "mx1.example.com"))})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeCertExpired}, codes(res))
		assert.Equal(t, CertProblem, res.Hosts[0].Outcome)
	})
	t.Run("a certificate that will expire within two weeks is a warning on a secure host", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Leaf(t, []string{"mx1.example.com"}, time.Now().Add(-time.Hour), time.Now().Add(5*24*time.Hour)))})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeCertExpiring}, codes(res))
		assert.Equal(t, Secure, res.Hosts[0].Outcome)
	})
	t.Run("a certificate for another name is a name mismatch naming both", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Valid(t, "mail.hoster.example"))})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeCertNameMismatch}, codes(res))
		assert.Contains(t, res.Findings[0].Message, "mail.hoster.example")
		assert.Contains(t, res.Findings[0].Message, "mx1.example.com")
	})
	t.Run("a certificate from an unknown CA is untrusted", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(testca.New(t).Valid(t, "mx1.example.com"))})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeCertUntrusted}, codes(res))
	})
	t.Run("an insecure cipher suite is a warning", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Valid(t, "mx1.example.com")), MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeWeakCipher}, codes(res))
		assert.Equal(t, "TLS 1.2", res.Hosts[0].TLSVersion)
	})
	t.Run("a 554 greeting is a refusal of this client: unknown", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Banner: "554 5.7.1 go away"})
		res, _ := probe(t, zone, ca, srv.Port)
		assert.Equal(t, []finding.Code{CodeRefused}, codes(res))
		assert.True(t, res.Findings[0].Incomplete)
	})
	t.Run("a closed port is unreachable: unknown", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		res, _ := probe(t, zone, ca, port)
		assert.Equal(t, []finding.Code{CodeUnreachable}, codes(res))
		assert.True(t, res.Findings[0].Incomplete)
	})
	t.Run("an address refused by the offline guard is never dialed", func(t *testing.T) {
		var asked []netip.Addr
		guard := func(a netip.Addr) error { asked = append(asked, a); return netdial.LoopbackOnly(a) }
		res, _ := probe(t, "$TTL 300\n$ORIGIN example.com.\n@ MX 10 mx1\nmx1 A 192.0.2.7\n", ca, 25, WithAllow(guard))
		assert.Equal(t, []finding.Code{CodeUnreachable}, codes(res))
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.0.2.7")}, asked)
	})
	t.Run("a failed MX lookup is a DNS error and nothing is probed", func(t *testing.T) {
		s := dnstest.Start(t, dnstest.Zone(t, zone))
		s.SetFault("example.com", dns.TypeMX, dnstest.Fault{Rcode: dns.RcodeServerFailure})
		res, err := Probe(context.Background(), s.Resolver(t), "example.com", WithPort(1))
		require.NoError(t, err)
		assert.Equal(t, []finding.Code{CodeDNSError}, codes(res))
		assert.Empty(t, res.Hosts)
	})
	t.Run("a null MX has nothing to probe", func(t *testing.T) {
		res, _ := probe(t, "$TTL 300\n$ORIGIN example.com.\n@ MX 0 .\n", ca, 1)
		assert.Empty(t, res.Findings)
		assert.Empty(t, res.Hosts)
	})
	t.Run("addresses over the limit are counted, not probed", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{Cert: certPtr(ca.Valid(t, "mx1.example.com"))})
		res, _ := probe(t, zone+"mx1 A 127.0.0.2\nmx1 A 127.0.0.3\n", ca, srv.Port, WithMaxAddresses(1))
		assert.Len(t, res.Hosts, 1)
		assert.Equal(t, 2, res.Skipped)
	})
}
