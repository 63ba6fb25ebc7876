package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// Audit limits: a tree wider or deeper than this is cut short (and says so), so a
// hostile record cannot make the audit fetch without end.
const (
	maxAuditNodes = 200
	// maxAuditTermLookups bounds the a, mx and exists terms whose DNS the audit
	// checks (for void lookups); beyond it terms are only counted.
	maxAuditTermLookups = 100
	// RecordSizeWarning is the record length past which a TXT answer nears the
	// 512-byte UDP limit of resolvers without EDNS0 (RFC 7208 §3.4).
	RecordSizeWarning = 450
)

// ErrBadDomain is returned when the domain to audit is not a usable domain name.
var ErrBadDomain = errors.New("spf: not a valid domain name")

// Report is the result of auditing a domain's SPF policy without a client IP.
type Report struct {
	// Domain is the audited domain.
	Domain string `json:"domain"`
	// Record is the domain's SPF record text ("" when there is none).
	Record string `json:"record,omitempty"`
	// Tree is the include/redirect tree, rooted at Domain.
	Tree *Node `json:"tree"`
	// Lookups is the number of DNS-querying terms a receiver would evaluate when
	// nothing matches, counted past the limit of 10.
	Lookups int `json:"dns_lookups"`
	// VoidLookups is the number of those lookups that come back empty for an IPv4
	// sender; VoidLookupsIPv6 for an IPv6 sender (a and mx hosts without AAAA).
	VoidLookups     int `json:"void_lookups"`
	VoidLookupsIPv6 int `json:"void_lookups_ipv6"`
	// SelfTests are check_host() results for the IPs given with WithSelfTest.
	SelfTests []SelfTest `json:"self_tests,omitempty"`
	// Findings are the diagnostics, most serious first.
	// Left out of JSON: a report carries them once, at the check level.
	Findings []Finding `json:"-"`
}

// SelfTest is one check_host() evaluation of the audit's self-test.
type SelfTest struct {
	IP      netip.Addr `json:"ip"`
	Outcome *Outcome   `json:"outcome"`
}

// Node is one record in the include/redirect tree.
type Node struct {
	// Domain is the name whose record this is.
	Domain string `json:"domain"`
	// Via is how the parent reached it: "include" or "redirect" ("" for the root).
	Via string `json:"via,omitempty"`
	// Record is the SPF record text.
	Record string `json:"record,omitempty"`
	// Records holds every SPF record at Domain when there is more than one
	// (RFC 7208 §4.5: permerror); Record is then empty.
	Records []string `json:"records,omitempty"`
	// Problem says why the record could not be used (missing, several, syntax, DNS
	// error, loop); empty when it is fine.
	Problem string `json:"problem,omitempty"`
	// Cost is the number of DNS-querying terms in this record that a receiver
	// evaluates (include, a, mx, ptr, exists, and redirect when it applies).
	Cost int `json:"cost"`
	// Cumulative is the running total of DNS-querying terms once this node and
	// everything below it has been evaluated, in the receiver's order.
	Cumulative int `json:"cumulative"`
	// VoidLookups counts this record's terms whose lookup comes back empty (IPv4
	// sender); Void names them.
	VoidLookups int      `json:"void_lookups"`
	Void        []string `json:"void,omitempty"`
	// Stop marks the node where a receiver stops with permerror: the 11th
	// DNS-querying term (StopTerm) is here.
	Stop     bool   `json:"stop,omitempty"`
	StopTerm string `json:"stop_term,omitempty"`
	// Loop marks an include or redirect back to a domain already on the path.
	Loop bool `json:"loop,omitempty"`
	// Children are the included and redirected-to records, in evaluation order.
	Children []*Node `json:"children,omitempty"`
	// NotFetched counts this record's includes and redirect that the audit did not
	// fetch, past its limit of 200 records; they are left out of Children.
	NotFetched int `json:"not_fetched,omitempty"`

	parsed  *Record
	problem Code  // finding code for Problem
	dnsErr  error // the failed TXT lookup of Domain, for spf.dns-error
	syntax  *SyntaxError
	facts   map[int]*termFact // by term index
	depth   int
	path    []string // the ancestors' domains, lower-case
	// near is a TXT record that is not read as SPF but is one after Suggest's
	// corrections (v=spf1.0 ..., "v=spf1 ..." with the quotes published).
	near string
}

// termFact is what the audit learned from DNS about one a, mx or exists term.
type termFact struct {
	name string
	// void4 and void6 list the names whose lookups come back empty for an IPv4
	// and an IPv6 sender: the term's own name, or MX hosts without addresses.
	void4, void6 []string
	mxHosts      int
	// err is the first failed lookup, of errType at errName: the term's result is
	// then unknown and its void count is not taken.
	err              error
	errName, errType string
}

// Check explains domain's SPF policy without a client IP: the whole include/redirect
// tree fetched concurrently, lookup and void counts, and findings. Its error is set
// only when domain is not a domain name; DNS trouble becomes findings.
func Check(ctx context.Context, r Resolver, domain string, opts ...Option) (*Report, error) {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	domain = strings.TrimSuffix(strings.TrimSpace(domain), ".")
	if err := validDomain(domain); err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadDomain, domain, err)
	}
	a := &auditor{r: r}
	root := &Node{Domain: domain}
	// The type 99 lookup depends on nothing in the tree: it runs beside the fetch
	// rather than one round trip after it.
	var type99 []string
	type99Done := make(chan struct{})
	go func() {
		defer close(type99Done)
		if cfg.type99 != nil {
			if recs, err := cfg.type99(ctx, domain); err == nil {
				type99 = recs
			}
		}
	}()
	a.fetchTree(ctx, root)

	rep := &Report{Domain: domain, Tree: root, Record: root.Record}
	var counter, voids4, voids6 int
	a.walk(root, &counter, &voids4, &voids6)
	rep.Lookups, rep.VoidLookups, rep.VoidLookupsIPv6 = counter, voids4, voids6
	<-type99Done
	if root.problem == CodeMissing && root.near == "" {
		a.missingFix = a.missing(ctx, domain, &cfg, type99)
	}
	rep.Findings = a.findings(rep)
	if len(a.cut) > 0 {
		prune(root)
	}
	if len(type99) > 0 {
		f := Finding{
			Code: CodeType99, Severity: finding.Warning,
			Message: fmt.Sprintf("%s publishes an RR type 99 (SPF) record, which RFC 7208 retired: receivers only read TXT.", domain),
			Fix:     "Delete the type 99 SPF record and keep the TXT record.",
			Ref:     "RFC 7208 §3.1", Evidence: &finding.Evidence{Name: domain, Type: "SPF", Records: type99},
		}
		if root.Record == "" {
			f.Fix = "Delete the type 99 SPF record once the TXT record is published."
		}
		for _, r := range type99 {
			f.FixRecords = append(f.FixRecords, finding.FixRecord{Action: finding.Delete, Name: domain, Type: "SPF", Replaces: r})
		}
		rep.Findings = append(rep.Findings, f)
	}
	for _, ip := range cfg.selfTest {
		sender := cfg.sender
		if sender == "" {
			sender = "postmaster@" + domain
		}
		out := CheckHost(ctx, r, ip, domain, sender, opts...)
		rep.SelfTests = append(rep.SelfTests, SelfTest{IP: ip.Unmap(), Outcome: out})
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		return rep.Findings[i].Severity.Rank() > rep.Findings[j].Severity.Rank()
	})
	return rep, nil
}

// WithSelfTest makes Check also run check_host() for each sending IP.
func WithSelfTest(ips ...netip.Addr) Option {
	return func(c *config) { c.selfTest = append(c.selfTest, ips...) }
}

// WithSender sets the MAIL FROM address used by the audit's self-test
// (postmaster@domain by default).
func WithSender(addr string) Option { return func(c *config) { c.sender = addr } }

// WithType99Lookup gives Check a way to query RR type 99 (SPF) records, which the
// Resolver interface cannot express; without it the type99 check is skipped.
func WithType99Lookup(fn func(ctx context.Context, name string) ([]string, error)) Option {
	return func(c *config) { c.type99 = fn }
}

type auditor struct {
	r Resolver
	// missingFix is the spf.missing finding's fix, worked out before findings.
	missingFix *missingFix
	wg         sync.WaitGroup
	// fetched counts the records fetched, terms the a, mx and exists terms looked up;
	// both are only touched between levels, by one goroutine.
	fetched, terms int
	// cut are the records left unfetched past maxAuditNodes, in breadth-first order.
	cut []*Node
}

// fetchTree fetches the include/redirect tree one level at a time: every record of a
// level is looked up concurrently, so a tree D levels deep takes about D+1 round trips.
// Which records the maxAuditNodes and maxAuditTermLookups budgets reach is decided
// between levels, in breadth-first order (a level's records left to right), never by
// which answer came first: the same DNS gives the same tree, counts and findings.
func (a *auditor) fetchTree(ctx context.Context, root *Node) {
	level := []*Node{root}
	for len(level) > 0 {
		var wg sync.WaitGroup
		var fetch []*Node
		for _, n := range level {
			if a.fetched >= maxAuditNodes {
				n.Problem, n.problem = "not fetched: audit limit", CodeLookupLimit
				a.cut = append(a.cut, n)
				continue
			}
			a.fetched++
			fetch = append(fetch, n)
			wg.Add(1)
			go func() { defer wg.Done(); a.fetch(ctx, n) }()
		}
		wg.Wait()
		var next []*Node
		for _, n := range fetch {
			next = append(next, a.expand(ctx, n)...)
		}
		level = next
	}
	a.wg.Wait() // the term lookups
}

// fetch looks up n's TXT records and parses its SPF record.
func (a *auditor) fetch(ctx context.Context, n *Node) {
	txts, err := a.r.LookupTXT(ctx, n.Domain)
	if err != nil && !isNotFound(err) {
		// RFC 7208 §4.4: a failed lookup is temperror, not "no record": an include
		// target that does not answer is never spf.include-missing.
		n.Problem, n.problem, n.dnsErr = fmt.Sprintf("DNS error looking up TXT %s: %v", n.Domain, err), CodeDNSError, err
		return
	}
	var recs []string
	for _, t := range txts {
		if IsSPF(t) {
			recs = append(recs, t)
		}
	}
	switch {
	case len(recs) == 0:
		n.Problem, n.problem = "no SPF record", CodeMissing
		for _, t := range txts {
			if fixed, changes := Suggest(t); len(changes) > 0 && IsSPF(fixed) {
				n.near = t
				break
			}
		}
		return
	case len(recs) > 1:
		n.Problem, n.problem, n.Records = fmt.Sprintf("%d SPF records", len(recs)), CodeMultipleRecords, recs
		return
	}
	n.Record = recs[0]
	rec, err := Parse(n.Record)
	if err != nil {
		n.Problem, n.problem = err.Error(), CodeSyntax
		errors.As(err, &n.syntax)
		if n.syntax != nil && n.syntax.IPLiteral {
			n.problem = CodeIPInDomainSpec
		}
		return
	}
	n.parsed = rec
}

// expand adds a fetched record's include and redirect children (a loop back up the
// path is marked, not fetched), starts the lookups of its a, mx and exists terms in
// the background, and returns the children to fetch next.
func (a *auditor) expand(ctx context.Context, n *Node) []*Node {
	rec := n.parsed
	if rec == nil {
		return nil
	}
	n.facts = map[int]*termFact{}
	here := append(append([]string(nil), n.path...), strings.ToLower(n.Domain))
	var next []*Node
	child := func(target, via string) {
		c := &Node{Domain: target, Via: via, depth: n.depth + 1, path: here}
		n.Children = append(n.Children, c)
		for _, p := range here {
			if p == strings.ToLower(target) {
				c.Loop, c.Problem, c.problem = true, "loops back to "+target, CodeLoop
				return
			}
		}
		next = append(next, c)
	}
	for i, t := range rec.Terms {
		if t.Mechanism == MechAll {
			break // RFC 7208 §5.1: nothing after all is evaluated
		}
		if t.IsModifier() || !t.Mechanism.Lookups() {
			continue
		}
		target := n.Domain
		if t.Domain != "" {
			if hasMacro(t.Domain) {
				continue // depends on the sender: reported as spf.macro
			}
			target = strings.TrimSuffix(t.Domain, ".")
		}
		switch t.Mechanism {
		case MechInclude:
			child(target, "include")
		case MechA, MechMX, MechExists:
			if a.terms >= maxAuditTermLookups {
				continue
			}
			a.terms++
			f := &termFact{name: target}
			n.facts[i] = f
			a.wg.Add(1)
			go a.lookupTerm(ctx, t.Mechanism, f)
		}
	}
	if red, ok := rec.Modifier(ModRedirect); ok && !rec.HasAll() && !hasMacro(red.Domain) {
		child(strings.TrimSuffix(red.Domain, "."), "redirect")
	}
	return next
}

// lookupTerm learns whether an a, mx or exists term's lookups come back empty.
func (a *auditor) lookupTerm(ctx context.Context, m Mechanism, f *termFact) {
	defer a.wg.Done()
	if err := validTarget(f.name); err != nil {
		f.void4, f.void6 = []string{f.name}, []string{f.name}
		return
	}
	// addrs looks up one host's A and AAAA concurrently and notes empty answers.
	var mu sync.Mutex
	fail := func(name, qtype string, err error) {
		mu.Lock()
		defer mu.Unlock()
		if f.err == nil {
			f.err, f.errName, f.errType = err, name, qtype
		}
	}
	addrs := func(host string, both bool) {
		var wg sync.WaitGroup
		for i, network := range []string{"ip4", "ip6"} {
			if i == 1 && !both {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := a.r.LookupNetIP(ctx, network, host)
				if err != nil && !isNotFound(err) {
					fail(host, map[string]string{"ip4": "A", "ip6": "AAAA"}[network], err)
					return
				}
				if len(got) == 0 {
					mu.Lock()
					if network == "ip4" {
						f.void4 = append(f.void4, host)
						if !both { // exists: an A query whatever the sender
							f.void6 = append(f.void6, host)
						}
					} else {
						f.void6 = append(f.void6, host)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	switch m {
	case MechA:
		addrs(f.name, true)
	case MechExists:
		addrs(f.name, false)
	case MechMX:
		var hosts []string
		mxs, lerr := a.r.LookupMX(ctx, f.name)
		switch {
		case lerr == nil:
			for _, h := range mxs {
				if h.Host != "." {
					hosts = append(hosts, strings.TrimSuffix(h.Host, "."))
				}
			}
		case isNotFound(lerr):
			f.void4, f.void6 = []string{f.name}, []string{f.name}
		default:
			fail(f.name, "MX", lerr)
		}
		f.mxHosts = len(hosts)
		if len(hosts) <= MaxNames {
			var wg sync.WaitGroup
			for _, h := range hosts {
				wg.Add(1)
				go func() { defer wg.Done(); addrs(h, true) }()
			}
			wg.Wait()
			sort.Strings(f.void4)
			sort.Strings(f.void6)
		}
	}
}

func hasMacro(s string) bool { return strings.Contains(s, "%{") }

// walk counts lookups in the receiver's order (terms left to right, includes entered
// where they stand, redirect last), as if nothing matched: the worst case, and the
// path every non-matching IP takes.
func (a *auditor) walk(n *Node, counter, voids4, voids6 *int) {
	if n.parsed == nil {
		n.Cumulative = *counter
		return
	}
	charge := func(t Term) {
		n.Cost++
		*counter++
		if *counter == MaxLookups+1 {
			n.Stop, n.StopTerm = true, t.String()
		}
	}
	children := n.Children
	next := func() *Node {
		c := children[0]
		children = children[1:]
		return c
	}
	for i, t := range n.parsed.Terms {
		if t.Mechanism == MechAll {
			break
		}
		if t.IsModifier() || !t.Mechanism.Lookups() {
			continue
		}
		charge(t)
		if t.Mechanism == MechInclude && !hasMacro(t.Domain) {
			a.walk(next(), counter, voids4, voids6)
		}
		if f := n.facts[i]; f != nil && f.err == nil {
			n.VoidLookups += len(f.void4)
			n.Void = append(n.Void, f.void4...)
			*voids4 += len(f.void4)
			*voids6 += len(f.void6)
		}
	}
	if red, ok := n.parsed.Modifier(ModRedirect); ok && !n.parsed.HasAll() {
		charge(red)
		n.Cumulative = *counter
		if !hasMacro(red.Domain) {
			a.walk(next(), counter, voids4, voids6)
		}
		return
	}
	n.Cumulative = *counter
}

// prune drops the records the audit did not fetch from the tree, counting them on
// their parent, so a huge tree costs its fetched part, not thousands of empty nodes.
func prune(n *Node) {
	kept := n.Children[:0]
	for _, c := range n.Children {
		if c.problem == CodeLookupLimit {
			n.NotFetched++
			continue
		}
		prune(c)
		kept = append(kept, c)
	}
	n.Children = kept
	if len(kept) == 0 {
		n.Children = nil
	}
}

// visit calls fn for every node, depth first.
func visit(n *Node, fn func(*Node)) {
	fn(n)
	for _, c := range n.Children {
		visit(c, fn)
	}
}

func (a *auditor) findings(rep *Report) []Finding {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }
	root := rep.Tree
	topChain := map[*Node]bool{} // the root and its redirect targets: their all decides
	for n := root; n != nil; {
		topChain[n] = true
		var next *Node
		for _, c := range n.Children {
			if c.Via == "redirect" {
				next = c
			}
		}
		n = next
	}
	parent := map[*Node]*Node{}
	visit(root, func(n *Node) {
		for _, c := range n.Children {
			parent[c] = n
		}
	})
	visit(root, func(n *Node) {
		ev := &finding.Evidence{Name: n.Domain, Type: "TXT"}
		if n.Record != "" {
			ev.Records = []string{n.Record}
		}
		// Fixes as records only for the records the domain's owner can change.
		mine := owned(n.Domain, rep.Domain)
		var corr *correction
		if n.Record != "" {
			corr = correct(n, topChain[n])
		}
		addN := func(f Finding) {
			if corr != nil && correctable[f.Code] {
				if mine {
					f.FixRecords = replaceRecord(n.Domain, n.Record, corr.record)
					f.Fix = strings.TrimSpace(f.Fix + " Replace the record with: " + corr.record)
				} else {
					f.Fix = strings.TrimSpace(f.Fix + fmt.Sprintf(" The record is published by %s, not by %s: ask its operator to correct it to: %s", n.Domain, rep.Domain, corr.record))
				}
			}
			add(f)
		}
		switch n.problem {
		case CodeMissing:
			if n == root {
				f := Finding{Code: CodeMissing, Severity: finding.Error,
					Message: fmt.Sprintf("%s has no SPF record, so receivers cannot tell which servers may send its mail.", n.Domain),
					Ref:     "RFC 7208 §4.5", Evidence: ev}
				if n.near != "" {
					fixed, changes := Suggest(n.near)
					c := &correction{record: fixed, changes: changes}
					ev.Records = []string{n.near}
					f.Message = fmt.Sprintf("%s has no SPF record: receivers do not read its TXT record %q as one, because of a typo: %s.", n.Domain, n.near, c.describe())
					f.Fix = "Replace the TXT record with: " + fixed
					f.FixRecords = replaceRecord(n.Domain, n.near, fixed)
				} else if m := a.missingFix; m != nil {
					f.Fix, f.FixRecords = m.fix, m.records
					ev.Detail = m.detail
				}
				add(f)
			} else {
				term := "include:" + n.Domain
				if n.Via == "redirect" {
					term = "redirect=" + n.Domain
				}
				f := Finding{Code: CodeIncludeMissing, Severity: finding.Error,
					Message: fmt.Sprintf("The %s target %s has no SPF record: receivers return permerror.", n.Via, n.Domain),
					Fix:     fmt.Sprintf("Correct the name in %s, or publish an SPF record at %s; remove %s only if that service no longer sends your mail.", term, n.Domain, term),
					Ref:     "RFC 7208 §5.2, §6.1", Evidence: ev}
				if n.near != "" {
					fixed, changes := Suggest(n.near)
					c := &correction{record: fixed, changes: changes}
					ev.Records = []string{n.near}
					f.Message = fmt.Sprintf("The %s target %s has no SPF record: receivers do not read its TXT record %q as one, because of a typo: %s; they return permerror.", n.Via, n.Domain, n.near, c.describe())
					if mine {
						f.Fix = fmt.Sprintf("Replace the TXT record at %s with: %s", n.Domain, fixed)
						f.FixRecords = replaceRecord(n.Domain, n.near, fixed)
					} else {
						f.Fix = fmt.Sprintf("The record is published by %s, not by %s: ask its operator to correct it to: %s", n.Domain, rep.Domain, fixed)
					}
				}
				add(f)
			}
		case CodeMultipleRecords:
			ev.Records = n.Records
			f := Finding{Code: CodeMultipleRecords, Severity: finding.Error,
				Message: fmt.Sprintf("%s publishes %d SPF records; receivers return permerror.", n.Domain, len(n.Records)),
				Fix:     "Merge them into one TXT record starting with v=spf1.", Ref: "RFC 7208 §4.5", Evidence: ev}
			if merged := merge(n.Records); merged != "" {
				f.Fix = "Merge them into one TXT record: " + merged
				if mine {
					f.FixRecords = mergeRecords(n.Domain, n.Records, merged)
				}
			}
			add(f)
		case CodeSyntax, CodeIPInDomainSpec:
			f := Finding{Code: n.problem, Severity: finding.Error, Ref: "RFC 7208 §4.6, §12", Evidence: ev,
				Message: fmt.Sprintf("The SPF record of %s is invalid (%s); receivers return permerror.", n.Domain, n.Problem)}
			if n.syntax != nil {
				ev.Detail = fmt.Sprintf("term %q at offset %d", n.syntax.Term, n.syntax.Offset)
				f.Message = fmt.Sprintf("The SPF record of %s has an invalid term %q at offset %d: %s; receivers return permerror.",
					n.Domain, n.syntax.Term, n.syntax.Offset, n.syntax.Reason)
			}
			if corr != nil {
				f.Message = strings.TrimSuffix(f.Message, ".") + fmt.Sprintf(". It looks like a typo: %s.", corr.describe())
			} else {
				f.Fix = "Correct the term so the record follows the RFC 7208 grammar."
				if n.problem == CodeIPInDomainSpec {
					f.Fix = "Write IP addresses with ip4: or ip6:, e.g. ip4:192.0.2.1 instead of a:192.0.2.1."
				}
			}
			addN(f)
		case CodeDNSError:
			add(dnsfail.Finding(CodeDNSError, n.Domain, "TXT", n.dnsErr, a.unknown(rep.Domain, n), "RFC 7208 §4.4"))
		case CodeLoop:
			f := Finding{Code: CodeLoop, Severity: finding.Error,
				Message: fmt.Sprintf("The %s of %s loops back to a domain already being evaluated; receivers hit the lookup limit and return permerror.", n.Via, n.Domain),
				Fix:     "Remove the " + n.Via + " that points back up the tree.", Ref: "RFC 7208 §4.6.4", Evidence: &finding.Evidence{Name: n.Domain}}
			// An include of a record already being evaluated authorizes nothing new,
			// so dropping it changes no result but the permerror.
			if p := parent[n]; p != nil && p.parsed != nil && n.Via == "include" && owned(p.Domain, rep.Domain) && correct(p, topChain[p]) == nil {
				drop := map[int]bool{}
				for i, t := range p.parsed.Terms {
					if t.Mechanism == MechInclude && strings.EqualFold(strings.TrimSuffix(t.Domain, "."), n.Domain) {
						drop[i] = true
					}
				}
				if fixed := dropTerms(p.Record, drop); fixed != "" {
					f.Fix = fmt.Sprintf("Remove include:%s from the record of %s: %s", n.Domain, p.Domain, fixed)
					f.FixRecords = replaceRecord(p.Domain, p.Record, fixed)
				}
			}
			add(f)
		}
		if n.parsed != nil {
			a.recordFindings(n, topChain[n], ev, addN)
		}
	})
	if len(a.cut) > 0 {
		// One finding for the whole cut, however many records it left out.
		add(Finding{Code: CodeLookupLimit, Severity: finding.Error,
			Message: fmt.Sprintf("The SPF tree of %s has more than %d records: the audit fetched the first %d, level by level, and left %d unfetched (the first at %s), so the lookup count covers only what was fetched; receivers give up long before.",
				rep.Domain, maxAuditNodes, maxAuditNodes, len(a.cut), a.cut[0].Domain),
			Fix: "Flatten the record: replace includes with their ip4:/ip6: ranges.", Ref: "RFC 7208 §4.6.4",
			Evidence: &finding.Evidence{Name: rep.Domain, Detail: fmt.Sprintf("%d records fetched, %d not fetched", maxAuditNodes, len(a.cut))}})
	}
	if rep.Lookups > MaxLookups {
		var heavy []string
		var stop *Node
		visit(root, func(n *Node) {
			if n.Stop {
				stop = n
			}
		})
		kids := append([]*Node(nil), root.Children...)
		sort.SliceStable(kids, func(i, j int) bool { return subtree(kids[i]) > subtree(kids[j]) })
		for i, k := range kids {
			if i == 3 {
				break
			}
			heavy = append(heavy, fmt.Sprintf("%s %s (%d)", k.Via, k.Domain, subtree(k)))
		}
		msg := fmt.Sprintf("Evaluating %s takes %d DNS-querying terms, over the limit of %d: receivers return permerror", rep.Domain, rep.Lookups, MaxLookups)
		if stop != nil {
			msg += fmt.Sprintf(" at %s in %s", stop.StopTerm, stop.Domain)
		}
		add(Finding{Code: CodeLookupLimit, Severity: finding.Error, Message: msg + ".",
			Fix: "Replace includes that cost the most with their ip4:/ip6: ranges, or drop unused ones; heaviest: " + strings.Join(heavy, ", "),
			Ref: "RFC 7208 §4.6.4", Evidence: &finding.Evidence{Name: rep.Domain, Detail: fmt.Sprintf("%d lookups; heaviest branches: %s", rep.Lookups, strings.Join(heavy, ", "))}})
	}
	var voidNames []string
	visit(root, func(n *Node) { voidNames = append(voidNames, n.Void...) })
	if rep.VoidLookups > MaxVoidLookups {
		f := Finding{Code: CodeVoidLimit, Severity: finding.Error,
			Message: fmt.Sprintf("%d lookups in the SPF tree of %s return no records (limit %d): receivers return permerror.", rep.VoidLookups, rep.Domain, MaxVoidLookups),
			Fix:     "Remove the mechanisms that name hosts without addresses: " + strings.Join(voidNames, ", "),
			Ref:     "RFC 7208 §4.6.4", Evidence: &finding.Evidence{Name: rep.Domain, Records: voidNames}}
		if recs, removed := dropVoidTerms(root, rep.Domain, topChain); rep.VoidLookups-removed <= MaxVoidLookups && recs != nil {
			f.FixRecords = recs
			var now []string
			for _, r := range recs {
				now = append(now, fmt.Sprintf("%s: %s", r.Name, r.Value))
			}
			f.Fix += ". Corrected record: " + strings.Join(now, "; ")
		}
		add(f)
	} else if rep.VoidLookupsIPv6 > MaxVoidLookups {
		add(Finding{Code: CodeVoidRiskIPv6, Severity: finding.Warning,
			Message: fmt.Sprintf("For an IPv6 sender, %d lookups in the SPF tree of %s return no AAAA records (limit %d): mail sent over IPv6 gets permerror.", rep.VoidLookupsIPv6, rep.Domain, MaxVoidLookups),
			Fix:     "Give the hosts named by a and mx mechanisms AAAA records, or list their addresses with ip4:.",
			Ref:     "RFC 7208 §4.6.4", Evidence: &finding.Evidence{Name: rep.Domain, Type: "AAAA"}})
	}
	return out
}

// unknown says what a failed TXT lookup of n leaves unknown: the domain's SPF
// result, which receivers seeing the same failure give as temperror (RFC 7208 §4.4).
func (a *auditor) unknown(domain string, n *Node) string {
	if n.Via == "" {
		return fmt.Sprintf("the SPF policy of %s (receivers seeing the same failure return temperror)", domain)
	}
	return fmt.Sprintf("what the %s of %s authorizes, and so the SPF result of %s (receivers seeing the same failure return temperror),", n.Via, n.Domain, domain)
}

func subtree(n *Node) int {
	t := n.Cost
	for _, c := range n.Children {
		t += subtree(c)
	}
	return t
}

// recordFindings judges one parsed record. top is set for the root and its redirect
// targets, whose "all" is the domain's final answer.
func (a *auditor) recordFindings(n *Node, top bool, ev *finding.Evidence, add func(Finding)) {
	rec := n.parsed
	if len(n.Record) > RecordSizeWarning {
		add(Finding{Code: CodeRecordSize, Severity: finding.Warning,
			Message: fmt.Sprintf("The SPF record of %s is %d bytes, close to the 512-byte DNS UDP limit; some resolvers fail on it.", n.Domain, len(n.Record)),
			Fix:     "Move some mechanisms into an include: record.", Ref: "RFC 7208 §3.4", Evidence: ev})
	}
	allAt, macros := -1, false
	for i, t := range rec.Terms {
		if hasMacro(t.Domain) && !(t.Modifier == ModExp) {
			macros = true
		}
		if allAt >= 0 {
			if !t.IsModifier() {
				add(Finding{Code: CodeTermsAfterAll, Severity: finding.Warning,
					Message: fmt.Sprintf("In the SPF record of %s, %q comes after \"all\" and is never evaluated.", n.Domain, t.String()),
					Fix:     "Move \"all\" to the end of the record.", Ref: "RFC 7208 §5.1", Evidence: ev})
				continue
			}
		}
		switch {
		case t.Mechanism == MechAll:
			if allAt < 0 {
				allAt = i
				switch t.Qualifier.Result() {
				case Pass:
					add(Finding{Code: CodeAllPass, Severity: finding.Error,
						Message: fmt.Sprintf("The SPF record of %s ends in %q, which authorizes every server on the Internet to send its mail.", n.Domain, t.String()),
						Fix:     "Use -all: it refuses every server not listed before it, so check that the list is complete first (or use ~all while testing).", Ref: "RFC 7208 §5.1", Evidence: ev})
				case Neutral:
					if top {
						add(Finding{Code: CodeAllNeutral, Severity: finding.Warning,
							Message: fmt.Sprintf("The SPF record of %s ends in ?all: mail from any other server gets neutral, which protects nothing.", n.Domain),
							Fix:     "Use ~all now, and -all once every server that sends your mail is listed.", Ref: "RFC 7208 §5.1", Evidence: ev})
					}
				}
			}
		case t.Mechanism == MechPTR:
			add(Finding{Code: CodePTR, Severity: finding.Warning,
				Message: fmt.Sprintf("The SPF record of %s uses %q: the ptr mechanism is slow, unreliable and deprecated; some receivers ignore it.", n.Domain, t.String()),
				Fix:     "Replace ptr with ip4:/ip6: ranges or a: names.", Ref: "RFC 7208 §5.5", Evidence: ev})
		case t.Modifier != "" && t.Modifier != ModRedirect && t.Modifier != ModExp:
			f := Finding{Code: CodeUnknownModifier, Severity: finding.Warning,
				Message: fmt.Sprintf("The SPF record of %s has the unknown modifier %q: RFC 7208 ignores it, but some strict receivers reject the record.", n.Domain, t.String()),
				Fix:     "Remove " + t.String() + ".", Ref: "RFC 7208 §6", Evidence: ev}
			raw := rawTerms(n.Record)[i]
			if ok, suspicious := termOK(raw); ok && suspicious {
				if fixed, why := correctTerm(raw); fixed != "" {
					// include=x is a mechanism mistyped as a modifier: receivers ignore
					// it, so the servers it names are not authorized (RFC 7208 §6).
					f.Severity = finding.Error
					f.Message = fmt.Sprintf("The SPF record of %s has %q, a typo for %q: %s, so what it names is not authorized.",
						n.Domain, raw, fixed, why)
					f.Fix = fmt.Sprintf("Write %s instead of %s.", fixed, raw)
				}
			}
			add(f)
		case t.Mechanism == MechMX:
			if f := n.facts[i]; f != nil && f.mxHosts > MaxNames {
				add(Finding{Code: CodeMXLimit, Severity: finding.Error,
					Message: fmt.Sprintf("%q in the SPF record of %s names %s, which has %d MX hosts, more than %d: receivers return permerror.", t.String(), n.Domain, f.name, f.mxHosts, MaxNames),
					Fix:     "List the mail servers' addresses with ip4:/ip6: instead of mx.", Ref: "RFC 7208 §4.6.4",
					Evidence: &finding.Evidence{Name: f.name, Type: "MX", Detail: fmt.Sprintf("%d hosts", f.mxHosts)}})
			}
		}
		if f := n.facts[i]; f != nil && f.err != nil {
			add(dnsfail.Finding(CodeDNSError, f.errName, f.errType, f.err,
				fmt.Sprintf("whether %q in the SPF record of %s matches (receivers seeing the same failure return temperror)", t.String(), n.Domain),
				"RFC 7208 §5"))
		}
	}
	if red, ok := rec.Modifier(ModRedirect); ok && allAt >= 0 {
		add(Finding{Code: CodeRedirectIgnored, Severity: finding.Warning,
			Message: fmt.Sprintf("The SPF record of %s has both \"all\" and %q: the redirect is ignored.", n.Domain, red.String()),
			Fix:     "Remove either the all mechanism or the redirect.", Ref: "RFC 7208 §6.1", Evidence: ev})
	}
	if top && allAt < 0 {
		if _, ok := rec.Modifier(ModRedirect); !ok {
			add(Finding{Code: CodeNoAll, Severity: finding.Warning,
				Message: fmt.Sprintf("The SPF record of %s has no \"all\" and no redirect: mail from any other server gets neutral.", n.Domain),
				Fix:     "End the record with ~all now, and -all once every server that sends your mail is listed.", Ref: "RFC 7208 §4.7", Evidence: ev})
		}
	}
	if macros {
		add(Finding{Code: CodeMacro, Severity: finding.Info,
			Message: fmt.Sprintf("The SPF record of %s uses macros: its lookups and result depend on the sender, so this audit cannot count them all.", n.Domain),
			Ref:     "RFC 7208 §7", Evidence: ev})
	}
}

// missingFix is the fix of spf.missing, worked out before the findings since it
// needs DNS.
type missingFix struct {
	fix     string
	records []finding.FixRecord
	detail  string
}

// missing works out what a domain without SPF should publish: its retired type 99
// record as TXT when it has one, else a record built from who sends its mail.
func (a *auditor) missing(ctx context.Context, domain string, cfg *config, type99 []string) *missingFix {
	for _, r := range type99 {
		if _, err := Parse(r); err == nil {
			return &missingFix{
				fix:     fmt.Sprintf("Publish your type 99 SPF record as a TXT record at %s: %s", domain, r),
				records: []finding.FixRecord{{Action: finding.Publish, Name: domain, Type: "TXT", Value: r}},
				detail:  "the domain publishes its SPF record only as RR type 99, which receivers do not read",
			}
		}
	}
	rec, ok := a.recommend(ctx, domain, cfg)
	if !ok {
		fix := fmt.Sprintf("Publish a TXT record at %s that lists the servers that send its mail and ends in -all, e.g. v=spf1 ip4:<your mail server's address> -all; if the domain sends no mail: v=spf1 -all", domain)
		if rec.why != "" {
			fix += ". " + rec.why + "."
		}
		return &missingFix{fix: fix}
	}
	return &missingFix{
		fix:     fmt.Sprintf("%s Publish this TXT record at %s: %s", rec.why, domain, rec.record),
		records: []finding.FixRecord{{Action: finding.Publish, Name: domain, Type: "TXT", Value: rec.record}},
		detail:  rec.why,
	}
}

// mergeRecords replaces one record with the merged one and deletes the rest; when a
// record already says everything, the others are only deleted.
func mergeRecords(domain string, records []string, merged string) []finding.FixRecord {
	keep := 0
	for i, r := range records {
		if r == merged {
			keep = i
		}
	}
	var out []finding.FixRecord
	if records[keep] != merged {
		out = append(out, finding.FixRecord{Action: finding.Replace, Name: domain, Type: "TXT", Replaces: records[keep], Value: merged})
	}
	for i, r := range records {
		if i != keep {
			out = append(out, finding.FixRecord{Action: finding.Delete, Name: domain, Type: "TXT", Replaces: r})
		}
	}
	return out
}

// dropTerms returns record without the terms at the given indices, the rest kept as
// written; "" when nothing is dropped or the result does not parse.
func dropTerms(record string, drop map[int]bool) string {
	if len(drop) == 0 {
		return ""
	}
	words := []string{record[:len("v=spf1")]}
	for i, raw := range rawTerms(record) {
		if !drop[i] {
			words = append(words, raw)
		}
	}
	out := strings.Join(words, " ")
	if _, err := Parse(out); err != nil {
		return ""
	}
	return out
}

// dropVoidTerms removes, from the records the domain's owner controls, the a and
// exists terms that name a host without any address: such a term matches no client,
// so removing it changes no result but the void count (RFC 7208 §4.6.4). An a term
// whose host has only AAAA (or only A) stays: it still matches one family. It returns
// one replace per record changed and the void lookups removed.
func dropVoidTerms(root *Node, domain string, topChain map[*Node]bool) ([]finding.FixRecord, int) {
	var out []finding.FixRecord
	removed := 0
	visit(root, func(n *Node) {
		if n.parsed == nil || !owned(n.Domain, domain) || correct(n, topChain[n]) != nil {
			return
		}
		drop := map[int]bool{}
		gone := 0
		for i, t := range n.parsed.Terms {
			f := n.facts[i]
			if f == nil || f.err != nil || hasMacro(t.Domain) {
				continue
			}
			switch {
			case t.Mechanism == MechA && len(f.void4) > 0 && len(f.void6) > 0,
				t.Mechanism == MechExists && len(f.void4) > 0:
				drop[i] = true
				gone += len(f.void4)
			}
		}
		if fixed := dropTerms(n.Record, drop); fixed != "" {
			out = append(out, replaceRecord(n.Domain, n.Record, fixed)...)
			removed += gone
		}
	})
	return out, removed
}
