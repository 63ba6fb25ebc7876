package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/provider"
)

// WithProviderHints gives Check (the audit) more names that reveal who sends the domain's mail
// (DKIM CNAME targets, say), beyond the MX hosts it looks up itself. fn is called only
// when the domain has no SPF record, so a caller can make it do lookups lazily.
func WithProviderHints(fn func(ctx context.Context) []string) Option {
	return func(c *config) { c.hints = fn }
}

// correction is the owner's record with every problem the audit can mend mended:
// typos (Suggest), and the structural fixes of recordFindings.
type correction struct {
	record  string
	changes []Change
}

// correctable are the codes whose problem the corrected record always removes.
var correctable = map[Code]bool{CodeSyntax: true, CodeIPInDomainSpec: true, CodeAllPass: true, CodeAllNeutral: true,
	CodeNoAll: true, CodeTermsAfterAll: true, CodeRedirectIgnored: true, CodeUnknownModifier: true}

func replaceRecord(domain, old, now string) []finding.FixRecord {
	return []finding.FixRecord{{Action: finding.Replace, Name: domain, Type: "TXT", Replaces: old, Value: now}}
}

// rawTerms returns the terms of a record as written, in order, without the version.
func rawTerms(record string) []string { return strings.Fields(record[len("v=spf1"):]) }

// correct works out the corrected record for node n (top: its all is the domain's
// final answer). It returns nil when there is nothing it can mend.
func correct(n *Node, top bool) *correction {
	c := &correction{record: n.Record}
	rec := n.parsed
	if rec == nil {
		fixed, changes := Suggest(n.Record)
		if len(changes) == 0 {
			return nil
		}
		c.record, c.changes = fixed, changes
		rec, _ = Parse(fixed)
	} else if fixed, changes := Suggest(n.Record); len(changes) > 0 {
		// A valid record can still hold typos: include=x (an unknown modifier that
		// receivers ignore) and +all.
		c.record, c.changes = fixed, changes
		rec, _ = Parse(fixed)
	}
	terms := rawTerms(c.record)
	if len(terms) != len(rec.Terms) {
		return nil // cannot happen: Parse and Fields split on the same spaces
	}
	type item struct {
		raw string
		t   Term
	}
	var items []item
	for i, t := range rec.Terms {
		items = append(items, item{terms[i], t})
	}
	allAt := -1
	for i, it := range items {
		if it.t.Mechanism == MechAll {
			allAt = i
			break
		}
	}
	_, hasRedirect := rec.Modifier(ModRedirect)
	var out []item
	var movedAll *item
	for i, it := range items {
		switch {
		case it.t.Mechanism == MechAll && i == allAt:
			// RFC 7208 §5.1: terms after all are never evaluated; the owner listed
			// them to be, so all moves after the last mechanism.
			if top && it.t.Qualifier == QualifierNeutral {
				it.raw = "~all"
				c.changes = append(c.changes, Change{Was: "?all", Now: "~all", Why: "?all protects nothing; ~all marks unlisted servers without yet refusing them (-all once every sender is listed)"})
			}
			movedAll = &it
			continue
		case it.t.Mechanism == MechAll:
			c.changes = append(c.changes, Change{Was: it.raw, Why: "a second all is never evaluated"})
			continue
		case it.t.Modifier == ModRedirect && allAt >= 0:
			// RFC 7208 §6.1: redirect beside all is ignored; dropping it keeps what
			// receivers do today.
			c.changes = append(c.changes, Change{Was: it.raw, Why: "ignored beside all (RFC 7208 §6.1)"})
			continue
		case it.t.IsModifier() && it.t.Modifier != ModRedirect && it.t.Modifier != ModExp:
			c.changes = append(c.changes, Change{Was: it.raw, Why: "an unknown modifier, ignored by receivers"})
			continue
		case !it.t.IsModifier() && allAt >= 0 && i > allAt:
			c.changes = append(c.changes, Change{Was: it.raw, Now: it.raw, Why: "moved before all, where receivers evaluate it"})
		}
		out = append(out, it)
	}
	if movedAll != nil {
		// Place all after the last mechanism, before the modifiers.
		at := len(out)
		for at > 0 && out[at-1].t.IsModifier() {
			at--
		}
		out = append(out[:at], append([]item{*movedAll}, out[at:]...)...)
	} else if top && !hasRedirect {
		// RFC 7208 §4.7: no all and no redirect is neutral for everyone else.
		c.changes = append(c.changes, Change{Now: "~all", Why: "without all, unlisted servers get neutral; ~all marks them without yet refusing them"})
		at := len(out)
		for at > 0 && out[at-1].t.IsModifier() {
			at--
		}
		out = append(out[:at], append([]item{{raw: "~all", t: Term{Mechanism: MechAll, Qualifier: QualifierSoftFail}}}, out[at:]...)...)
	}
	words := []string{"v=spf1"}
	if n.parsed != nil && c.record == n.Record {
		words[0] = n.Record[:len("v=spf1")] // the version as the owner wrote it
	}
	for _, it := range out {
		words = append(words, it.raw)
	}
	c.record = strings.Join(words, " ")
	if c.record == n.Record || len(c.changes) == 0 {
		return nil
	}
	if _, err := Parse(c.record); err != nil {
		return nil
	}
	return c
}

// typoOf returns the Suggest change that corrected raw, if any.
func (c *correction) typoOf(raw string) (Change, bool) {
	if c == nil {
		return Change{}, false
	}
	for _, ch := range c.changes {
		if ch.Was == raw && ch.Now != "" {
			return ch, true
		}
	}
	return Change{}, false
}

// describe lists the changes for a message: `"include=x" for "include:x" (...)`.
func (c *correction) describe() string {
	var parts []string
	for _, ch := range c.changes {
		parts = append(parts, ch.String())
	}
	return strings.Join(parts, "; ")
}

// merge joins several SPF records of one domain into one (RFC 7208 §4.5 allows one):
// every mechanism of every record once, in order; -all when every record ends so,
// otherwise ~all; exp= from the first record that has one. It returns "" when a
// record cannot be read or a redirect would have to be merged.
func merge(records []string) string {
	var mechs []string
	seen := map[string]bool{}
	strict, exp := true, ""
	for _, r := range records {
		rec, err := Parse(r)
		if err != nil {
			fixed, changes := Suggest(r)
			if len(changes) == 0 {
				return ""
			}
			r = fixed
			rec, _ = Parse(r)
		}
		raws := rawTerms(r)
		hasAll := false
		for i, t := range rec.Terms {
			switch {
			case t.Modifier == ModRedirect:
				if !rec.HasAll() {
					return ""
				}
			case t.Modifier == ModExp:
				if exp == "" {
					exp = raws[i]
				}
			case t.IsModifier():
			case t.Mechanism == MechAll:
				if !hasAll && t.Qualifier != QualifierFail {
					strict = false
				}
				hasAll = true
			case !hasAll:
				if k := strings.ToLower(raws[i]); !seen[k] {
					seen[k] = true
					mechs = append(mechs, raws[i])
				}
			}
		}
		if !hasAll {
			strict = false
		}
	}
	all := "~all"
	if strict {
		all = "-all"
	}
	out := append(append([]string{"v=spf1"}, mechs...), all)
	if exp != "" {
		out = append(out, exp)
	}
	merged := strings.Join(out, " ")
	if _, err := Parse(merged); err != nil {
		return ""
	}
	return merged
}

// recommendation is the record to publish for a domain that has none.
type recommendation struct {
	record string
	// why says where the terms come from, for the finding's prose.
	why string
}

// recommend builds the record for a domain without SPF from what DNS says about who
// sends its mail: its MX hosts (a mailbox provider sends from its own servers, not
// its MX hosts, so it gets its include; the domain's own mail servers get mx), the
// names the caller hints at (DKIM CNAME targets), and the self-test IPs not covered
// already. A null MX with no other sign of sending is a parked domain: v=spf1 -all.
// ok is false when nothing is known about the senders, or a lookup failed.
func (a *auditor) recommend(ctx context.Context, domain string, cfg *config) (recommendation, bool) {
	mxs, err := a.r.LookupMX(ctx, domain)
	if err != nil && !isNotFound(err) {
		return recommendation{}, false
	}
	var terms, from []string
	var providers []provider.Provider
	addProvider := func(p provider.Provider, via string) {
		for _, have := range providers {
			if have.Name == p.Name {
				return
			}
		}
		providers = append(providers, p)
		from = append(from, p.Name+", seen in "+via)
	}
	null, own := false, false
	for _, mx := range mxs {
		host := strings.TrimSuffix(mx.Host, ".")
		if host == "" {
			null = true // RFC 7505: the domain accepts no mail
			continue
		}
		if p, ok := provider.ByMX(host); ok {
			addProvider(p, "MX "+host)
		} else {
			own = true
		}
	}
	if cfg.hints != nil {
		for _, h := range cfg.hints(ctx) {
			if p, ok := provider.ByName(h); ok {
				addProvider(p, "DKIM key at "+strings.TrimSuffix(h, "."))
			}
		}
	}
	if own {
		// RFC 7208 §5.4: mx authorizes the domain's own MX hosts.
		terms = append(terms, "mx")
		from = append(from, "the domain's own mail servers (mx)")
	}
	if len(mxs) == 0 && len(providers) == 0 && len(cfg.selfTest) == 0 {
		// No MX: RFC 5321 §5.1 makes the domain's own address its mail server.
		if addrs, err := a.r.LookupNetIP(ctx, "ip", domain); err == nil && len(addrs) > 0 {
			terms = append(terms, "a")
			from = append(from, "the domain's own address (a), its mail server since it has no MX")
		}
	}
	var notes []string
	for _, p := range providers {
		if p.SPF == "" {
			notes = append(notes, p.Note)
			continue
		}
		// The table is dated: an include whose target publishes no SPF record would
		// make the suggested record a permerror (RFC 7208 §5.2), so it is checked first.
		if ok, err := publishesSPF(ctx, a.r, p.SPF); err != nil {
			notes = append(notes, fmt.Sprintf("%s's include %s could not be looked up (%v): check it, or take the include from %s's current documentation", p.Name, p.SPF, err, p.Name))
			continue
		} else if !ok {
			notes = append(notes, fmt.Sprintf("%s's include %s publishes no SPF record now: take the include from %s's current documentation", p.Name, p.SPF, p.Name))
			continue
		}
		terms = append(terms, "include:"+p.SPF)
	}
	if null && len(terms) == 0 && len(cfg.selfTest) == 0 {
		return recommendation{record: "v=spf1 -all", why: "The null MX says the domain takes no mail, so it sends none either."}, true
	}
	candidate := func(extra []string) string {
		return strings.Join(append(append(append([]string{"v=spf1"}, terms...), extra...), "-all"), " ")
	}
	var ips []string
	for _, ip := range cfg.selfTest {
		ip = ip.Unmap()
		if covered(ctx, a.r, domain, candidate(nil), ip) {
			continue
		}
		term := "ip4:" + ip.String()
		if ip.Is6() {
			term = "ip6:" + ip.String()
		}
		ips = append(ips, term)
		from = append(from, "the sending IP "+ip.String())
	}
	if len(terms)+len(ips) == 0 {
		// A provider was seen but its include could not be confirmed: no record to
		// paste, but the owner learns which provider's documentation to read.
		return recommendation{why: strings.Join(notes, ". ")}, false
	}
	r := recommendation{record: candidate(ips), why: "Built from " + strings.Join(from, "; ") + "."}
	if len(notes) > 0 {
		r.why += " " + strings.Join(notes, ". ") + "."
	}
	return r, true
}

// publishesSPF reports whether name has exactly one SPF record; err is set when the
// lookup failed (a name that does not exist, or has no TXT, is a plain false).
func publishesSPF(ctx context.Context, r Resolver, name string) (bool, error) {
	txts, err := r.LookupTXT(ctx, name)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	n := 0
	for _, t := range txts {
		if IsSPF(t) {
			n++
		}
	}
	return n == 1, nil
}

// covered reports whether ip passes record published at domain.
func covered(ctx context.Context, r Resolver, domain, record string, ip netip.Addr) bool {
	out := CheckHost(ctx, overlay{Resolver: r, name: domain, txt: record}, ip, domain, "postmaster@"+domain)
	return out.Result == Pass
}

// overlay answers TXT questions for one name with a record not yet published, to
// evaluate a recommendation before it is made.
type overlay struct {
	Resolver
	name, txt string
}

func (o overlay) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if strings.EqualFold(strings.TrimSuffix(name, "."), o.name) {
		return []string{o.txt}, nil
	}
	return o.Resolver.LookupTXT(ctx, name)
}

var _ Resolver = overlay{}

// owned reports whether name is the audited domain or below it: the records the
// domain's owner can change (an include of a provider's record is not theirs).
func owned(name, domain string) bool { return provider.Under(name, domain) }
