package smtpprobe

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/netdial"
)

// Finding is the one diagnostic type of mailcheck.
type Finding = finding.Finding

// Resolver is the DNS a probe needs, with *net.Resolver's method shapes.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Defaults.
const (
	DefaultHostTimeout  = 15 * time.Second // one address: connect, greeting, EHLO, TLS, QUIT
	DefaultTotalTimeout = 45 * time.Second // the whole probe
	DefaultMaxAddresses = 8                // addresses probed, best MX preference first
	DefaultHelloName    = "mailcheck.invalid"
	// ExpiryWarning is how close to its expiry a certificate is reported.
	ExpiryWarning = 14 * 24 * time.Hour
	concurrency   = 4
)

// Option configures Probe.
type Option func(*config)

type config struct {
	port         int
	roots        *x509.CertPool
	hostTimeout  time.Duration
	totalTimeout time.Duration
	maxAddrs     int
	hello        string
	allow        func(netip.Addr) error
	now          func() time.Time
}

// WithPort connects to this port instead of 25. For tests only: MTAs always use 25.
func WithPort(port int) Option { return func(c *config) { c.port = port } }

// WithRootCAs verifies certificates against pool instead of the system's roots.
func WithRootCAs(pool *x509.CertPool) Option { return func(c *config) { c.roots = pool } }

// WithHostTimeout bounds the session with one address.
func WithHostTimeout(d time.Duration) Option { return func(c *config) { c.hostTimeout = d } }

// WithTotalTimeout bounds the whole probe.
func WithTotalTimeout(d time.Duration) Option { return func(c *config) { c.totalTimeout = d } }

// WithMaxAddresses bounds how many addresses are probed.
func WithMaxAddresses(n int) Option { return func(c *config) { c.maxAddrs = n } }

// WithHelloName is the name sent in EHLO (DefaultHelloName if unset).
func WithHelloName(name string) Option { return func(c *config) { c.hello = name } }

// WithAllow is asked before each address is dialed; an error skips it, and the
// address is reported unreachable (unknown).
func WithAllow(allow func(netip.Addr) error) Option { return func(c *config) { c.allow = allow } }

// Outcome is what one address showed.
type Outcome string

// The outcomes.
const (
	// Secure: STARTTLS, TLS 1.2 or later, and a certificate that verifies for the host.
	Secure Outcome = "secure"
	// CertProblem: encrypted, but the certificate does not verify (expired, another
	// name, untrusted): senders using MTA-STS or DANE do not deliver.
	CertProblem Outcome = "certificate-problem"
	// Insecure: no STARTTLS, a failed handshake, or TLS older than 1.2.
	Insecure Outcome = "insecure"
	// Unknown: no answer, a refused session or a timeout: nothing could be judged.
	Unknown Outcome = "unknown"
)

// Host is the probe of one MX address.
type Host struct {
	Host       string     `json:"host"`
	Preference uint16     `json:"preference"`
	Address    netip.Addr `json:"address"`
	Outcome    Outcome    `json:"outcome"`
	Banner     string     `json:"banner,omitempty"`
	// Extensions are the EHLO keywords offered before STARTTLS.
	Extensions  []string `json:"extensions,omitempty"`
	STARTTLS    bool     `json:"starttls"`
	TLSVersion  string   `json:"tls_version,omitempty"`
	CipherSuite string   `json:"cipher_suite,omitempty"`
	Chain       []Cert   `json:"chain,omitempty"`
	// Certificates is the chain as presented, leaf first, for checks that need the
	// certificates themselves (DANE's TLSA matching).
	Certificates []*x509.Certificate `json:"-"`
	Verified     bool                `json:"verified"`
	VerifyError  string              `json:"verify_error,omitempty"`
	Error        string              `json:"error,omitempty"`
	Findings     []Finding           `json:"-"`
}

// Cert is what a report shows of one certificate of the chain.
type Cert struct {
	Subject  string    `json:"subject"`
	Names    []string  `json:"names,omitempty"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
}

// Report is the outcome of Probe.
type Report struct {
	Domain string `json:"domain"`
	Hosts  []Host `json:"hosts"`
	// Skipped counts addresses over the probe's limit.
	Skipped  int       `json:"skipped,omitempty"`
	Findings []Finding `json:"-"`
}

type target struct {
	host string
	pref uint16
	addr netip.Addr
}

// Probe looks up the domain's MX hosts (or, without MX, the domain's own addresses)
// and probes each address, a few at a time. The error is set only for a bad argument.
func Probe(ctx context.Context, r Resolver, domain string, opts ...Option) (*Report, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return nil, errors.New("smtpprobe: empty domain")
	}
	cfg := &config{port: 25, hostTimeout: DefaultHostTimeout, totalTimeout: DefaultTotalTimeout,
		maxAddrs: DefaultMaxAddresses, hello: DefaultHelloName, now: time.Now}
	for _, o := range opts {
		o(cfg)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.totalTimeout)
	defer cancel()
	res := &Report{Domain: domain, Hosts: []Host{}}
	targets, f := resolveTargets(ctx, r, domain)
	if f != nil {
		res.Findings = append(res.Findings, *f)
	}
	if len(targets) > cfg.maxAddrs {
		res.Skipped = len(targets) - cfg.maxAddrs
		targets = targets[:cfg.maxAddrs]
	}
	res.Hosts = make([]Host, len(targets))
	d := &netdial.Dialer{Resolver: r, Allow: cfg.allow, Timeout: cfg.hostTimeout}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			res.Hosts[i] = probeOne(ctx, cfg, d, t)
		}()
	}
	wg.Wait()
	for _, h := range res.Hosts {
		res.Findings = append(res.Findings, h.Findings...)
	}
	return res, nil
}

func resolveTargets(ctx context.Context, r Resolver, domain string) ([]target, *Finding) {
	dnsErr := func(name, typ string, err error) *Finding {
		return &Finding{Code: CodeDNSError, Severity: finding.Warning, Incomplete: true,
			Message:  fmt.Sprintf("The %s lookup of %s failed (%v): its mail servers could not be probed.", typ, name, err),
			Evidence: &finding.Evidence{Name: name, Type: typ}}
	}
	mxs, err := r.LookupMX(ctx, domain)
	var de *net.DNSError
	notFound := errors.As(err, &de) && de.IsNotFound
	if err != nil && !notFound {
		return nil, dnsErr(domain, "MX", err)
	}
	if len(mxs) == 0 { // RFC 5321 §5.1: the implicit MX is the domain itself
		mxs = []*net.MX{{Host: domain, Pref: 0}}
	}
	var out []target
	for _, mx := range mxs {
		host := strings.ToLower(strings.TrimSuffix(mx.Host, "."))
		if host == "" { // null MX (RFC 7505): nothing to probe
			continue
		}
		addrs, err := r.LookupNetIP(ctx, "ip", host)
		if err != nil {
			if errors.As(err, &de) && de.IsNotFound {
				continue // the MX check reports a host without addresses
			}
			return out, dnsErr(host, "A/AAAA", err)
		}
		for _, a := range addrs {
			out = append(out, target{host, mx.Pref, a})
		}
	}
	return out, nil
}

// session is one SMTP conversation, each step under the host's deadline.
type session struct {
	conn net.Conn
	r    *bufio.Reader
}

// reply reads one (possibly multi-line) reply: its code and lines without the code.
func (s *session) reply() (int, []string, error) {
	var lines []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return 0, lines, err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return 0, lines, fmt.Errorf("malformed reply %q", line)
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return 0, lines, fmt.Errorf("malformed reply %q", line)
		}
		more := len(line) > 3 && line[3] == '-'
		if len(line) > 4 {
			lines = append(lines, line[4:])
		} else {
			lines = append(lines, "")
		}
		if !more {
			return code, lines, nil
		}
		if len(lines) > 100 {
			return 0, lines, errors.New("reply too long")
		}
	}
}

func (s *session) cmd(line string) (int, []string, error) {
	if _, err := s.conn.Write([]byte(line + "\r\n")); err != nil {
		return 0, nil, err
	}
	return s.reply()
}

func probeOne(ctx context.Context, cfg *config, d *netdial.Dialer, t target) Host {
	h := Host{Host: t.host, Preference: t.pref, Address: t.addr, Outcome: Unknown}
	where := fmt.Sprintf("%s (%s)", t.host, t.addr)
	ev := &finding.Evidence{Name: t.host, Detail: t.addr.String()}
	add := func(code finding.Code, sev finding.Severity, incomplete bool, msg, fix string) {
		h.Findings = append(h.Findings, Finding{Code: code, Severity: sev, Incomplete: incomplete, Message: msg, Fix: fix, Evidence: ev, Ref: refOf(code)})
	}
	hctx, cancel := context.WithTimeout(ctx, cfg.hostTimeout)
	defer cancel()
	conn, err := d.DialAddr(hctx, "tcp", netip.AddrPortFrom(t.addr, uint16(cfg.port)))
	if err != nil {
		h.Error = err.Error()
		add(CodeUnreachable, finding.Warning, true,
			fmt.Sprintf("Could not connect to %s on port %d (%v): its TLS is unknown (port 25 may be blocked on this network).", where, cfg.port, err), "")
		return h
	}
	defer conn.Close()
	deadline, _ := hctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(hctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	s := &session{conn: conn, r: bufio.NewReader(conn)}
	timedOut := func(step string, err error) Host {
		h.Error = err.Error()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			add(CodeTimeout, finding.Warning, true,
				fmt.Sprintf("%s stopped answering %s (no reply within %s): its TLS is unknown.", where, step, cfg.hostTimeout), "")
		} else {
			add(CodeTimeout, finding.Warning, true,
				fmt.Sprintf("The session with %s broke %s (%v): its TLS is unknown.", where, step, err), "")
		}
		return h
	}
	code, lines, err := s.reply()
	if err != nil {
		return timedOut("before its greeting", err)
	}
	h.Banner = strings.Join(lines, " ")
	if code != 220 {
		add(CodeRefused, finding.Warning, true,
			fmt.Sprintf("%s greeted with %d %q instead of 220: it refused this client, so its TLS is unknown.", where, code, h.Banner), "")
		s.cmd("QUIT")
		return h
	}
	code, lines, err = s.cmd("EHLO " + cfg.hello)
	if err != nil {
		return timedOut("after EHLO", err)
	}
	if code != 250 {
		add(CodeRefused, finding.Warning, true,
			fmt.Sprintf("%s answered EHLO with %d: its TLS is unknown.", where, code), "")
		s.cmd("QUIT")
		return h
	}
	for _, l := range lines[1:] {
		if kw := strings.ToUpper(strings.Fields(l + " ")[0]); kw != "" {
			h.Extensions = append(h.Extensions, kw)
		}
	}
	h.STARTTLS = slices.Contains(h.Extensions, "STARTTLS")
	if !h.STARTTLS {
		h.Outcome = Insecure
		add(CodeNoSTARTTLS, finding.Error, false,
			fmt.Sprintf("%s does not offer STARTTLS: mail to it crosses the network unencrypted, and senders using MTA-STS do not deliver to it.", where),
			"Enable STARTTLS on the server with a certificate for "+t.host+" (Postfix: smtpd_tls_security_level = may, smtpd_tls_chain_files).")
		s.cmd("QUIT")
		return h
	}
	code, lines, err = s.cmd("STARTTLS")
	if err != nil {
		return timedOut("after STARTTLS", err)
	}
	if code != 220 {
		h.Outcome = Insecure
		add(CodeSTARTTLSFailed, finding.Error, false,
			fmt.Sprintf("%s offers STARTTLS but answered it with %d %q: senders fall back to plain text or give up.", where, code, strings.Join(lines, " ")),
			"Check the server's TLS configuration (certificate and key files readable, TLS enabled).")
		s.cmd("QUIT")
		return h
	}
	tc := tls.Client(conn, &tls.Config{
		ServerName: t.host,
		// The chain is verified below, by hand, to tell expired from misnamed from
		// untrusted; the handshake itself must succeed with whatever the server offers.
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       allCipherSuites(),
	})
	if err := tc.HandshakeContext(hctx); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return timedOut("during the TLS handshake", err)
		}
		h.Outcome, h.Error = Insecure, err.Error()
		add(CodeSTARTTLSFailed, finding.Error, false,
			fmt.Sprintf("The TLS handshake with %s failed (%v): senders fall back to plain text or give up.", where, err),
			"Offer TLS 1.2 or 1.3 with current cipher suites and a valid certificate chain.")
		return h
	}
	st := tc.ConnectionState()
	h.TLSVersion, h.CipherSuite = tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)
	h.Certificates = st.PeerCertificates
	for _, c := range st.PeerCertificates {
		h.Chain = append(h.Chain, Cert{Subject: c.Subject.String(), Names: c.DNSNames, Issuer: c.Issuer.String(), NotAfter: c.NotAfter})
	}
	h.Outcome = Secure
	if st.Version < tls.VersionTLS12 {
		h.Outcome = Insecure
		add(CodeTLSVersion, finding.Error, false,
			fmt.Sprintf("%s negotiated %s although TLS 1.3 was offered: it supports nothing newer. TLS 1.0 and 1.1 are deprecated (RFC 8996), and MTA-STS senders such as Gmail require 1.2.", where, h.TLSVersion),
			"Enable TLS 1.2 and 1.3 on the server (Postfix: smtpd_tls_protocols = >=TLSv1.2).")
	}
	if slices.ContainsFunc(tls.InsecureCipherSuites(), func(c *tls.CipherSuite) bool { return c.ID == st.CipherSuite }) {
		add(CodeWeakCipher, finding.Warning, false,
			fmt.Sprintf("%s chose the insecure cipher suite %s.", where, h.CipherSuite),
			"Prefer ECDHE with AES-GCM or ChaCha20-Poly1305, and drop RC4, 3DES and RSA key exchange.")
	}
	verifyChain(cfg, &h, st.PeerCertificates, add, where)
	// RFC 5321 §4.1.1.10: end the session; no MAIL command is ever sent.
	s2 := &session{conn: tc, r: bufio.NewReader(tc)}
	s2.cmd("QUIT")
	return h
}

func verifyChain(cfg *config, h *Host, chain []*x509.Certificate, add func(finding.Code, finding.Severity, bool, string, string), where string) {
	if len(chain) == 0 {
		h.Outcome = Insecure
		add(CodeCertUntrusted, finding.Warning, false, where+" presented no certificate.", "")
		return
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	now := cfg.now()
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: h.Host, Roots: cfg.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	consequence := "encrypted delivery still works for most senders, but senders using MTA-STS (enforce) or requiring verified TLS do not deliver to it"
	if err == nil {
		h.Verified = true
		if left := leaf.NotAfter.Sub(now); left < ExpiryWarning {
			add(CodeCertExpiring, finding.Warning, false,
				fmt.Sprintf("The certificate of %s expires on %s, in %d days.", where, leaf.NotAfter.UTC().Format("2006-01-02"), int(left.Hours()/24)),
				"Renew it, and check that renewal is automatic.")
		}
		return
	}
	if h.Outcome == Secure {
		h.Outcome = CertProblem
	}
	h.VerifyError = err.Error()
	var inv x509.CertificateInvalidError
	var hn x509.HostnameError
	var ua x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		if now.Before(leaf.NotBefore) {
			add(CodeCertExpired, finding.Warning, false,
				fmt.Sprintf("The certificate of %s is not valid before %s: %s.", where, leaf.NotBefore.UTC().Format(time.RFC3339), consequence),
				"Check the server's clock and certificate.")
			return
		}
		add(CodeCertExpired, finding.Warning, false,
			fmt.Sprintf("The certificate of %s expired on %s: %s.", where, leaf.NotAfter.UTC().Format("2006-01-02"), consequence),
			"Renew the certificate, and automate renewal (ACME).")
	case errors.As(err, &hn):
		names := leaf.DNSNames
		if len(names) == 0 {
			names = []string{leaf.Subject.CommonName}
		}
		add(CodeCertNameMismatch, finding.Warning, false,
			fmt.Sprintf("The certificate of %s names %s, not %s: %s.", where, strings.Join(names, ", "), h.Host, consequence),
			"Use a certificate that lists "+h.Host+" (the MX host name) among its names.")
	case errors.As(err, &ua):
		add(CodeCertUntrusted, finding.Warning, false,
			fmt.Sprintf("The certificate of %s is issued by %q, which is not a trusted root (self-signed or an incomplete chain): %s.", where, leaf.Issuer.String(), consequence),
			"Use a certificate from a public CA and send the full chain.")
	default:
		add(CodeCertUntrusted, finding.Warning, false,
			fmt.Sprintf("The certificate of %s does not verify (%v): %s.", where, err, consequence),
			"Use a certificate from a public CA, valid now, naming "+h.Host+", with its full chain.")
	}
}

func allCipherSuites() []uint16 {
	var ids []uint16
	for _, c := range tls.CipherSuites() {
		ids = append(ids, c.ID)
	}
	for _, c := range tls.InsecureCipherSuites() {
		ids = append(ids, c.ID)
	}
	return ids
}

func refOf(code finding.Code) string {
	switch code {
	case CodeNoSTARTTLS, CodeSTARTTLSFailed:
		return "RFC 3207"
	case CodeTLSVersion:
		return "RFC 8996"
	case CodeCertExpired, CodeCertExpiring, CodeCertNameMismatch, CodeCertUntrusted:
		return "RFC 8461 §4.2, RFC 7817 §3"
	}
	return ""
}
