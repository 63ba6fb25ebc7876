package spf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Result is a check_host() result (RFC 7208 §2.6).
type Result string

// The seven results.
const (
	// None: no syntactically valid domain, or no SPF record.
	None Result = "none"
	// Neutral: the domain owner says nothing about the IP ("?" or no match).
	Neutral Result = "neutral"
	// Pass: the client is authorized.
	Pass Result = "pass"
	// Fail: the client is explicitly not authorized.
	Fail Result = "fail"
	// SoftFail: probably not authorized; a weak fail.
	SoftFail Result = "softfail"
	// TempError: a transient (DNS) error; try again later.
	TempError Result = "temperror"
	// PermError: the published records cannot be interpreted correctly.
	PermError Result = "permerror"
)

// Limits from RFC 7208 §4.6.4.
const (
	// MaxLookups is the number of DNS-querying terms (include, a, mx, ptr, exists and
	// redirect) allowed over a whole evaluation.
	MaxLookups = 10
	// MaxVoidLookups is the number of terms whose lookup may come back empty
	// (NODATA or NXDOMAIN).
	MaxVoidLookups = 2
	// MaxNames is the number of MX hosts (more is a permerror) and PTR names (more are
	// ignored) that one mx or ptr mechanism may look up.
	MaxNames = 10
)

// Resolver is the DNS access this package needs; *net.Resolver and *dnscheck.Resolver
// both satisfy it. An error that is a *net.DNSError with IsNotFound means the name or
// record does not exist; any other error is a DNS failure.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Option configures an evaluation.
type Option func(*config)

type config struct {
	helo     string
	receiver string
	now      func() time.Time
	// sequential turns prefetching off (WithSequential).
	sequential bool
	// Check (the audit) only.
	selfTest []netip.Addr
	sender   string
	type99   func(ctx context.Context, name string) ([]string, error)
	hints    func(ctx context.Context) []string
}

// WithHELO sets the HELO/EHLO name, the value of the %{h} macro.
func WithHELO(name string) Option { return func(c *config) { c.helo = name } }

// WithReceiver sets the checking host's own name, the value of %{r} in explanations
// ("unknown" by default).
func WithReceiver(name string) Option { return func(c *config) { c.receiver = name } }

// WithNow sets the clock read for %{t} in explanations (time.Now by default); dkim
// takes the same option.
func WithNow(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// Outcome is the result of one check_host() evaluation and how it was reached.
type Outcome struct {
	// Result is one of the seven results.
	Result Result `json:"result"`
	// Explanation is the expanded exp= text, set only for fail when the record has a
	// usable exp= modifier.
	Explanation string `json:"explanation,omitempty"`
	// Domain, Sender and IP are the inputs as used (sender with "postmaster" added).
	Domain string     `json:"domain"`
	Sender string     `json:"sender"`
	IP     netip.Addr `json:"ip"`
	// Problem says why the result is temperror or permerror, or why it is none.
	Problem string `json:"problem,omitempty"`
	// Lookups is the number of DNS-querying terms evaluated; VoidLookups those of them
	// that came back empty.
	Lookups     int `json:"dns_lookups"`
	VoidLookups int `json:"void_lookups"`
	// Trace lists the terms evaluated, in order; the one with Match set decided.
	Trace []Step `json:"trace"`
}

// Step is one evaluated term in an Outcome's trace.
type Step struct {
	// Domain is the domain whose record holds the term; Depth its include/redirect depth.
	Domain string `json:"domain"`
	Depth  int    `json:"depth"`
	// Term is the term as written.
	Term string `json:"term"`
	// Match reports that the mechanism matched and decided the result at its level.
	Match bool `json:"match"`
	// Result is the nested result of include and redirect, or the error result.
	Result Result `json:"result,omitempty"`
	// Detail says what was found, in words.
	Detail string `json:"detail,omitempty"`
}

// CheckHost runs RFC 7208 check_host(ip, domain, sender). sender is the MAIL FROM
// address, or "postmaster@" + the HELO name for the HELO identity. The returned
// Outcome is never nil; an expired ctx gives temperror.
func CheckHost(ctx context.Context, r Resolver, ip netip.Addr, domain, sender string, opts ...Option) *Outcome {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	// RFC 7208 §5: an IPv4-mapped IPv6 client is an IPv4 client.
	ip = ip.Unmap().WithZone("")
	local, senderDomain := splitSender(sender, domain)
	e := &evaluator{r: r, ip: ip, cfg: cfg, local: local, senderDomain: senderDomain}
	// Most evaluations take a few steps: one allocation instead of several regrowths.
	e.out = &Outcome{Domain: domain, Sender: local + "@" + senderDomain, IP: ip, Trace: make([]Step, 0, 8)}
	if !ip.IsValid() {
		e.out.Result, e.out.Problem = PermError, "no client IP address"
		return e.out
	}
	if !cfg.sequential {
		m, stop := startPrefetch(ctx, r, ip, domain)
		defer stop()
		e.r = m
	}
	res, expl := e.checkHost(ctx, domain, 0, false)
	e.out.Result, e.out.Explanation = res, expl
	return e.out
}

// Verify checks the identity an SMTP server sees: the MAIL FROM domain, or, when
// sender is empty (a bounce), the HELO identity "postmaster@helo" (RFC 7208 §2.3, §2.4).
func Verify(ctx context.Context, r Resolver, ip netip.Addr, sender, helo string, opts ...Option) *Outcome {
	opts = append([]Option{WithHELO(helo)}, opts...)
	if sender == "" {
		return CheckHost(ctx, r, ip, helo, "postmaster@"+helo, opts...)
	}
	_, d := splitSender(sender, "")
	return CheckHost(ctx, r, ip, d, sender, opts...)
}

// splitSender splits an address into local part and domain. RFC 7208 §4.3: a missing
// local part is "postmaster"; an address without "@" is taken as a domain.
func splitSender(sender, domain string) (local, dom string) {
	i := strings.LastIndexByte(sender, '@')
	switch {
	case sender == "":
		return "postmaster", domain
	case i < 0:
		return "postmaster", sender
	}
	// As for the domain, a final dot is no part of %{o} (RFC 7208 §4.3, §7.3).
	local, dom = sender[:i], strings.TrimSuffix(sender[i+1:], ".")
	if local == "" {
		local = "postmaster"
	}
	return local, dom
}

type evaluator struct {
	r                   Resolver
	ip                  netip.Addr
	cfg                 config
	local, senderDomain string
	out                 *Outcome
}

// fault carries a temperror or permerror out of a mechanism.
type fault struct {
	result Result
	msg    string
}

func (e *evaluator) step(domain string, depth int, term string, match bool, res Result, detail string) {
	e.out.Trace = append(e.out.Trace, Step{Domain: domain, Depth: depth, Term: term, Match: match, Result: res, Detail: detail})
}

func (e *evaluator) fail(res Result, format string, args ...any) *fault {
	f := &fault{res, fmt.Sprintf(format, args...)}
	if e.out.Problem == "" {
		e.out.Problem = f.msg
	}
	return f
}

// checkHost evaluates one domain's record. inInclude is set below an include, where
// exp= is not used (RFC 7208 §6.2).
func (e *evaluator) checkHost(ctx context.Context, domain string, depth int, inInclude bool) (Result, string) {
	// RFC 7208 §4.3: a malformed or single-label domain gives none.
	if err := validDomain(domain); err != nil {
		if e.out.Problem == "" {
			e.out.Problem = fmt.Sprintf("%q is not a valid domain: %v", domain, err)
		}
		return None, ""
	}
	// A final dot only marks the name as fully qualified: it is not an empty label
	// for the %{d} transformers (RFC 7208 §4.3, §7.3).
	domain = strings.TrimSuffix(domain, ".")
	pr, f, found := e.fetch(ctx, domain)
	if f != nil {
		return f.result, ""
	}
	if !found {
		if e.out.Problem == "" {
			e.out.Problem = "no SPF record at " + domain
		}
		return None, ""
	}
	rec := pr.rec
	env := e.env(domain)
	for ti, t := range rec.Terms {
		if t.IsModifier() {
			continue
		}
		// The step goes in before an include's nested steps and is filled in after.
		i := len(e.out.Trace)
		e.step(domain, depth, pr.terms[ti], false, "", "")
		match, res, detail, f := e.mechanism(ctx, env, t, depth)
		st := &e.out.Trace[i]
		if f != nil {
			st.Result, st.Detail = f.result, f.msg
			return f.result, ""
		}
		st.Match, st.Result, st.Detail = match, res, detail
		if match {
			result := t.Qualifier.Result()
			expl := ""
			if result == Fail && !inInclude {
				expl = e.explain(ctx, env, rec)
			}
			return result, expl
		}
	}
	// RFC 7208 §6.1: redirect applies only when no mechanism matched, and is ignored
	// when the record has an "all" mechanism anywhere.
	red, ok := rec.Modifier(ModRedirect)
	if !ok || rec.HasAll() {
		return Neutral, "" // RFC 7208 §4.7: the default result
	}
	if f := e.count(); f != nil {
		e.step(domain, depth, red.String(), false, f.result, f.msg)
		return f.result, ""
	}
	target, err := e.target(ctx, env, red.Domain)
	if err != nil {
		e.step(domain, depth, red.String(), false, PermError, err.Error())
		return e.fail(PermError, "redirect in %s: %v", domain, err).result, ""
	}
	e.step(domain, depth, red.String(), false, "", "redirect to "+target)
	res, expl := e.checkHost(ctx, target, depth+1, inInclude)
	if res == None {
		// RFC 7208 §6.1: a redirect target without a record is a permerror.
		return e.fail(PermError, "redirect target %s has no SPF record", target).result, ""
	}
	return res, expl
}

// fetch looks up and selects the SPF record of domain (RFC 7208 §4.4, §4.5).
func (e *evaluator) fetch(ctx context.Context, domain string) (*parsed, *fault, bool) {
	if err := ctx.Err(); err != nil {
		return nil, e.fail(TempError, "time limit reached before looking up %s: %v", domain, err), false
	}
	txts, err := e.r.LookupTXT(ctx, domain)
	if err != nil {
		if isNotFound(err) {
			return nil, nil, false
		}
		// RFC 7208 §4.4: a failed lookup is a temperror.
		return nil, e.fail(TempError, "DNS error looking up TXT %s: %v", domain, err), false
	}
	var recs []string
	for _, t := range txts {
		if IsSPF(t) {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return nil, nil, false
	case 1:
	default:
		// RFC 7208 §4.5: more than one record is a permerror.
		return nil, e.fail(PermError, "%s has %d SPF records", domain, len(recs)), false
	}
	pr := parseCached(recs[0])
	if pr.err != nil {
		// RFC 7208 §4.6: a syntax error anywhere makes the whole record a permerror.
		return nil, e.fail(PermError, "the record of %s: %s", domain, strings.TrimPrefix(pr.err.Error(), "spf: ")), false
	}
	return pr, nil, true
}

// parsed is a record as evaluations use it: parsed once per distinct text and kept, with
// each term's written form for the trace. Receivers see the same few provider records
// over and over; parsing them again for every message was the largest cost of a
// warm-cache evaluation.
type parsed struct {
	rec   *Record
	terms []string // rec.Terms[i].String()
	err   error
}

// maxParsed bounds the cache of parsed records; when full it starts afresh.
const maxParsed = 4096

var parsedCache struct {
	sync.Mutex
	m map[string]*parsed
}

// parseCached parses an SPF record text, or returns the earlier parse of the same text.
// The Record is shared and must not be changed.
func parseCached(text string) *parsed {
	parsedCache.Lock()
	pr, ok := parsedCache.m[text]
	parsedCache.Unlock()
	if ok {
		return pr
	}
	pr = &parsed{}
	if pr.rec, pr.err = Parse(text); pr.err == nil {
		pr.terms = make([]string, len(pr.rec.Terms))
		for i, t := range pr.rec.Terms {
			pr.terms[i] = t.String()
		}
	}
	parsedCache.Lock()
	if parsedCache.m == nil || len(parsedCache.m) >= maxParsed {
		parsedCache.m = make(map[string]*parsed)
	}
	parsedCache.m[text] = pr
	parsedCache.Unlock()
	return pr
}

// count charges one DNS-querying term against RFC 7208 §4.6.4's limit of 10.
func (e *evaluator) count() *fault {
	e.out.Lookups++
	if e.out.Lookups > MaxLookups {
		return e.fail(PermError, "more than %d DNS-querying terms", MaxLookups)
	}
	return nil
}

// void charges a lookup that came back empty against the void limit.
func (e *evaluator) void() *fault {
	e.out.VoidLookups++
	// RFC 7208 §4.6.4: implementations SHOULD limit void lookups to two.
	if e.out.VoidLookups > MaxVoidLookups {
		return e.fail(PermError, "more than %d void DNS lookups", MaxVoidLookups)
	}
	return nil
}

// target expands a domain-spec into the name to query (RFC 7208 §4.8, §7.3).
func (e *evaluator) target(ctx context.Context, env *macroEnv, spec string) (string, error) {
	s, err := env.expand(ctx, spec, false)
	if err != nil {
		return "", err
	}
	return escapeName(truncateDomain(s)), nil
}

// escapeName writes a macro-expanded name in DNS presentation format: a space or
// another special character (from a local part, say) is backslash-escaped, so the
// resolver queries those very bytes rather than splitting or rejecting the name.
func escapeName(s string) string {
	if !strings.ContainsAny(s, ` "();@$\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(` "();@$\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (e *evaluator) network() string {
	if e.ip.Is4() {
		return "ip4"
	}
	return "ip6"
}

func (e *evaluator) prefix(t Term) netip.Prefix {
	bits := t.Prefix4
	if e.ip.Is6() {
		bits = t.Prefix6
	}
	if bits < 0 {
		bits = e.ip.BitLen()
	}
	p, _ := e.ip.Prefix(bits)
	return p
}

// mechanism evaluates one mechanism: whether it matched, the nested result for include,
// a detail, or a fault that ends the evaluation.
func (e *evaluator) mechanism(ctx context.Context, env *macroEnv, t Term, depth int) (bool, Result, string, *fault) {
	switch t.Mechanism {
	case MechAll:
		return true, "", "", nil
	case MechIP4, MechIP6:
		if t.IP.Is4() != e.ip.Is4() {
			return false, "", "", nil
		}
		bits := t.Prefix4
		if t.Mechanism == MechIP6 {
			bits = t.Prefix6
		}
		if bits < 0 {
			bits = t.IP.BitLen()
		}
		p, _ := t.IP.Prefix(bits)
		return p.Contains(e.ip), "", "", nil
	}
	// The rest query DNS.
	if f := e.count(); f != nil {
		return false, "", "", f
	}
	if err := ctx.Err(); err != nil {
		return false, "", "", e.fail(TempError, "time limit reached: %v", err)
	}
	target := env.domain
	if t.Domain != "" {
		var err error
		if target, err = e.target(ctx, env, t.Domain); err != nil {
			return false, "", "", e.fail(PermError, "%s: %v", t, err)
		}
	}
	if t.Mechanism == MechInclude {
		res, _ := e.checkHost(ctx, target, depth+1, true)
		// RFC 7208 §5.2: the include result table.
		switch res {
		case Pass:
			return true, res, "", nil
		case Fail, SoftFail, Neutral:
			return false, res, "", nil
		case TempError:
			return false, res, "", &fault{TempError, e.out.Problem}
		case None:
			return false, res, "", e.fail(PermError, "include target %s has no SPF record", target)
		default:
			return false, res, "", &fault{PermError, e.out.Problem}
		}
	}
	// A target that is not a usable domain name (empty or over-long label) cannot be
	// queried; like RFC 7208 §4.3 treats such a name, it does not exist: no match.
	if err := validTarget(target); err != nil {
		return false, "", fmt.Sprintf("%s is not a valid domain name: %v", target, err), nil
	}
	switch t.Mechanism {
	case MechA:
		addrs, err := e.r.LookupNetIP(ctx, e.network(), target)
		if err != nil {
			return false, "", "", e.lookupErr(err, "A/AAAA", target)
		}
		p := e.prefix(t)
		for _, a := range addrs {
			if p.Contains(a.Unmap()) {
				return true, "", "address of " + target, nil
			}
		}
		return false, "", "", nil
	case MechMX:
		mxs, err := e.r.LookupMX(ctx, target)
		if err != nil {
			return false, "", "", e.lookupErr(err, "MX", target)
		}
		var hosts []string
		for _, mx := range mxs {
			if h := strings.TrimSuffix(mx.Host, "."); h != "" { // "." is a null MX (RFC 7505)
				hosts = append(hosts, h)
			}
		}
		// RFC 7208 §4.6.4: more than 10 MX names to look up is a permerror.
		if len(hosts) > MaxNames {
			return false, "", "", e.fail(PermError, "%s has %d MX hosts, more than %d", target, len(hosts), MaxNames)
		}
		p := e.prefix(t)
		for _, h := range hosts {
			addrs, err := e.r.LookupNetIP(ctx, e.network(), h)
			if err != nil {
				if isNotFound(err) {
					// An MX host without addresses is a void lookup too, as the
					// reference implementation counts it (RFC 7208 §4.6.4).
					if f := e.void(); f != nil {
						return false, "", "", f
					}
					continue
				}
				return false, "", "", e.fail(TempError, "DNS error looking up %s: %v", h, err)
			}
			for _, a := range addrs {
				if p.Contains(a.Unmap()) {
					return true, "", "address of MX " + h, nil
				}
			}
		}
		return false, "", "", nil
	case MechPTR:
		names, f := e.validated(ctx, true)
		if f != nil {
			return false, "", "", f
		}
		for _, n := range names {
			if isSubdomain(n, target) {
				return true, "", "validated PTR " + n, nil
			}
		}
		return false, "", "", nil
	case MechExists:
		// RFC 7208 §5.7: always an A query, whatever the client's IP version.
		addrs, err := e.r.LookupNetIP(ctx, "ip4", target)
		if err != nil {
			return false, "", "", e.lookupErr(err, "A", target)
		}
		return len(addrs) > 0, "", "", nil
	}
	return false, "", "", e.fail(PermError, "unknown mechanism %s", t.Mechanism)
}

// lookupErr turns a mechanism's lookup error into a void lookup (and its limit) or a
// temperror (RFC 7208 §5: an RCODE other than 0 or 3, or a timeout).
func (e *evaluator) lookupErr(err error, qtype, name string) *fault {
	if isNotFound(err) {
		return e.void()
	}
	return e.fail(TempError, "DNS error looking up %s %s: %v", qtype, name, err)
}

// validated returns the client IP's validated domain names (RFC 7208 §5.5): PTR names
// (at most 10) whose own addresses include the IP. PTR failures mean no names. An
// empty PTR answer is a void lookup for the ptr mechanism (term), not for %{p}.
func (e *evaluator) validated(ctx context.Context, term bool) ([]string, *fault) {
	names, err := e.r.LookupAddr(ctx, e.ip.String())
	if err != nil {
		if term && isNotFound(err) {
			return nil, e.void()
		}
		return nil, nil // RFC 7208 §5.5: a DNS error in the PTR lookup: no match
	}
	// RFC 7208 §4.6.4: PTR names beyond the first 10 MUST be ignored.
	if len(names) > MaxNames {
		names = names[:MaxNames]
	}
	var out []string
	for _, n := range names {
		n = strings.TrimSuffix(n, ".")
		addrs, err := e.r.LookupNetIP(ctx, e.network(), n)
		if err != nil {
			// RFC 7208 §5.5: a failed A lookup skips that name; an empty one is
			// also a void lookup for the ptr mechanism.
			if term && isNotFound(err) {
				if f := e.void(); f != nil {
					return nil, f
				}
			}
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == e.ip {
				out = append(out, n)
				break
			}
		}
	}
	return out, nil
}

// env builds the macro values for a check_host() call on domain.
func (e *evaluator) env(domain string) *macroEnv {
	env := &macroEnv{
		sender: e.local + "@" + e.senderDomain, local: e.local, senderDomain: e.senderDomain,
		domain: domain, helo: e.cfg.helo, ip: e.ip, receiver: e.cfg.receiver, now: e.cfg.now(),
	}
	// RFC 7208 §7.3: %{p} is a validated name: the domain itself, else a subdomain of
	// it, else any validated name, else "unknown".
	env.ptr = func(ctx context.Context) string {
		names, _ := e.validated(ctx, false)
		best := ""
		for _, n := range names {
			switch {
			case strings.EqualFold(n, domain):
				return n
			case best == "" && isSubdomain(n, domain):
				best = n
			}
		}
		if best == "" && len(names) > 0 {
			best = names[0]
		}
		if best == "" {
			best = "unknown"
		}
		return best
	}
	return env
}

// explain computes the exp= explanation (RFC 7208 §6.2). Any problem means no
// explanation, never a different result.
func (e *evaluator) explain(ctx context.Context, env *macroEnv, rec *Record) string {
	exp, ok := rec.Modifier(ModExp)
	if !ok {
		return ""
	}
	name, err := e.target(ctx, env, exp.Domain)
	if err != nil || validTarget(name) != nil {
		return ""
	}
	txts, err := e.r.LookupTXT(ctx, name)
	if err != nil || len(txts) != 1 {
		return ""
	}
	text, err := env.expand(ctx, txts[0], true)
	if err != nil {
		return ""
	}
	return text
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// isSubdomain reports whether name is domain or below it, ignoring case and a final dot.
func isSubdomain(name, domain string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	return name == domain || strings.HasSuffix(name, "."+domain)
}

// validTarget checks that a name can be queried: RFC 1035 lengths, no empty label.
func validTarget(name string) error {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return errors.New("empty name")
	}
	if len(name) > 253 {
		return errors.New("longer than 253 characters")
	}
	for rest := name; rest != ""; {
		l := rest
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
			if rest == "" {
				return errors.New("empty label") // "a..": the name ended in two dots
			}
		} else {
			rest = ""
		}
		if l == "" {
			return errors.New("empty label")
		}
		if len(l) > 63 {
			return fmt.Errorf("label %.20q... longer than 63 characters", l)
		}
		for i := 0; i < len(l); i++ {
			// Any octet is legal in a DNS label; only control characters cannot
			// come from a real sender or HELO name.
			if l[i] < ' ' || l[i] == 0x7f {
				return fmt.Errorf("label %q has a control character", l)
			}
		}
	}
	return nil
}

// validDomain is RFC 7208 §4.3's test of the identity domain: a well-formed name of at
// least two labels, not an address literal.
func validDomain(name string) error {
	if err := validTarget(name); err != nil {
		return err
	}
	name = strings.TrimSuffix(name, ".")
	if strings.HasPrefix(name, "[") {
		return errors.New("an address literal")
	}
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return errors.New("not a multi-label domain name")
	}
	if isNumber(name[i+1:]) {
		return errors.New("an IP address, not a domain name")
	}
	return nil
}
