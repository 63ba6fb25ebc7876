package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/sync/singleflight"
)

// EDNSBufferSize is the UDP payload size advertised in EDNS0: the DNS Flag Day 2020
// value, small enough to avoid IP fragmentation on any path.
const EDNSBufferSize = 1232

// Defaults for the network source.
const (
	DefaultTimeout  = 2 * time.Second // per attempt
	DefaultAttempts = 3               // tries in all, moving to the next server each time
)

// Answer is one DNS response, kept whole for diagnostics.
type Answer struct {
	// Name and Type are the question, Name as an FQDN in lower case.
	Name string
	Type uint16
	// Rcode is the response code (dns.RcodeSuccess, dns.RcodeNameError, ...).
	Rcode int
	// Records is the answer section: CNAMEs followed by the records they lead to.
	Records []dns.RR
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

// chase follows CNAME records in the answer from the question name. loop reports a
// chain that revisits a name or exceeds maxCNAMEChain.
func (a *Answer) chase() (target string, chain []string, loop bool) {
	target = a.Name
	if a.Type == dns.TypeCNAME {
		return target, nil, false
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
		if next == "" {
			return target, chain, false
		}
		if seen[next] || len(chain) >= maxCNAMEChain {
			return target, chain, true
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

	flight singleflight.Group
	mu     sync.Mutex
	cache  map[cacheKey]cached
	sent   atomic.Int64
	byType map[string]int64
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cached struct {
	ans *Answer
	err error
}

// Options configure a network Resolver.
type Options struct {
	// Servers are upstream recursive resolvers as host:port (port 53 if omitted).
	// Empty means the nameservers in /etc/resolv.conf.
	Servers []string
	// Timeout bounds each attempt; DefaultTimeout if zero.
	Timeout time.Duration
	// Attempts is the number of tries per question across servers; DefaultAttempts if zero.
	Attempts int
}

// New returns a Resolver that queries upstream servers over UDP, with EDNS0, retrying
// over TCP when an answer is truncated and moving to the next server on a timeout,
// SERVFAIL or REFUSED.
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
		hp, err := hostPort(s)
		if err != nil {
			return nil, err
		}
		norm[i] = hp
	}
	n := &network{servers: norm, timeout: opts.Timeout, attempts: opts.Attempts}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.attempts <= 0 {
		n.attempts = DefaultAttempts
	}
	return newResolver(n), nil
}

// NewZoneResolver returns a Resolver that answers from z alone, with no network.
func NewZoneResolver(z *Zone) *Resolver {
	return newResolver(zoneSource{z})
}

func newResolver(src exchanger) *Resolver {
	return &Resolver{source: src, cache: map[cacheKey]cached{}, byType: map[string]int64{}}
}

func hostPort(s string) (string, error) {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return s, nil
	}
	host := strings.Trim(s, "[]")
	if host == "" || strings.ContainsAny(host, " /") {
		return "", fmt.Errorf("dnscheck: bad resolver address %q (want HOST or HOST:PORT)", s)
	}
	return net.JoinHostPort(host, "53"), nil
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
// share one query, and answers are cached for the Resolver's life. The error is set only
// when no response arrived (timeout, network failure, cancelled context); SERVFAIL and
// REFUSED are responses and come back in Answer.Rcode.
func (r *Resolver) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	key := cacheKey{strings.ToLower(dns.Fqdn(name)), qtype}
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return c.ans, c.err
	}
	v, err, _ := r.flight.Do(fmt.Sprintf("%s/%d", key.name, key.qtype), func() (any, error) {
		// Another flight may have finished between the cache check above and here.
		r.mu.Lock()
		c, ok := r.cache[key]
		r.mu.Unlock()
		if ok {
			return c.ans, c.err
		}
		ans, err := r.query(ctx, key.name, qtype)
		// A cancelled caller says nothing about the name: do not remember it.
		if ctx.Err() == nil {
			r.mu.Lock()
			r.cache[key] = cached{ans, err}
			r.mu.Unlock()
		}
		return ans, err
	})
	ans, _ := v.(*Answer)
	return ans, err
}

func (r *Resolver) query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = true
	m.AuthenticatedData = true // RFC 6840 §5.7: ask for the AD bit without DO
	m.SetEdns0(EDNSBufferSize, false)

	r.sent.Add(1)
	r.mu.Lock()
	r.byType[dns.TypeToString[qtype]]++
	r.mu.Unlock()

	resp, server, tcp, err := r.source.exchange(ctx, m)
	if err != nil {
		return nil, err
	}
	return &Answer{
		Name: name, Type: qtype, Rcode: resp.Rcode, Records: resp.Answer,
		Authenticated: resp.AuthenticatedData, Server: server, TCP: tcp,
	}, nil
}

// ErrTimeout is wrapped when no server answered in time.
var ErrTimeout = errors.New("dnscheck: no answer from any server in time")

// network is the upstream source.
type network struct {
	servers  []string
	timeout  time.Duration
	attempts int
}

func (n *network) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, string, bool, error) {
	var last *dns.Msg
	var lastServer string
	var lastTCP bool
	var lastErr error
	for i := 0; i < n.attempts; i++ {
		if expired(ctx) {
			break
		}
		server := n.servers[i%len(n.servers)]
		resp, tcp, err := n.try(ctx, q, server)
		if err != nil {
			lastErr = err
			continue
		}
		last, lastServer, lastTCP = resp, server, tcp
		if resp.Rcode == dns.RcodeServerFailure || resp.Rcode == dns.RcodeRefused {
			continue // another server may do better
		}
		return resp, server, tcp, nil
	}
	if last != nil {
		return last, lastServer, lastTCP, nil
	}
	q0 := q.Question[0]
	if expired(ctx) {
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return nil, "", false, fmt.Errorf("%w: %s %s: %w", ErrTimeout, q0.Name, dns.TypeToString[q0.Qtype], cause)
	}
	return nil, "", false, fmt.Errorf("%w: %s %s after %d attempts: %v", ErrTimeout,
		q0.Name, dns.TypeToString[q0.Qtype], n.attempts, lastErr)
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

// try sends q to one server over UDP, and again over TCP if the answer is truncated.
func (n *network) try(ctx context.Context, q *dns.Msg, server string) (*dns.Msg, bool, error) {
	actx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	udp := &dns.Client{Net: "udp", UDPSize: EDNSBufferSize, Timeout: n.timeout}
	resp, _, err := udp.ExchangeContext(actx, q.Copy(), server)
	if err != nil {
		return nil, false, err
	}
	if !resp.Truncated {
		return resp, false, nil
	}
	tcp := &dns.Client{Net: "tcp", Timeout: n.timeout}
	resp, _, err = tcp.ExchangeContext(actx, q.Copy(), server)
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
