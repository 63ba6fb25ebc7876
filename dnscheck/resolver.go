package dnscheck

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// EDNSBufferSize is the UDP payload size advertised in EDNS0: the DNS Flag Day 2020
// value, small enough to avoid IP fragmentation on any path.
const EDNSBufferSize = 1232

// Defaults for the network source.
const (
	// DefaultTimeout is how long an attempt goes unanswered before the next one is
	// sent. The earlier attempts keep listening until the question's budget
	// (Attempts × Timeout) ends, so a slow but working resolver (2.5 s, say) still
	// answers, while a lost packet is retried after Timeout as usual.
	DefaultTimeout  = 2 * time.Second
	DefaultAttempts = 3 // tries in all, moving to the next server each time
)

// Answer is one DNS response, kept whole for diagnostics.
type Answer struct {
	// Name and Type are the question, Name as an FQDN in lower case.
	Name string
	Type uint16
	// Rcode is the response code (dns.RcodeSuccess, dns.RcodeNameError, ...).
	Rcode int
	// Records is the answer section: CNAMEs followed by the records they lead to, and
	// their RRSIGs when the zone is signed (queries carry the DO bit).
	Records []dns.RR
	// Authority is the authority section: for a signed zone's NXDOMAIN or NODATA, the
	// SOA and the NSEC or NSEC3 records (with their RRSIGs) that prove the denial.
	Authority []dns.RR
	// Authenticated is the AD bit: the upstream resolver validated the answer with DNSSEC.
	Authenticated bool
	// Server is the upstream that answered ("zone" for the offline source).
	Server string
	// TCP reports that the UDP answer was truncated and the query was repeated over TCP.
	TCP bool
}

// RcodeText is the response code's mnemonic, with NODATA for an empty NOERROR answer.
func (a *Answer) RcodeText() string {
	if a.Rcode == dns.RcodeSuccess && len(a.Final()) == 0 {
		return "NODATA"
	}
	return dns.RcodeToString[a.Rcode]
}

// Final returns the records of the asked type at the end of the CNAME chain that starts
// at the question name. Records for other owners, which a resolver may add, are dropped.
func (a *Answer) Final() []dns.RR {
	target, _, _ := a.chase()
	var out []dns.RR
	for _, rr := range a.Records {
		h := rr.Header()
		if (h.Rrtype == a.Type || a.Type == dns.TypeANY) && strings.EqualFold(h.Name, target) {
			out = append(out, rr)
		}
	}
	return out
}

// Chain returns the CNAME targets followed from the question name, in order.
func (a *Answer) Chain() []string {
	_, chain, _ := a.chase()
	return chain
}

// chase follows CNAME records in the answer from the question name. bad is
// ErrCNAMELoop for a chain that revisits a name and ErrCNAMEChainTooLong for one
// longer than maxCNAMEChain: either way resolvers cannot answer.
func (a *Answer) chase() (target string, chain []string, bad error) {
	target = a.Name
	if a.Type == dns.TypeCNAME {
		return target, nil, nil
	}
	seen := map[string]bool{strings.ToLower(target): true}
	for {
		next := ""
		for _, rr := range a.Records {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, target) {
				next = strings.ToLower(c.Target)
				break
			}
		}
		switch {
		case next == "":
			return target, chain, nil
		case seen[next]:
			return target, chain, ErrCNAMELoop
		case len(chain) >= maxCNAMEChain:
			return target, chain, ErrCNAMEChainTooLong
		}
		seen[next] = true
		chain = append(chain, next)
		target = next
	}
}

// exchanger sends one query and returns the response; the two sources are the network
// (upstream recursive servers) and a Zone.
type exchanger interface {
	exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, string, bool, error)
}

// Resolver answers DNS questions for one check run: a cache with in-flight
// deduplication in front of either upstream servers or a zone file. It is safe for
// concurrent use. Its Lookup methods have the shapes of *net.Resolver's, so protocol
// packages can take either; Query gives the whole response.
type Resolver struct {
	source exchanger
	// budget bounds one question, detached from its callers (see Query).
	budget time.Duration

	flight singleflight.Group
	mu     sync.Mutex
	cache  map[cacheKey]*list.Element // of cacheEntry
	// order lists the cache from most to least recently used; limit > 0 bounds it.
	order  *list.List
	limit  int
	sent   atomic.Int64
	byType map[string]int64

	// anchors are the DNSSEC trust anchors by zone, as DS records (see SetTrustAnchors);
	// nil means the built-in root anchor.
	anchors       map[string][]*dns.DS
	customAnchors bool

	// clock replaces time.Now for the cache's expiry and DNSSEC validity (tests).
	clock func() time.Time
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cached struct {
	ans *Answer
	err error
	// expires is when the entry stops being used (see cacheLifetime).
	expires time.Time
}

// How long answers stay cached. A Resolver serves one report as readily as a milter
// running for months, so answers follow their TTLs, within bounds:
//   - at least minAnswerLife, so one report (its --timeout is 30 s by default) asks
//     each question once and sees one answer even under TTL 0;
//   - at most maxAnswerLife;
//   - failures (no response, SERVFAIL, REFUSED) for failureLife: long enough that one
//     report does not wait on a dead server twice, short enough that a lost packet
//     does not spoil the rest of a bulk run or a milter's day (RFC 9520 §3.2 allows
//     1 s to 5 min; RFC 2308 §7.1 caps SERVFAIL at 5 min).
const (
	minAnswerLife = time.Minute
	maxAnswerLife = 24 * time.Hour
	failureLife   = 30 * time.Second
)

// cacheLifetime is how long an answer (or failure) is kept: the smallest TTL of its
// answer records, or for a negative answer its SOA's negative TTL (RFC 2308 §5: the
// smaller of the SOA record's TTL and its MINIMUM; none without an SOA), clamped as
// above.
func cacheLifetime(ans *Answer, err error) time.Duration {
	if err != nil || ans.Rcode == dns.RcodeServerFailure || ans.Rcode == dns.RcodeRefused {
		return failureLife
	}
	ttl := uint32(maxAnswerLife / time.Second)
	for _, rr := range ans.Records {
		ttl = min(ttl, rr.Header().Ttl)
	}
	if len(ans.Records) == 0 {
		ttl = 0 // no SOA: RFC 2308 §5 says not to cache it (beyond the floor)
		for _, rr := range ans.Authority {
			if soa, ok := rr.(*dns.SOA); ok {
				ttl = min(soa.Hdr.Ttl, soa.Minttl)
			}
		}
	}
	return min(max(time.Duration(ttl)*time.Second, minAnswerLife), maxAnswerLife)
}

type cacheEntry struct {
	key cacheKey
	cached
}

// SetCacheLimit bounds the cache to n answers, evicting the least recently used past
// it (0, the default, bounds it only by the answers' lifetimes: right for one check
// run, not for a bulk run over millions of domains). Call it before the first query.
func (r *Resolver) SetCacheLimit(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.limit = max(n, 0)
	r.evict()
}

// evict drops the least recently used answers past the limit; r.mu must be held.
func (r *Resolver) evict() {
	for r.limit > 0 && r.order.Len() > r.limit {
		e := r.order.Back()
		r.order.Remove(e)
		delete(r.cache, e.Value.(cacheEntry).key)
	}
}

// Options configure a network Resolver.
type Options struct {
	// Servers are upstream recursive resolvers as IP or IP:port (port 53 if omitted;
	// an IPv6 address with a port in brackets, [2001:db8::53]:53). Empty means the
	// nameservers in /etc/resolv.conf. A host name is refused: finding the resolver
	// would itself need DNS.
	Servers []string
	// Timeout is how long an attempt goes unanswered before the next is sent;
	// DefaultTimeout if zero. Attempts × Timeout bounds the whole question, and
	// every attempt listens until then (see DefaultTimeout).
	Timeout time.Duration
	// Attempts is the number of tries per question across servers; DefaultAttempts if zero.
	Attempts int
	// TrustAnchors are the DS or DNSKEY records Validate starts from, for any zone
	// (LoadTrustAnchors reads a file of them); empty means the built-in root anchor
	// (IANA's KSK-2017).
	TrustAnchors []dns.RR
}

// New returns a Resolver that queries upstream servers over UDP, with EDNS0, retrying
// over TCP when an answer is truncated and moving to the next server on a timeout,
// SERVFAIL or REFUSED. Its error names a server address that is not IP[:port] with a
// port from 1 to 65535, before anything is sent.
func New(opts Options) (*Resolver, error) {
	servers := opts.Servers
	if len(servers) == 0 {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return nil, fmt.Errorf("dnscheck: no resolvers given and /etc/resolv.conf unusable: %w", err)
		}
		for _, s := range conf.Servers {
			servers = append(servers, net.JoinHostPort(s, conf.Port))
		}
		if len(servers) == 0 {
			return nil, errors.New("dnscheck: no resolvers given and none in /etc/resolv.conf")
		}
	}
	norm := make([]string, len(servers))
	for i, s := range servers {
		hp, err := serverAddr(s)
		if err != nil {
			return nil, err
		}
		norm[i] = hp
	}
	n := &network{servers: norm, timeout: opts.Timeout, attempts: opts.Attempts}
	for _, s := range norm {
		p, err := newUDPPool(s)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %w", ErrBadServer, s, err)
		}
		n.pools = append(n.pools, p)
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.attempts <= 0 {
		n.attempts = DefaultAttempts
	}
	r := newResolver(n)
	r.budget = n.budget()
	if len(opts.TrustAnchors) > 0 {
		if err := r.SetTrustAnchors(opts.TrustAnchors); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ErrBadServer is wrapped when a resolver address given in Options.Servers is unusable.
var ErrBadServer = errors.New("dnscheck: bad resolver address")

// serverAddr checks a resolver address and returns it as IP:port.
func serverAddr(s string) (string, error) {
	host, port := s, "53"
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	}
	if strings.TrimSpace(host) == "" {
		return "", fmt.Errorf("%w %q: no IP address (want IP or IP:PORT, e.g. 192.0.2.53:53)", ErrBadServer, s)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("%w %q: %q is not an IP address (want IP or IP:PORT; a host name would need DNS to find the DNS server)", ErrBadServer, s, host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("%w %q: port %q is not a number from 1 to 65535", ErrBadServer, s, port)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(p)), nil
}

// NewZoneResolver returns a Resolver that answers from z alone, with no network.
func NewZoneResolver(z *Zone) *Resolver {
	return newResolver(zoneSource{z})
}

func newResolver(src exchanger) *Resolver {
	return &Resolver{source: src, budget: DefaultTimeout * DefaultAttempts, cache: map[cacheKey]*list.Element{}, order: list.New(), byType: map[string]int64{}}
}

// Stats counts the queries a Resolver put on the wire (or asked its zone).
type Stats struct {
	Sent   int64            `json:"sent"`
	ByType map[string]int64 `json:"by_type"`
}

// Stats returns the query counts so far.
func (r *Resolver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	bt := make(map[string]int64, len(r.byType))
	for k, v := range r.byType {
		bt[k] = v
	}
	return Stats{Sent: r.sent.Load(), ByType: bt}
}

// Query asks one question and returns the whole response. Identical concurrent questions
// share one query, and answers are cached by their TTLs (at least a minute, failures 30
// seconds: see cacheLifetime). The error is set only
// when no response arrived (timeout, network failure, cancelled context); SERVFAIL and
// REFUSED are responses and come back in Answer.Rcode.
//
// The shared query does not belong to the caller that happened to start it: it runs
// under its own context, detached from that caller's cancellation and bounded by the
// Resolver's budget (Attempts × Timeout). Each caller waits only as long as its own
// context allows, so one caller's short deadline (one domain's --timeout in a bulk
// run) never fails another caller's question.
func (r *Resolver) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	key := cacheKey{strings.ToLower(dns.Fqdn(name)), qtype}
	if c, ok := r.fromCache(key); ok {
		return c.ans, c.err
	}
	if expired(ctx) {
		return nil, expiredError(ctx, key)
	}
	ch := r.flight.DoChan(fmt.Sprintf("%s/%d", key.name, key.qtype), func() (any, error) {
		// Another flight may have finished between the cache check above and here.
		if c, ok := r.fromCache(key); ok {
			return c, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.budget)
		defer cancel()
		ans, err := r.query(fctx, key.name, qtype)
		c := cached{ans, err, r.now().Add(cacheLifetime(ans, err))}
		r.mu.Lock()
		if e, ok := r.cache[key]; ok {
			r.order.Remove(e)
		}
		r.cache[key] = r.order.PushFront(cacheEntry{key, c})
		r.evict()
		r.mu.Unlock()
		return c, nil
	})
	select {
	case v := <-ch:
		c := v.Val.(cached)
		return c.ans, c.err
	case <-ctx.Done():
		return nil, expiredError(ctx, key)
	}
}

// SharesQueries reports that identical concurrent questions share one query and that
// answers are kept: a caller that asks the same question from several goroutines (spf's
// check_host() prefetch) needs no memo of its own, and a warm answer never waits on
// another goroutine.
func (r *Resolver) SharesQueries() bool { return true }

func (r *Resolver) fromCache(key cacheKey) (cached, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[key]
	if !ok {
		return cached{}, false
	}
	c := e.Value.(cacheEntry).cached
	if !r.now().Before(c.expires) {
		r.order.Remove(e)
		delete(r.cache, key)
		return cached{}, false
	}
	r.order.MoveToFront(e)
	return c, true
}

// expiredError is what a caller whose context ended before the answer gets.
func expiredError(ctx context.Context, key cacheKey) error {
	cause := ctx.Err()
	if cause == nil {
		cause = context.DeadlineExceeded // the deadline passed a moment before the timer fired
	}
	return fmt.Errorf("%w: %s %s: %w", ErrTimeout, key.name, dns.TypeToString[key.qtype], cause)
}

func (r *Resolver) query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.AuthenticatedData = true // RFC 6840 §5.7: the AD bit, for diagnostics
	// RFC 4035 §3.2.1: the DO bit asks for RRSIGs and denial proofs, which Validate
	// checks itself. The checks read only the records of the asked type (Final).
	m.SetEdns0(EDNSBufferSize, true)

	r.sent.Add(1)
	r.mu.Lock()
	r.byType[dns.TypeToString[qtype]]++
	r.mu.Unlock()

	resp, server, tcp, err := r.source.exchange(ctx, m)
	if err != nil {
		return nil, err
	}
	return &Answer{
		Name: name, Type: qtype, Rcode: resp.Rcode, Records: resp.Answer, Authority: resp.Ns,
		Authenticated: resp.AuthenticatedData, Server: server, TCP: tcp,
	}, nil
}

// network is the upstream source.
type network struct {
	servers  []string
	pools    []*udpPool // by server, in the order of servers
	timeout  time.Duration
	attempts int
}

// Close closes the sockets the Resolver keeps open between queries. Calling it is
// optional: a socket idle for 5 seconds is closed anyway. The Resolver stays usable;
// a query after Close opens a socket of its own and closes it after the answer.
func (r *Resolver) Close() error {
	if n, ok := r.source.(*network); ok {
		for _, p := range n.pools {
			p.close()
		}
	}
	return nil
}

// budget bounds one question across all its attempts.
func (n *network) budget() time.Duration { return n.timeout * time.Duration(n.attempts) }

// exchange asks the servers in turn. A new attempt goes to the next server when the
// previous one failed (no response, SERVFAIL, REFUSED) or has gone unanswered for
// n.timeout; an unanswered attempt keeps listening until the budget ends, so the
// first useful answer from any attempt wins. A slow resolver then answers within the
// budget, a dead one costs the budget and no more, and a lost packet is retried
// after n.timeout.
func (n *network) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, string, bool, error) {
	start := time.Now()
	qctx, cancel := context.WithTimeout(ctx, n.budget())
	defer cancel() // stops the attempts still listening
	type result struct {
		resp   *dns.Msg
		server string
		tcp    bool
		err    error
	}
	results := make(chan result, n.attempts) // buffered: no attempt blocks after we return
	launched, done := 0, 0
	launch := func() {
		pool := n.pools[launched%len(n.pools)]
		launched++
		go func() {
			resp, tcp, err := n.try(qctx, q, pool)
			results <- result{resp, pool.server, tcp, err}
		}()
	}
	launch()
	next := time.NewTimer(n.timeout)
	defer next.Stop()
	var last *result
	var lastErr error
wait:
	for done < launched {
		select {
		case res := <-results:
			done++
			if res.err == nil && res.resp.Rcode != dns.RcodeServerFailure && res.resp.Rcode != dns.RcodeRefused {
				return res.resp, res.server, res.tcp, nil
			}
			if res.err == nil {
				last = &res // another server may do better; keep this in case none does
			} else {
				lastErr = res.err
			}
			if launched < n.attempts && !expired(qctx) {
				launch()
				next.Reset(n.timeout)
			}
		case <-next.C:
			if launched < n.attempts {
				launch()
				next.Reset(n.timeout)
			}
		case <-qctx.Done():
			break wait
		}
	}
	if last != nil {
		return last.resp, last.server, last.tcp, nil
	}
	q0 := q.Question[0]
	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		return nil, "", false, fmt.Errorf("%w: %s %s: %w", ErrTimeout, q0.Name, dns.TypeToString[q0.Qtype], err)
	}
	if lastErr == nil || expired(qctx) {
		return nil, "", false, fmt.Errorf("%w: %s %s: no answer to %d attempts in %s", ErrTimeout,
			q0.Name, dns.TypeToString[q0.Qtype], launched, time.Since(start).Round(10*time.Millisecond))
	}
	// Every attempt failed at once: say why. A refused or closed connection is not a
	// timeout, and the classifier (internal/dnsfail) reports them apart.
	why := ErrTimeout
	switch dnsfail.Classify(lastErr) {
	case dnsfail.ConnRefused:
		why = ErrConnRefused
	case dnsfail.ConnClosed:
		why = ErrConnClosed
	}
	return nil, "", false, fmt.Errorf("%w: %s %s after %d attempts: %w", why,
		q0.Name, dns.TypeToString[q0.Qtype], launched, lastErr)
}

// expired reports a cancelled context or a passed deadline (a socket deadline can fire
// a moment before the context's own timer does).
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// try sends q to one server over UDP, and again over TCP if the answer is truncated,
// listening until ctx ends.
func (n *network) try(ctx context.Context, q *dns.Msg, pool *udpPool) (*dns.Msg, bool, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(n.budget())
	}
	if time.Until(deadline) <= 0 {
		return nil, false, context.DeadlineExceeded
	}
	resp, err := pool.exchange(ctx, q, deadline)
	if err != nil {
		return nil, false, err
	}
	if !resp.Truncated {
		return resp, false, nil
	}
	// RFC 7766 §5: a truncated UDP answer is asked again over TCP.
	m := q.Copy()
	m.Id = dns.Id()
	tcp := &dns.Client{Net: "tcp", Timeout: time.Until(deadline)}
	resp, _, err = tcp.ExchangeContext(ctx, m, pool.server)
	return resp, true, err
}

// zoneSource answers from a Zone.
type zoneSource struct{ z *Zone }

func (s zoneSource) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, string, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", false, err
	}
	return s.z.Answer(q), "zone", false, nil
}

// Offline reports whether the Resolver answers from a zone file rather than the network
// (so facts such as DNSSEC validation cannot be observed).
func (r *Resolver) Offline() bool {
	_, ok := r.source.(zoneSource)
	return ok
}

// Validated reports whether the upstream resolver validated name's answers with DNSSEC
// (the AD bit on its SOA answer, RFC 4035 §3.2.3). Only a validating resolver sets the
// bit, so false means "unsigned, or the resolver does not validate". The error is set
// when the lookup failed.
func (r *Resolver) Validated(ctx context.Context, name string) (bool, error) {
	ans, err := r.Query(ctx, name, dns.TypeSOA)
	if err != nil {
		return false, err
	}
	if ans.Rcode != dns.RcodeSuccess && ans.Rcode != dns.RcodeNameError {
		return false, fmt.Errorf("dnscheck: SOA %s: %s", name, ans.RcodeText())
	}
	return ans.Authenticated, nil
}
