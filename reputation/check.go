package reputation

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// Resolver is what Check needs of a resolver: *net.Resolver and dnscheck.Resolver
// have this method.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// State is the outcome of one query.
type State string

// The states.
const (
	// StateNotListed: NXDOMAIN (or no A record) under the list's zone.
	StateNotListed State = "not_listed"
	// StateListed: a return code the list publishes as a listing.
	StateListed State = "listed"
	// StateRefused: the list answered with a code that means it would not answer
	// (public resolver, over quota, blocked), or with a code it does not publish.
	StateRefused State = "refused"
	// StateDNSError: the lookup failed (SERVFAIL, timeout...): unknown.
	StateDNSError State = "dns_error"
)

// Role says why an address is checked.
type Role string

// The roles.
const (
	RoleSending Role = "sending"
	RoleMX      Role = "mx"
	RoleDomain  Role = "domain"
)

// Target is one thing looked up: an address (with its role and, for an MX address,
// the host) or the domain.
type Target struct {
	Role Role       `json:"role"`
	IP   netip.Addr `json:"ip,omitzero"`
	// Host is the MX host an address belongs to.
	Host string `json:"host,omitempty"`
	// Domain is set for RoleDomain.
	Domain string `json:"domain,omitempty"`
}

func (t Target) String() string {
	switch t.Role {
	case RoleDomain:
		return t.Domain
	case RoleMX:
		return fmt.Sprintf("%s (MX %s)", t.IP, strings.TrimSuffix(t.Host, "."))
	}
	return fmt.Sprintf("%s (sending IP)", t.IP)
}

// Result is one target looked up in one list.
type Result struct {
	Target Target `json:"target"`
	List   string `json:"list"`
	Zone   string `json:"zone"`
	Query  string `json:"query"`
	State  State  `json:"state"`
	// Codes are the A records returned; Meanings their published meanings.
	Codes    []string `json:"codes,omitempty"`
	Meanings []string `json:"meanings,omitempty"`
	Major    bool     `json:"major,omitempty"`
	Removal  string   `json:"removal,omitempty"`
	// Err is the failure of a StateDNSError lookup.
	Err error `json:"-"`
}

// Report is the outcome of Check.
type Report struct {
	Domain   string            `json:"domain,omitempty"`
	Lists    []string          `json:"lists"`
	Results  []Result          `json:"results"`
	Findings []finding.Finding `json:"findings"`
}

// Listed returns the results that are listings.
func (r *Report) Listed() []Result { return r.with(StateListed) }

// Refused returns the results whose list refused to answer.
func (r *Report) Refused() []Result { return r.with(StateRefused) }

// Failed returns the results whose lookup failed.
func (r *Report) Failed() []Result { return r.with(StateDNSError) }

func (r *Report) with(s State) []Result {
	var out []Result
	for _, res := range r.Results {
		if res.State == s {
			out = append(out, res)
		}
	}
	return out
}

// Option configures Check.
type Option func(*config)

type config struct {
	lists   []List
	targets []Target
	domains []string
}

// WithLists replaces DefaultLists.
func WithLists(lists ...List) Option { return func(c *config) { c.lists = lists } }

// WithSendingIPs adds the addresses the domain sends from.
func WithSendingIPs(ips ...netip.Addr) Option {
	return func(c *config) {
		for _, ip := range ips {
			c.targets = append(c.targets, Target{Role: RoleSending, IP: ip.Unmap()})
		}
	}
}

// WithDomains adds more domains to look up in the domain lists, beside Check's
// domain: the registrable domains a message links to, say.
func WithDomains(domains ...string) Option {
	return func(c *config) { c.domains = append(c.domains, domains...) }
}

// WithMXAddresses adds the addresses of one MX host.
func WithMXAddresses(host string, ips ...netip.Addr) Option {
	return func(c *config) {
		for _, ip := range ips {
			c.targets = append(c.targets, Target{Role: RoleMX, Host: host, IP: ip.Unmap()})
		}
	}
}

// maxInFlight bounds the queries Check has outstanding at once.
const maxInFlight = 8

// Check looks up the targets in the lists: each address in every IP list (IPv6 only
// in lists that support it; private and reserved addresses are never listed and not
// queried), and domain (when not empty) and the WithDomains domains in every domain
// list. An address given twice
// (a sending IP that is also an MX address) is looked up once per role. The error is
// set only when nothing could be run (no resolver).
func Check(ctx context.Context, r Resolver, domain string, opts ...Option) (*Report, error) {
	if r == nil {
		return nil, fmt.Errorf("reputation: no resolver")
	}
	cfg := config{lists: DefaultLists()}
	for _, o := range opts {
		o(&cfg)
	}
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	rep := &Report{Domain: domain, Results: []Result{}, Findings: []finding.Finding{}}
	var domains []string
	for _, d := range append([]string{domain}, cfg.domains...) {
		if d = strings.TrimSuffix(strings.ToLower(d), "."); d != "" && !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	type job struct {
		target Target
		list   List
		query  string
	}
	var jobs []job
	seen := map[Target]bool{}
	for _, l := range cfg.lists {
		rep.Lists = append(rep.Lists, l.Zone)
		switch l.Kind {
		case KindDomain:
			for _, d := range domains {
				jobs = append(jobs, job{Target{Role: RoleDomain, Domain: d}, l, d + "." + l.Zone})
			}
		case KindIP:
			for _, t := range cfg.targets {
				key := t
				key.Host = l.Zone // dedupe per list, role and address
				if seen[key] || !t.IP.IsValid() || !public(t.IP) || (t.IP.Is6() && !l.IPv6) {
					continue
				}
				seen[key] = true
				jobs = append(jobs, job{t, l, ReverseName(t.IP) + "." + l.Zone})
			}
		}
	}
	rep.Results = make([]Result, len(jobs))
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			rep.Results[i] = lookup(ctx, r, j.list, j.target, j.query)
		}()
	}
	wg.Wait()
	rep.Findings = findings(rep.Results)
	return rep, nil
}

// ReverseName is the RFC 5782 §2.1/§2.4 query label of an address: IPv4 octets
// reversed (192.0.2.1 → 1.2.0.192), IPv6 nibbles reversed (32 labels).
func ReverseName(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		b := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d", b[3], b[2], b[1], b[0])
	}
	b := ip.As16()
	const hex = "0123456789abcdef"
	var sb strings.Builder
	for i := len(b) - 1; i >= 0; i-- {
		sb.WriteByte(hex[b[i]&0xf])
		sb.WriteByte('.')
		sb.WriteByte(hex[b[i]>>4])
		if i > 0 {
			sb.WriteByte('.')
		}
	}
	return sb.String()
}

// public reports whether an address can be on a public list at all.
func public(ip netip.Addr) bool {
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// reserved are the shared (CGNAT, RFC 6598) and documentation (RFC 5737, RFC 3849)
// ranges: never on a public list.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"), netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

func lookup(ctx context.Context, r Resolver, l List, t Target, query string) Result {
	res := Result{Target: t, List: l.Name, Zone: l.Zone, Query: query, Major: l.Major, Removal: l.Removal}
	addrs, err := r.LookupNetIP(ctx, "ip4", query)
	if err != nil {
		if dnsfail.IsNotFound(err) {
			res.State = StateNotListed
		} else {
			res.State, res.Err = StateDNSError, err
		}
		return res
	}
	slices.SortFunc(addrs, func(a, b netip.Addr) int { return a.Compare(b) })
	res.State = StateNotListed
	var refused []string
	for _, a := range addrs {
		code := a.String()
		res.Codes = append(res.Codes, code)
		if why, ok := l.Refused[code]; ok {
			refused = append(refused, code+": "+why)
			continue
		}
		if why, ok := meaning(l, a); ok {
			res.State = StateListed
			res.Meanings = append(res.Meanings, code+": "+why)
			continue
		}
		refused = append(refused, code+": not a return code this list publishes (a resolver that rewrites answers?)")
	}
	if res.State != StateListed && len(refused) > 0 {
		res.State, res.Meanings = StateRefused, refused
	}
	return res
}

// meaning reads one return code with the list's published table.
func meaning(l List, a netip.Addr) (string, bool) {
	if why, ok := l.Listed[a.String()]; ok {
		return why, true
	}
	if len(l.Bitmask) == 0 || !netip.MustParsePrefix("127.0.0.0/24").Contains(a) {
		return "", false
	}
	last := a.As4()[3]
	var parts []string
	rest := last
	for bit := uint8(1); bit != 0; bit <<= 1 {
		if last&bit == 0 {
			continue
		}
		if why, ok := l.Bitmask[bit]; ok {
			parts = append(parts, why)
			rest &^= bit
		}
	}
	if len(parts) == 0 || rest != 0 {
		return "", false
	}
	return strings.Join(parts, "; "), true
}

func findings(results []Result) []finding.Finding {
	out := []finding.Finding{}
	refusedLists := map[string]bool{}
	for _, r := range results {
		switch r.State {
		case StateListed:
			code, what := CodeIPListed, "address"
			if r.Target.Role == RoleDomain {
				code, what = CodeDomainListed, "domain"
			}
			out = append(out, finding.Finding{
				Code: code, Severity: finding.Warning,
				Message: fmt.Sprintf("%s is listed on %s (%s): %s.", r.Target, r.List, r.Zone, strings.Join(r.Meanings, "; ")),
				Fix: fmt.Sprintf("Find and stop the cause (a compromised account or machine, a bad list, an open relay), then look the %s up and request removal at %s.",
					what, r.Removal),
				Ref:      "RFC 5782 §2",
				Evidence: &finding.Evidence{Name: r.Query, Type: "A", Records: r.Codes, Detail: r.Removal},
			})
		case StateRefused:
			if refusedLists[r.Zone] {
				continue
			}
			refusedLists[r.Zone] = true
			out = append(out, finding.Finding{
				Code: CodeListRefused, Severity: finding.Info,
				Message:  fmt.Sprintf("%s (%s) did not answer the question: %s. Its listings are unknown, not clean.", r.List, r.Zone, strings.Join(r.Meanings, "; ")),
				Fix:      fmt.Sprintf("Run mailcheck through your own recursive resolver (not a public one such as 8.8.8.8 or 1.1.1.1), within %s's free-use terms, or look the addresses up at %s.", r.List, r.Removal),
				Ref:      "RFC 5782 §2",
				Evidence: &finding.Evidence{Name: r.Query, Type: "A", Records: r.Codes},
			})
		case StateDNSError:
			out = append(out, dnsfail.Finding(CodeDNSError, r.Query, "A", r.Err,
				fmt.Sprintf("whether %s is listed on %s", r.Target, r.List), "RFC 5782 §2"))
		}
	}
	return out
}
