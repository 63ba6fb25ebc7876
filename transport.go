package mailcheck

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/bimi"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/netdial"
	"github.com/mailcheck/mailcheck/mtasts"
	"github.com/mailcheck/mailcheck/smtpprobe"
	"github.com/mailcheck/mailcheck/tlsrpt"
)

// transportConfig holds the options of the transport checks (MTA-STS, TLS-RPT, the
// SMTP probe, BIMI).
type transportConfig struct {
	caFiles   []string
	roots     *x509.CertPool
	httpsPort int
	smtpPort  int
	probeSMTP bool
}

// WithCAFile adds the PEM certificates in path to the system's trust roots, for the
// MTA-STS policy fetch and the SMTP probe (a private CA, or a test CA).
func WithCAFile(path string) Option {
	return func(c *config) { c.transport.caFiles = append(c.transport.caFiles, path) }
}

// WithHTTPSPort fetches MTA-STS policies from this port instead of 443. For tests only:
// senders always use 443.
func WithHTTPSPort(port int) Option { return func(c *config) { c.transport.httpsPort = port } }

// WithSMTPPort probes SMTP on this port instead of 25. For tests only: MTAs always use 25.
func WithSMTPPort(port int) Option { return func(c *config) { c.transport.smtpPort = port } }

// WithSMTPProbe turns on the STARTTLS probe of the domain's MX hosts. It is off by
// default: it connects to the domain's servers, and many networks block port 25.
func WithSMTPProbe() Option { return func(c *config) { c.transport.probeSMTP = true } }

// loadRoots builds the trust roots: the system's plus every --ca-file.
func (t *transportConfig) loadRoots() error {
	if len(t.caFiles) == 0 {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range t.caFiles {
		pem, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("mailcheck: reading CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("mailcheck: CA file %s holds no PEM certificate", f)
		}
	}
	t.roots = pool
	return nil
}

// allow is the dial guard: with a zone file, nothing but loopback is ever dialed, so
// an offline run stays offline whatever addresses the zone gives.
func (c *config) allow() func(netip.Addr) error {
	if c.resolver.Offline() {
		return netdial.LoopbackOnly
	}
	return nil
}

func (c *config) mtastsOptions() []mtasts.Option {
	opts := []mtasts.Option{mtasts.WithAllow(c.allow())}
	if c.transport.roots != nil {
		opts = append(opts, mtasts.WithRootCAs(c.transport.roots))
	}
	if c.transport.httpsPort != 0 {
		opts = append(opts, mtasts.WithPort(c.transport.httpsPort))
	}
	return opts
}

func (c *config) smtpOptions() []smtpprobe.Option {
	opts := []smtpprobe.Option{smtpprobe.WithAllow(c.allow())}
	if c.transport.roots != nil {
		opts = append(opts, smtpprobe.WithRootCAs(c.transport.roots))
	}
	if c.transport.smtpPort != 0 {
		opts = append(opts, smtpprobe.WithPort(c.transport.smtpPort))
	}
	return opts
}

// CheckMTASTS checks the domain's MTA-STS record and policy (RFC 8461) and whether the
// policy covers every MX host. Details is the *mtasts.Result.
func CheckMTASTS(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return checkMTASTS(ctx, cfg, d)
}

func checkMTASTS(ctx context.Context, cfg *config, d dnscheck.Domain) (*Check, error) {
	res, err := mtasts.Check(ctx, cfg.resolver, d.ASCII, cfg.mtastsOptions()...)
	if err != nil {
		return nil, err
	}
	return newCheck("mtasts", d, res.Findings, mtastsSummary(res), res), nil
}

func mtastsSummary(r *mtasts.Report) string {
	switch r.State {
	case mtasts.StateMissing:
		return "No MTA-STS policy."
	case mtasts.StateOrphanPolicy:
		return "A policy is served, but no _mta-sts record announces it."
	case mtasts.StateBroken:
		return "An MTA-STS policy is announced, but senders cannot use it."
	case mtasts.StateActive:
		if len(r.Uncovered) > 0 {
			return fmt.Sprintf("MTA-STS policy in mode %s; not covered: %s.", r.Mode, strings.Join(r.Uncovered, ", "))
		}
		return fmt.Sprintf("MTA-STS policy in mode %s, covering every MX host.", r.Mode)
	}
	return "The MTA-STS check did not complete."
}

// CheckTLSRPT checks the domain's TLS reporting record (RFC 8460). Details is the
// *tlsrpt.Result.
func CheckTLSRPT(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return checkTLSRPT(ctx, cfg, d)
}

func checkTLSRPT(ctx context.Context, cfg *config, d dnscheck.Domain) (*Check, error) {
	res, err := tlsrpt.Check(ctx, cfg.resolver, d.ASCII)
	if err != nil {
		return nil, err
	}
	summary := map[tlsrpt.State]string{
		tlsrpt.StateMissing: "No TLS-RPT record: no TLS failure reports.",
		tlsrpt.StateValid:   fmt.Sprintf("TLS reports go to %s.", strings.Join(res.Usable, ", ")),
		tlsrpt.StateInvalid: "A TLS-RPT record is published, but senders cannot use it.",
		tlsrpt.StateUnknown: "The TLS-RPT lookup did not complete.",
	}[res.State]
	return newCheck("tlsrpt", d, res.Findings, summary, res), nil
}

// CheckSMTP probes the domain's MX hosts for STARTTLS (see package smtpprobe). It
// connects to them: without WithSMTPProbe the check is skipped. Details is the
// *smtpprobe.Result.
func CheckSMTP(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	return checkSMTP(ctx, cfg, d)
}

func checkSMTP(ctx context.Context, cfg *config, d dnscheck.Domain) (*Check, error) {
	if !cfg.transport.probeSMTP {
		return skipCheck("smtp", d, "Not probed (--probe-smtp connects to the MX hosts on port 25)."), nil
	}
	res, err := smtpprobe.Probe(ctx, cfg.resolver, d.ASCII, cfg.smtpOptions()...)
	if err != nil {
		return nil, err
	}
	counts := map[smtpprobe.Outcome]int{}
	for _, h := range res.Hosts {
		counts[h.Outcome]++
	}
	summary := fmt.Sprintf("%d MX address(es) probed: %d secure, %d with certificate problems, %d insecure, %d unknown.",
		len(res.Hosts), counts[smtpprobe.Secure], counts[smtpprobe.CertProblem], counts[smtpprobe.Insecure], counts[smtpprobe.Unknown])
	if len(res.Hosts) == 0 {
		summary = "No MX address to probe."
	}
	return newCheck("smtp", d, res.Findings, summary, res), nil
}

// CheckBIMI checks the domain's BIMI record and, from its DMARC policy, whether
// receivers would show the logo. Details is the *bimi.Result.
func CheckBIMI(ctx context.Context, domain string, opts ...Option) (*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	var res *bimi.Report
	var dm *dmarc.Report
	var errB, errD error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); res, errB = bimi.Check(ctx, cfg.resolver, d.ASCII) }()
	go func() { defer wg.Done(); dm, errD = dmarc.Check(ctx, cfg.resolver, d.ASCII) }()
	wg.Wait()
	if errB != nil {
		return nil, errB
	}
	if errD != nil {
		return nil, errD
	}
	return bimiCheck(d, res, dm), nil
}

// bimiCheck judges a BIMI lookup against the DMARC facts and makes the check.
func bimiCheck(d dnscheck.Domain, res *bimi.Report, dm *dmarc.Report) *Check {
	res.Judge(bimiDMARC(dm))
	summary := "No BIMI record."
	switch {
	case res.Record != nil && res.Record.Location == "":
		summary = "BIMI declined (empty l=)."
	case res.Record != nil:
		summary = "BIMI logo at " + res.Record.Location + "."
	case len(res.Records) > 0:
		summary = "A BIMI record is published, but receivers cannot use it."
	}
	if res.Eligible != nil && !*res.Eligible {
		summary += " Not eligible: DMARC is not at enforcement."
	}
	c := newCheck("bimi", d, res.Findings, summary, res)
	return c
}

// bimiDMARC gives BIMI the DMARC facts it needs, as plain values.
func bimiDMARC(dm *dmarc.Report) bimi.DMARC {
	s := &scorer{dmarc: dm}
	if s.dmarcUnknown() {
		return bimi.DMARC{Unknown: true}
	}
	if !s.dmarcApplies() {
		return bimi.DMARC{}
	}
	bis, legacy := s.policies()
	return bimi.DMARC{Found: true, Policy: string(weaker(bis, legacy)), SubdomainPolicy: string(dm.SubdomainPolicy),
		Partial: dm.Record.Testing || dm.Discovery.RFC7489.Applies && dm.Discovery.RFC7489.Percent < 100}
}

// CheckTransport runs the transport checks alone — MTA-STS, TLS-RPT, the SMTP probe
// (when WithSMTPProbe is given) and BIMI — concurrently on one resolver.
func CheckTransport(ctx context.Context, domain string, opts ...Option) ([]*Check, error) {
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	checks := make([]*Check, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	runs := []func() (*Check, error){
		func() (*Check, error) { return checkMTASTS(ctx, cfg, d) },
		func() (*Check, error) { return checkTLSRPT(ctx, cfg, d) },
		func() (*Check, error) { return checkSMTP(ctx, cfg, d) },
		func() (*Check, error) { return CheckBIMI(ctx, d.ASCII, WithResolver(cfg.resolver)) },
	}
	for i, run := range runs {
		wg.Add(1)
		go func() { defer wg.Done(); checks[i], errs[i] = run() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return checks, nil
}
