package mtasts

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// Finding is the one diagnostic type of mailcheck.
type Finding = finding.Finding

// Resolver is the DNS a check needs, with *net.Resolver's method shapes;
// dnscheck.Resolver satisfies it. The policy host is resolved through it too.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Option configures Check and FetchPolicy.
type Option func(*config)

type config struct {
	resolver Resolver
	roots    *x509.CertPool
	port     int
	timeout  time.Duration
	allow    func(netip.Addr) error
}

func newConfig(opts []Option) *config {
	c := &config{port: 443, timeout: DefaultFetchTimeout, resolver: net.DefaultResolver}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithRootCAs verifies the policy server's certificate against pool instead of the
// system's roots.
func WithRootCAs(pool *x509.CertPool) Option { return func(c *config) { c.roots = pool } }

// WithPort fetches the policy from this port instead of 443. For tests only: senders
// always use 443.
func WithPort(port int) Option { return func(c *config) { c.port = port } }

// WithTimeout bounds the policy fetch (DefaultFetchTimeout if unset).
func WithTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithAllow is asked before each address is dialed; an error skips it (see
// netdial.LoopbackOnly, which mailcheck uses for zone-file runs).
func WithAllow(allow func(netip.Addr) error) Option { return func(c *config) { c.allow = allow } }

// WithResolver resolves the policy host through r (FetchPolicy; Check takes its
// resolver as an argument).
func WithResolver(r Resolver) Option { return func(c *config) { c.resolver = r } }

// State is what senders make of the domain's MTA-STS.
type State string

// The states.
const (
	// StateMissing: no _mta-sts record, so senders use no policy.
	StateMissing State = "missing"
	// StateOrphanPolicy: a policy is served but no _mta-sts record announces it, so
	// senders never fetch it.
	StateOrphanPolicy State = "policy-without-record"
	// StateBroken: a record is published but senders cannot use it or its policy
	// (record syntax, several records, policy unreachable or invalid).
	StateBroken State = "broken"
	// StateActive: a valid record and policy; Mode says what senders do.
	StateActive State = "active"
	// StateUnknown: a DNS failure or a fetch that timed out left it unknown.
	StateUnknown State = "unknown"
)

// MXMatch is one MX host and the pattern that covers it ("" when none does).
type MXMatch struct {
	Host    string `json:"host"`
	Pattern string `json:"pattern,omitempty"`
}

// Report is the outcome of Check.
type Report struct {
	Domain string `json:"domain"`
	State  State  `json:"state"`
	// Records are the v=STSv1 TXT records at _mta-sts.<domain>.
	Records []string `json:"records"`
	// Record is the parsed record, when there is exactly one and it parses.
	Record *Record `json:"record,omitempty"`
	Fetch  *Fetch  `json:"fetch,omitempty"`
	// Policy is what could be read of the policy; Problems make it invalid.
	Policy     *Policy   `json:"policy,omitempty"`
	PolicyText string    `json:"policy_text,omitempty"`
	Problems   []Problem `json:"problems,omitempty"`
	// Mode is the policy's mode when State is StateActive.
	Mode Mode `json:"mode,omitempty"`
	// MX lists each MX host and the pattern that matches it (under an active policy).
	MX []MXMatch `json:"mx,omitempty"`
	// Uncovered are the MX hosts no pattern matches: under enforce, senders do not
	// deliver to them.
	Uncovered []string `json:"uncovered,omitempty"`
	// Findings are left out of JSON: the report carries them at the check level.
	Findings []Finding `json:"-"`
}

// Incomplete reports that a DNS failure or a timeout left the result unknown.
func (r *Report) Incomplete() bool {
	for _, f := range r.Findings {
		if f.Incomplete {
			return true
		}
	}
	return false
}

// Check looks up the _mta-sts record and the MX set, fetches the policy (also when no
// record announces one, to find a forgotten policy), and judges them. The TXT and MX
// lookups and the fetch run concurrently. The error is set only for a bad argument.
func Check(ctx context.Context, r Resolver, domain string, opts ...Option) (*Report, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return nil, errors.New("mtasts: empty domain")
	}
	cfg := newConfig(append([]Option{WithResolver(r)}, opts...))
	res := &Report{Domain: domain, Records: []string{}}
	var txts []string
	var txtErr, mxErr error
	var mxs []*net.MX
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); txts, txtErr = r.LookupTXT(ctx, "_mta-sts."+domain) }()
	go func() { defer wg.Done(); mxs, mxErr = r.LookupMX(ctx, domain) }()
	go func() { defer wg.Done(); res.Fetch = fetch(ctx, cfg, domain) }()
	wg.Wait()
	judge(res, txts, txtErr, mxs, mxErr)
	return res, nil
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func judge(res *Report, txts []string, txtErr error, mxs []*net.MX, mxErr error) {
	d := res.Domain
	txtName := "_mta-sts." + d
	add := func(f Finding) { res.Findings = append(res.Findings, f) }
	if txtErr != nil && !isNotFound(txtErr) {
		res.State = StateUnknown
		add(Finding{Code: CodeDNSError, Severity: finding.Warning, Incomplete: true, Ref: "RFC 8461 §3.1",
			Message:  fmt.Sprintf("The TXT lookup of %s failed (%v): whether the domain has an MTA-STS policy is unknown.", txtName, txtErr),
			Evidence: &finding.Evidence{Name: txtName, Type: "TXT", Rcode: rcodeOf(txtErr)}})
		return
	}
	for _, t := range txts {
		if IsRecord(t) {
			res.Records = append(res.Records, t)
		}
	}
	f := res.Fetch
	switch len(res.Records) {
	case 0:
		res.State = StateMissing
		if f.Failure == "" {
			if _, probs := ParsePolicy(f.Body); len(probs) == 0 {
				res.State = StateOrphanPolicy
				res.PolicyText = f.Body
				res.Policy, _ = ParsePolicy(f.Body)
				add(Finding{Code: CodePolicyWithoutRecord, Severity: finding.Warning, Ref: "RFC 8461 §3.1",
					Message: fmt.Sprintf("A policy is served at %s, but %s has no \"v=STSv1\" TXT record, so senders never fetch it.", f.URL, txtName),
					Fix: fmt.Sprintf("Publish %s. TXT \"v=STSv1; id=%s\" (change the id whenever the policy changes), or remove the policy.",
						txtName, newID()),
					Evidence: &finding.Evidence{Name: txtName, Type: "TXT", Rcode: "NXDOMAIN or NODATA"}})
				return
			}
		}
		add(Finding{Code: CodeMissing, Severity: finding.Info, Ref: "RFC 8461",
			Message: fmt.Sprintf("No MTA-STS policy (%s has no \"v=STSv1\" TXT record): senders deliver to %s over TLS only when they can, and an attacker on the path can strip it.", txtName, d),
			Fix: fmt.Sprintf("Serve a policy at %s (text/plain, valid certificate for %s): \"version: STSv1\", \"mode: testing\", one \"mx:\" line per MX host, \"max_age: 604800\"; then publish %s. TXT \"v=STSv1; id=%s\", and move to mode: enforce once TLS reports are clean.",
				f.URL, PolicyHost(d), txtName, newID()),
			Evidence: &finding.Evidence{Name: txtName, Type: "TXT"}})
		return
	case 1:
	default:
		res.State = StateBroken
		add(Finding{Code: CodeMultipleRecords, Severity: finding.Error, Ref: "RFC 8461 §3.1",
			Message:  fmt.Sprintf("%s has %d \"v=STSv1\" TXT records: senders must then assume the domain has no policy.", txtName, len(res.Records)),
			Fix:      "Keep one record and delete the others.",
			Evidence: &finding.Evidence{Name: txtName, Type: "TXT", Records: res.Records}})
		return
	}
	rec, err := ParseRecord(res.Records[0])
	if err != nil {
		res.State = StateBroken
		add(Finding{Code: CodeRecordSyntax, Severity: finding.Error, Ref: "RFC 8461 §3.1",
			Message:  fmt.Sprintf("The %s record %q is invalid (%v): senders treat the domain as having no policy.", txtName, res.Records[0], err),
			Fix:      fmt.Sprintf("Publish it as %s. TXT \"v=STSv1; id=%s\" (id: 1 to 32 letters and digits, changed whenever the policy changes).", txtName, newID()),
			Evidence: &finding.Evidence{Name: txtName, Type: "TXT", Records: res.Records}})
		return
	}
	res.Record = rec
	if f.Failure != "" {
		judgeFetchFailure(res, txtName)
		return
	}
	res.PolicyText = f.Body
	res.Policy, res.Problems = ParsePolicy(f.Body)
	p := res.Policy
	if len(res.Problems) > 0 {
		res.State = StateBroken
		texts := make([]string, 0, len(res.Problems))
		code := CodePolicySyntax
		for _, pr := range res.Problems {
			texts = append(texts, pr.String())
		}
		if len(res.Problems) == 1 && p.MaxAge > MaxMaxAge {
			code = CodeMaxAge
		}
		add(Finding{Code: code, Severity: finding.Error, Ref: "RFC 8461 §3.2",
			Message:  fmt.Sprintf("The policy at %s is invalid (%s): senders treat the domain as having no policy.", f.URL, strings.Join(texts, "; ")),
			Fix:      "Fix the policy file: \"version: STSv1\", \"mode: enforce|testing|none\", one \"mx: <host or *.domain>\" line per MX host, \"max_age: <seconds, at most 31557600>\", one field a line; then change the id in " + txtName + ".",
			Evidence: &finding.Evidence{Name: f.URL, Detail: strings.Join(texts, "; ")}})
		return
	}
	res.State, res.Mode = StateActive, p.Mode
	switch p.Mode {
	case Testing:
		add(Finding{Code: CodeModeTesting, Severity: finding.Warning, Ref: "RFC 8461 §5",
			Message: "The MTA-STS policy is in mode testing: senders report TLS failures but deliver anyway, so mail to the domain can still be downgraded.",
			Fix:     "Once TLS reports (TLS-RPT) show no failures, change the policy to \"mode: enforce\" and change the id in " + txtName + "."})
	case None:
		add(Finding{Code: CodeModeNone, Severity: finding.Info, Ref: "RFC 8461 §5",
			Message: "The MTA-STS policy is in mode none: the domain has withdrawn its policy and senders apply none."})
	}
	if p.MaxAge < 86400 {
		add(Finding{Code: CodeMaxAge, Severity: finding.Warning, Ref: "RFC 8461 §3.2",
			Message: fmt.Sprintf("max_age is %d seconds: senders forget the policy within a day, which leaves a window for an attacker to block the fetch.", p.MaxAge),
			Fix:     "Use a max_age of weeks, e.g. \"max_age: 1209600\" (14 days), once the policy is settled."})
	}
	judgeCoverage(res, mxs, mxErr)
}

func judgeFetchFailure(res *Report, txtName string) {
	f := res.Fetch
	res.State = StateBroken
	ev := &finding.Evidence{Name: f.URL, Detail: f.Error}
	consequence := "senders that have not cached the policy apply none, and senders with a cached policy cannot refresh it"
	fin := Finding{Severity: finding.Error, Ref: "RFC 8461 §3.3", Evidence: ev}
	switch f.Failure {
	case KindTimeout, KindDNS, KindNotDialed:
		res.State = StateUnknown
		fin.Code, fin.Severity, fin.Incomplete = CodePolicyUnreachable, finding.Warning, true
		fin.Message = fmt.Sprintf("The policy at %s could not be fetched (%s): whether senders can read it is unknown.", f.URL, f.Error)
	case KindNoHost:
		fin.Code = CodePolicyUnreachable
		fin.Message = fmt.Sprintf("%s announces a policy, but %s has no address: %s.", txtName, PolicyHost(res.Domain), consequence)
		fin.Fix = fmt.Sprintf("Publish an A/AAAA record (or CNAME) for %s pointing at the web server that serves the policy.", PolicyHost(res.Domain))
	case KindConnect, KindTLS, KindHTTP:
		fin.Code = CodePolicyUnreachable
		fin.Message = fmt.Sprintf("%s announces a policy, but %s could not be fetched (%s): %s.", txtName, f.URL, f.Error, consequence)
		fin.Fix = fmt.Sprintf("Serve the policy over HTTPS on port 443 at %s.", f.URL)
	case KindCertificate:
		fin.Code = CodePolicyCertificate
		fin.Message = fmt.Sprintf("The certificate of %s does not verify (%s): senders refuse the policy, so %s.", PolicyHost(res.Domain), f.Error, consequence)
		fin.Fix = fmt.Sprintf("Install a certificate from a public CA, valid now and naming %s (the name itself, or a wildcard over it), with its full chain.", PolicyHost(res.Domain))
	case KindRedirect:
		fin.Code = CodePolicyRedirect
		fin.Message = fmt.Sprintf("%s answers with a redirect (%s): senders must not follow redirects, so %s.", f.URL, f.Error, consequence)
		fin.Fix = fmt.Sprintf("Serve the policy itself at %s with status 200, not a redirect.", f.URL)
	case KindHTTPStatus:
		fin.Code = CodePolicyHTTPStatus
		fin.Message = fmt.Sprintf("%s answers %s instead of 200: %s.", f.URL, f.Error, consequence)
		fin.Fix = fmt.Sprintf("Serve the policy file at %s with status 200.", f.URL)
	case KindContentType:
		fin.Code = CodePolicyContentType
		fin.Message = fmt.Sprintf("%s is served with %s: senders accept only text/plain, so %s.", f.URL, f.Error, consequence)
		fin.Fix = "Serve the file with \"Content-Type: text/plain\" (a charset parameter is fine)."
	case KindTooLarge:
		fin.Code = CodePolicyTooLarge
		fin.Message = fmt.Sprintf("%s is larger than %d bytes: senders stop reading at 64 KiB, so %s.", f.URL, MaxPolicySize, consequence)
		fin.Fix = "Serve only the policy: a few lines of \"name: value\" fields."
	}
	res.Findings = append(res.Findings, fin)
}

func judgeCoverage(res *Report, mxs []*net.MX, mxErr error) {
	p := res.Policy
	if mxErr != nil && !isNotFound(mxErr) {
		res.Findings = append(res.Findings, Finding{Code: CodeDNSError, Severity: finding.Warning, Incomplete: true, Ref: "RFC 8461 §4.1",
			Message:  fmt.Sprintf("The MX lookup of %s failed (%v): whether the policy covers every MX host is unknown.", res.Domain, mxErr),
			Evidence: &finding.Evidence{Name: res.Domain, Type: "MX", Rcode: rcodeOf(mxErr)}})
		return
	}
	for _, mx := range mxs {
		host := strings.ToLower(strings.TrimSuffix(mx.Host, "."))
		if host == "" { // null MX: no mail to deliver
			continue
		}
		pat := p.Match(host)
		res.MX = append(res.MX, MXMatch{Host: host, Pattern: pat})
		if pat == "" {
			res.Uncovered = append(res.Uncovered, host)
		}
	}
	if len(res.Uncovered) == 0 || p.Mode == None {
		return
	}
	sev, effect := finding.Error, "senders that honour MTA-STS do not deliver to it, and mail that would go there is delayed or bounced"
	if p.Mode == Testing {
		sev, effect = finding.Warning, "senders deliver anyway now, but would refuse it under mode: enforce"
	}
	lines := make([]string, len(res.Uncovered))
	for i, h := range res.Uncovered {
		lines[i] = "\"mx: " + h + "\""
	}
	res.Findings = append(res.Findings, Finding{Code: CodeMXNotCovered, Severity: sev, Ref: "RFC 8461 §4.1",
		Message: fmt.Sprintf("MX host(s) %s match no mx pattern of the %s policy (%s): %s.",
			strings.Join(res.Uncovered, ", "), p.Mode, strings.Join(p.MX, ", "), effect),
		Fix: fmt.Sprintf("Add %s to the policy at %s, then publish a new id so senders refetch it: _mta-sts.%s. TXT \"v=STSv1; id=%s\".",
			strings.Join(lines, " and "), res.Fetch.URL, res.Domain, newID()),
		Evidence: &finding.Evidence{Name: res.Fetch.URL, Detail: "mx patterns: " + strings.Join(p.MX, ", ")}})
}

// newID is the placeholder for a new policy id in fixes: the date and time of the
// change, as RFC 8461's examples do (a placeholder, so reports stay reproducible).
func newID() string { return "<YYYYMMDDhhmmss>" }

func rcodeOf(err error) string {
	var de *net.DNSError
	switch {
	case errors.As(err, &de) && de.IsTimeout:
		return "timeout"
	case errors.As(err, &de) && strings.Contains(de.Err, "SERVFAIL"):
		return "SERVFAIL"
	case errors.As(err, &de) && strings.Contains(de.Err, "REFUSED"):
		return "REFUSED"
	}
	return "error"
}
