package spf

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
)

// Prefetching. check_host() is defined as a sequential walk (RFC 7208 §4.6): a term's
// lookup starts only when the evaluation reaches it, so a tree three includes deep costs
// one round trip per DNS-querying term. Most of those names are literal, though
// (include:_spf.provider.example), and known as soon as the record naming them arrives.
// The prefetcher fetches them concurrently, as the audit does, into a memo; the
// evaluation itself is unchanged and reads its answers from the memo, waiting where one
// is still in flight. The result, explanation, trace and lookup and void counts are
// therefore those of the sequential evaluation (given the same DNS answers), and the
// wall time approaches the tree's critical path instead of the sum of its lookups.
//
// What is fetched ahead, and what is not:
//   - only literal domain-specs (no "%" macro) of include, redirect, a and mx, and the
//     address lookups of an mx's hosts: a macro may depend on the sender, the IP or
//     %{p}, and is expanded only when the evaluation reaches it; ptr, exists and exp=
//     are never fetched ahead;
//   - only terms whose position in evaluation order, as far as the tree is known, is
//     within the limit of 10 DNS-querying terms, and at most 10 such terms in all;
//   - nothing after a point where the evaluation is known to stop: a record that is
//     missing, duplicated or malformed, a failed lookup, a third void lookup, a redirect
//     beside an "all".
//
// The one speculation is the order: a term after a pending include is fetched before
// that include's record is known, and the evaluation may then stop earlier (a match, an
// error inside the include, the limit reached in it). That costs at most the queries of
// 10 terms, the bound RFC 7208 §4.6.4 sets on the evaluation itself.

// WithSequential evaluates term by term, starting each lookup only when the evaluation
// reaches it, with no lookups ahead: the reference that the prefetching evaluation is
// tested against, and the choice when every query costs (a metered resolver).
func WithSequential() Option { return func(c *config) { c.sequential = true } }

// memo answers each distinct question once per evaluation, sharing lookups the
// prefetcher started with the evaluation that reads them.
type memo struct {
	r       Resolver
	mu      sync.Mutex
	entries map[memoKey]*memoEntry
}

type memoKey struct {
	kind byte // 't' TXT, 'm' MX, '4' / '6' / 'i' addresses by network, 'p' PTR
	name string
}

type memoEntry struct {
	done  chan struct{}
	txt   []string
	mx    []*net.MX
	addrs []netip.Addr
	names []string
	err   error
}

func newMemo(r Resolver) *memo { return &memo{r: r, entries: map[memoKey]*memoEntry{}} }

// get returns the entry for key, running fetch (once) when it is new.
func (m *memo) get(key memoKey, fetch func(*memoEntry)) *memoEntry {
	key.name = strings.ToLower(key.name)
	m.mu.Lock()
	e, ok := m.entries[key]
	if !ok {
		e = &memoEntry{done: make(chan struct{})}
		m.entries[key] = e
	}
	m.mu.Unlock()
	if !ok {
		fetch(e)
		close(e.done)
	}
	<-e.done
	return e
}

func (m *memo) LookupTXT(ctx context.Context, name string) ([]string, error) {
	e := m.get(memoKey{'t', name}, func(e *memoEntry) { e.txt, e.err = m.r.LookupTXT(ctx, name) })
	return e.txt, e.err
}

func (m *memo) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	e := m.get(memoKey{'m', name}, func(e *memoEntry) { e.mx, e.err = m.r.LookupMX(ctx, name) })
	return e.mx, e.err
}

func (m *memo) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	kind := byte('i')
	switch network {
	case "ip4":
		kind = '4'
	case "ip6":
		kind = '6'
	}
	e := m.get(memoKey{kind, host}, func(e *memoEntry) { e.addrs, e.err = m.r.LookupNetIP(ctx, network, host) })
	return e.addrs, e.err
}

func (m *memo) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	e := m.get(memoKey{'p', addr}, func(e *memoEntry) { e.names, e.err = m.r.LookupAddr(ctx, addr) })
	return e.names, e.err
}

// sharingResolver is implemented by a resolver that already does what memo does
// (dnscheck.Resolver): identical concurrent questions share one query, answers are kept.
type sharingResolver interface{ SharesQueries() bool }

// prefetcher walks the known part of the record tree in evaluation order and starts
// the lookups the evaluation will (probably) need, each as soon as its name is known.
type prefetcher struct {
	ctx     context.Context
	m       Resolver // the memo, or the resolver itself when it shares queries
	network string   // "ip4" or "ip6": what a and mx hosts are asked for

	mu       sync.Mutex
	root     *pnode
	launched int  // DNS-querying terms fetched ahead, at most MaxLookups
	closed   bool // the evaluation is over: start nothing more
}

// pnode is one record of the tree, fetched or pending.
type pnode struct {
	domain string
	state  int // pending, ready or dead (the evaluation stops here)
	rec    *Record
	terms  map[int]*pterm // by index in rec.Terms
}

const (
	pending = iota
	ready
	dead
)

// pterm is a DNS-querying term that was fetched ahead.
type pterm struct {
	child *pnode // include and redirect
	voids int    // void lookups seen so far (a, mx and its hosts)
	stop  bool   // the lookup failed or broke a limit: the evaluation stops here
}

// startPrefetch starts fetching domain's tree; stop ends it once the evaluation is done.
func startPrefetch(ctx context.Context, r Resolver, ip netip.Addr, domain string) (Resolver, func()) {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetcher{ctx: ctx, m: r, network: "ip6"}
	if s, ok := r.(sharingResolver); !ok || !s.SharesQueries() {
		p.m = newMemo(r)
	}
	if ip.Is4() {
		p.network = "ip4"
	}
	p.mu.Lock()
	p.root = p.record(domain)
	p.mu.Unlock()
	return p.m, func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		cancel()
	}
}

// record returns the node for domain and starts fetching its record; a name the
// evaluation would not look up (RFC 7208 §4.3) is a dead end. Called with p.mu held.
func (p *prefetcher) record(domain string) *pnode {
	n := &pnode{domain: domain, terms: map[int]*pterm{}}
	if validDomain(domain) != nil {
		n.state = dead
		return n
	}
	domain = strings.TrimSuffix(domain, ".")
	n.domain = domain
	go func() {
		txts, err := p.m.LookupTXT(p.ctx, domain)
		var rec *Record
		if err == nil {
			var recs []string
			for _, t := range txts {
				if IsSPF(t) {
					recs = append(recs, t)
				}
			}
			if len(recs) == 1 {
				rec = parseCached(recs[0]).rec
			}
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		// Not found, no record, two records or a syntax error: the evaluation ends
		// at this record (none, permerror or temperror).
		if rec == nil {
			n.state = dead
		} else {
			n.rec, n.state = rec, ready
		}
		p.walk()
	}()
	return n
}

// walk goes over the known tree in evaluation order, counting DNS-querying terms as
// check_host() does, and starts the fetches not yet started. Positions are lower bounds
// (a pending include may hold more terms), so the walk only ever stops earlier as the
// tree fills in. Called with p.mu held.
func (p *prefetcher) walk() {
	if p.closed {
		return
	}
	pos, voids := 0, 0
	var visit func(n *pnode) bool
	visit = func(n *pnode) bool {
		switch n.state {
		case pending:
			return true // unknown yet: the terms after it may still be reached
		case dead:
			return false
		}
		env := &macroEnv{domain: n.domain}
		for i, t := range n.rec.Terms {
			if t.IsModifier() || !t.Mechanism.Lookups() {
				continue
			}
			// RFC 7208 §4.6.4: the 11th DNS-querying term is a permerror.
			if pos++; pos > MaxLookups {
				return false
			}
			pt := n.terms[i]
			if pt == nil {
				pt = p.start(env, t)
				if pt == nil {
					continue // a macro, or the budget spent: wait for the evaluation
				}
				n.terms[i] = pt
			}
			if pt.stop {
				return false
			}
			if voids += pt.voids; voids > MaxVoidLookups {
				return false
			}
			if pt.child != nil && !visit(pt.child) {
				return false
			}
		}
		// RFC 7208 §6.1: redirect is followed only when nothing matched and there is
		// no "all".
		red, ok := n.rec.Modifier(ModRedirect)
		if !ok || n.rec.HasAll() {
			return true
		}
		if pos++; pos > MaxLookups {
			return false
		}
		pt := n.terms[-1]
		if pt == nil {
			if pt = p.start(env, Term{Mechanism: MechInclude, Domain: red.Domain}); pt == nil {
				return true
			}
			n.terms[-1] = pt
		}
		return pt.child == nil || visit(pt.child)
	}
	visit(p.root)
}

// start fetches one term's lookups ahead, or returns nil when it must wait for the
// evaluation (a macro) or the budget of MaxLookups terms is spent.
func (p *prefetcher) start(env *macroEnv, t Term) *pterm {
	if strings.IndexByte(t.Domain, '%') >= 0 || p.launched >= MaxLookups {
		return nil
	}
	switch t.Mechanism {
	case MechInclude, MechA, MechMX:
	default:
		return nil // ptr and exists: the client's IP or a macro decides what is asked
	}
	target := env.domain
	if t.Domain != "" {
		target = escapeName(truncateDomain(t.Domain))
	}
	p.launched++
	pt := &pterm{}
	switch t.Mechanism {
	case MechInclude:
		pt.child = p.record(target)
		return pt
	}
	if validTarget(target) != nil {
		return pt // the evaluation does not query it: no match
	}
	done := func(void int, stop bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		pt.voids += void
		pt.stop = pt.stop || stop
		p.walk()
	}
	if t.Mechanism == MechA {
		go func() {
			_, err := p.m.LookupNetIP(p.ctx, p.network, target)
			done(lookupOutcome(err))
		}()
		return pt
	}
	go func() {
		mxs, err := p.m.LookupMX(p.ctx, target)
		if err != nil {
			done(lookupOutcome(err))
			return
		}
		var hosts []string
		for _, mx := range mxs {
			if h := strings.TrimSuffix(mx.Host, "."); h != "" {
				hosts = append(hosts, h)
			}
		}
		if len(hosts) > MaxNames {
			done(0, true) // a permerror
			return
		}
		var wg sync.WaitGroup
		for _, h := range hosts {
			wg.Go(func() {
				_, err := p.m.LookupNetIP(p.ctx, p.network, h)
				done(lookupOutcome(err))
			})
		}
		wg.Wait()
	}()
	return pt
}

// lookupOutcome classifies a lookup as the evaluation will: a void lookup, or a failure
// that ends the evaluation.
func lookupOutcome(err error) (void int, stop bool) {
	switch {
	case err == nil:
		return 0, false
	case isNotFound(err):
		return 1, false
	}
	return 0, true
}
