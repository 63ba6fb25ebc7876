package dmarc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"golang.org/x/net/publicsuffix"
)

// Resolver is the DNS access the package needs, with the method shapes of
// *net.Resolver (which satisfies it, as does dnscheck.Resolver). An error that is a
// *net.DNSError with IsNotFound means "no such record"; any other error is a DNS
// failure.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// cnameResolver is optionally implemented (by *net.Resolver and dnscheck.Resolver)
// to show which CNAME a record was reached through.
type cnameResolver interface {
	LookupCNAME(ctx context.Context, host string) (string, error)
}

// MaxTreeWalkQueries is the most DNS queries one DNS Tree Walk makes (RFC 9989 §4.10).
const MaxTreeWalkQueries = 8

// Source says where an applied record was found, relative to the domain asked about.
type Source string

// The sources, in RFC 9989 §4.10.1's order of preference.
const (
	// AtDomain: the record is published for the domain itself.
	AtDomain Source = "domain"
	// AtOrganizationalDomain: inherited from the Organizational Domain.
	AtOrganizationalDomain Source = "organizational-domain"
	// AtPublicSuffixDomain: inherited from a Public Suffix Domain's record (psd=y).
	AtPublicSuffixDomain Source = "public-suffix-domain"
)

// Lookup is one TXT question at _dmarc.<Domain> and what it gave.
type Lookup struct {
	// Domain is the domain whose record was asked for; Name is _dmarc.<Domain>.
	Domain string `json:"domain"`
	Name   string `json:"name"`
	// TXT is every TXT record at Name, strings joined.
	TXT []string `json:"txt,omitempty"`
	// DMARC are the TXT records that start with v=DMARC1.
	DMARC []string `json:"dmarc,omitempty"`
	// Record is the one usable record at Name: nil when there is none, more than one
	// (RFC 9989 §4.10 step 2 discards them all) or it does not parse.
	Record *Record `json:"-"`
	// ParseError is why the single DMARC record did not parse.
	ParseError error `json:"-"`
	// CNAME is the canonical name the record was found at, when Name is an alias.
	CNAME string `json:"cname,omitempty"`
	// Err is the DNS failure, if the question could not be answered.
	Err error `json:"-"`
	// Error is Err as text, for JSON.
	Error string `json:"error,omitempty"`
	// Problem is ParseError as text, for JSON.
	Problem string `json:"parse_error,omitempty"`
}

// Failed reports a DNS failure (not "no record").
func (l *Lookup) Failed() bool { return l.Err != nil }

// Outcome is what one kind of receiver concludes for a domain.
type Outcome struct {
	// Applies is false when no DMARC policy applies to the domain, or when it is
	// not known whether one does (Unknown).
	Applies bool `json:"applies"`
	// Unknown is set when a DNS failure keeps the answer from being known: the
	// lookup that failed could hold the record that applies, so the outcome is
	// neither "no policy" nor inherited from a level above the failure.
	Unknown bool `json:"unknown,omitempty"`
	// FailedAt is the name of the first lookup that failed on this receiver's way
	// to the answer. With Applies it is above the domain's own record: the domain's
	// policy is known, its Organizational Domain and subdomain policy are not.
	FailedAt string `json:"failed_at,omitempty"`
	// Reason says why no policy applies, or why that is unknown, when Applies is false.
	Reason string `json:"reason,omitempty"`
	// PolicyDomain is where the applied record is published.
	PolicyDomain string `json:"policy_domain,omitempty"`
	// OrganizationalDomain is the domain's Organizational Domain.
	OrganizationalDomain string `json:"organizational_domain,omitempty"`
	// Source says how the record relates to the domain.
	Source Source `json:"source,omitempty"`
	// Record is the applied record.
	Record *Record `json:"-"`
	// Ignored is the record found but not applied, when Applies is false because it
	// is unusable (RFC 9989 §4.10.1: an invalid p, sp or np without a valid rua).
	Ignored *Record `json:"-"`
	// Policy is applied to failing mail from the domain itself: p at the domain, or
	// sp (np if the domain does not exist) when inherited; then t=y (RFC 9989) lowers
	// it one step.
	Policy Policy `json:"policy,omitempty"`
	// SubdomainPolicy is applied to failing mail from an existing subdomain that has
	// no record of its own.
	SubdomainPolicy Policy `json:"subdomain_policy,omitempty"`
	// NonexistentPolicy is applied to failing mail from a subdomain that does not exist.
	NonexistentPolicy Policy `json:"nonexistent_policy,omitempty"`
	// SubdomainPolicyDomain is where the record for the domain's subdomains is
	// published; it differs from PolicyDomain when the domain's own record is not
	// at its Organizational Domain (RFC 9989 §4.7: sp is then ignored).
	SubdomainPolicyDomain string `json:"subdomain_policy_domain,omitempty"`
	// Percent is the share of failing mail the policy is applied to (pct, RFC 7489
	// receivers only; always 100 for RFC 9989).
	Percent int `json:"percent,omitempty"`
}

// Discovery is the result of DMARC policy discovery for one domain, by RFC 9989 and
// by RFC 7489.
type Discovery struct {
	// Domain is the domain asked about.
	Domain string `json:"domain"`
	// Exists is false when the domain does not exist (RFC 9989 §3.2.13: NXDOMAIN; see
	// domainExists for resolvers that cannot tell NXDOMAIN from NODATA);
	// it is only looked up when the policy is inherited.
	Exists bool `json:"exists"`
	// Lookups are the TXT questions of the RFC 9989 DNS Tree Walk, in order (at most
	// eight), plus the RFC 7489 Organizational Domain question if the walk did not ask it.
	Lookups []*Lookup `json:"lookups"`
	// RFC9989 and RFC7489 are the two receivers' conclusions.
	RFC9989 Outcome `json:"rfc9989"`
	RFC7489 Outcome `json:"rfc7489"`
	// Incomplete is set when a DNS failure leaves the answer uncertain.
	Incomplete bool `json:"incomplete,omitempty"`
}

// Unknown reports whether a DNS failure keeps either kind of receiver's outcome from
// being known, so that "no policy applies" cannot be said.
func (d *Discovery) Unknown() bool { return d.RFC9989.Unknown || d.RFC7489.Unknown }

// Lookup returns the lookup for domain, or nil if it was not asked.
func (d *Discovery) Lookup(domain string) *Lookup {
	for _, l := range d.Lookups {
		if l.Domain == domain {
			return l
		}
	}
	return nil
}

// TreeWalk returns the domains whose _dmarc records an RFC 9989 DNS Tree Walk from
// domain asks for, in order: the domain, then (RFC 9989 §4.10 step 4) its parents,
// jumping straight to the last seven labels when the domain has eight or more.
func TreeWalk(domain string) []string {
	labels := strings.Split(domain, ".")
	out := []string{domain}
	for k := min(len(labels)-1, MaxTreeWalkQueries-1); k >= 1; k-- {
		out = append(out, strings.Join(labels[len(labels)-k:], "."))
	}
	return out
}

// OrganizationalDomain returns the RFC 7489 §3.2 Organizational Domain of domain: the
// public suffix from the Public Suffix List plus one label. A domain that is itself a
// public suffix is its own Organizational Domain.
func OrganizationalDomain(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// Aligned reports whether an authenticated domain (DKIM d= or SPF MAIL FROM) is
// aligned with the RFC5322.From domain (RFC 9989 §4.4): identical in Strict mode;
// sharing an Organizational Domain in Relaxed mode. It takes plain values and uses
// the Public Suffix List (RFC 7489 §3.2) for the Organizational Domain, so it needs
// no DNS; an unknown mode counts as Relaxed, the default.
func Aligned(fromDomain, authDomain string, mode AlignmentMode) bool {
	from := strings.ToLower(strings.TrimSuffix(fromDomain, "."))
	auth := strings.ToLower(strings.TrimSuffix(authDomain, "."))
	if from == "" || auth == "" {
		return false
	}
	if from == auth {
		return true
	}
	if mode == Strict {
		return false
	}
	return OrganizationalDomain(from) == OrganizationalDomain(auth)
}

// normalize checks and lower-cases a domain given in A-label form.
func normalize(domain string) (string, error) {
	d := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(domain), "."))
	if d == "" || len(d) > 253 {
		return "", fmt.Errorf("%w: %q", ErrInvalidDomain, domain)
	}
	for _, l := range strings.Split(d, ".") {
		if l == "" || len(l) > 63 {
			return "", fmt.Errorf("%w: %q has an empty or too long label", ErrInvalidDomain, domain)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("%w: %q contains %q (give internationalized names in A-label form)", ErrInvalidDomain, domain, rune(c))
			}
		}
	}
	return d, nil
}

// Discover finds the DMARC policy that applies to domain by the RFC 9989 DNS Tree
// Walk and by RFC 7489 (the domain, then its Public Suffix List Organizational
// Domain). The error is set only for an invalid domain; DNS failures, including an
// expired or cancelled context, are recorded in the Lookups and mark the Discovery
// Incomplete.
func Discover(ctx context.Context, r Resolver, domain string) (*Discovery, error) {
	d, err := normalize(domain)
	if err != nil {
		return nil, err
	}
	disc := &Discovery{Domain: d, Exists: true}
	// RFC 9989 §4.10: query the domain, then walk up, stopping after a record with
	// psd=y or psd=n. The walk continues past the domain's own record because the
	// Organizational Domain (and so the subdomain policy) depends on the records above.
	//
	// A failed lookup ends the walk: the failed level may hold the record that
	// decides (the domain's own, or a psd=n that makes it the Organizational
	// Domain), so nothing above it can be relied on. Unknown is not missing.
	for _, name := range TreeWalk(d) {
		l := lookup(ctx, r, name)
		disc.Lookups = append(disc.Lookups, l)
		if l.Failed() || l.Record != nil && l.Record.PSD != PSDUnknown {
			break
		}
	}
	// RFC 7489 §6.6.3: the domain, then the PSL Organizational Domain; only asked
	// when the domain's own answer is known, since the fallback applies only when
	// the domain has no record.
	if org := OrganizationalDomain(d); disc.Lookup(org) == nil && !disc.Lookups[0].Failed() {
		disc.Lookups = append(disc.Lookups, lookup(ctx, r, org))
	}
	for _, l := range disc.Lookups {
		if l.Failed() {
			disc.Incomplete = true
		}
	}

	disc.RFC9989 = disc.decide9989(d, nil)
	disc.RFC7489 = disc.decide7489(d)
	if disc.RFC9989.Applies && disc.RFC9989.PolicyDomain != d || disc.RFC7489.Applies && disc.RFC7489.PolicyDomain != d {
		// RFC 9989 §4.10.1: an inherited record gives sp for an existing domain and np
		// for a non-existent one (RFC 9989 §3.2.13: NXDOMAIN).
		exists, err := domainExists(ctx, r, d)
		if err != nil {
			disc.Incomplete = true
		}
		disc.Exists = exists
		if !exists {
			disc.RFC9989 = disc.decide9989(d, &exists)
			disc.RFC7489 = disc.decide7489(d)
		}
	}
	if pl := disc.Lookup(disc.RFC9989.PolicyDomain); pl != nil {
		if cr, ok := r.(cnameResolver); ok {
			if target, err := cr.LookupCNAME(ctx, pl.Name); err == nil {
				target = strings.ToLower(strings.TrimSuffix(target, "."))
				if target != pl.Name {
					pl.CNAME = target
				}
			}
		}
	}
	return disc, nil
}

// lookup asks for the TXT records at _dmarc.<domain> and sorts them.
func lookup(ctx context.Context, r Resolver, domain string) *Lookup {
	l := &Lookup{Domain: domain, Name: "_dmarc." + domain}
	txts, err := r.LookupTXT(ctx, l.Name)
	if err != nil {
		if !isNotFound(err) {
			l.Err, l.Error = err, err.Error()
		}
		return l
	}
	l.TXT = txts
	for _, t := range txts {
		// RFC 9989 §4.10 step 2: records that do not start with v=DMARC1 are discarded.
		if IsDMARC(t) {
			l.DMARC = append(l.DMARC, t)
		}
	}
	if len(l.DMARC) == 1 { // more than one: all discarded (RFC 9989 §4.10 step 2)
		l.Record, l.ParseError = Parse(l.DMARC[0])
		if l.ParseError != nil {
			l.Problem = l.ParseError.Error()
		}
	}
	return l
}

// notFoundRcode returns "NXDOMAIN" or "NODATA" when a not-found error says which
// answer it was, and "" when it does not. A resolver says so by wrapping an error with
// an NXDOMAIN() bool method (dnscheck's ErrNXDOMAIN and ErrNODATA have one);
// *net.Resolver cannot tell the two apart.
func notFoundRcode(err error) string {
	var neg interface{ NXDOMAIN() bool }
	if !errors.As(err, &neg) {
		return ""
	}
	if neg.NXDOMAIN() {
		return "NXDOMAIN"
	}
	return "NODATA"
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

// domainExists applies RFC 9989 §3.2.13: a non-existent domain is one whose query
// is answered NXDOMAIN (RFC 8020), so a name that exists in the DNS with no A, AAAA
// or MX records (only TXT, say, or an empty non-terminal) still exists and gets sp,
// not np. A resolver that reports the rcode (dnscheck does, in the error chain) is
// read that way; one that cannot tell NXDOMAIN from NODATA (*net.Resolver) falls back
// to RFC 9091's test: no A, AAAA and MX. A DNS failure counts as existing, with the error.
func domainExists(ctx context.Context, r Resolver, domain string) (bool, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", domain)
	if err == nil && len(addrs) > 0 {
		return true, nil
	}
	if err != nil && !isNotFound(err) {
		return true, err
	}
	if rc := notFoundRcode(err); rc != "" {
		return rc == "NODATA", nil
	}
	mxs, err := r.LookupMX(ctx, domain)
	if err == nil && len(mxs) > 0 {
		return true, nil
	}
	if err != nil && !isNotFound(err) {
		return true, err
	}
	return false, nil
}

// choose9989 applies RFC 9989 §4.10.1 and §4.10.2 to the lookups of a walk that
// started at start (chain in walk order; entries may be nil for names not asked). It
// returns the lookup whose record applies (nil if none), the Organizational Domain
// and the source. failed is the first lookup on the walk that failed: when it is set,
// only the domain's own record (found before it) can apply, and the Organizational
// Domain is unknown ("").
func choose9989(start string, chain []*Lookup) (pl *Lookup, org string, src Source, failed *Lookup) {
	var found []*Lookup
	for _, l := range chain {
		if l == nil {
			continue
		}
		if l.Failed() {
			failed = l // nothing at or above an unanswered level is known
			break
		}
		if l.Record == nil {
			continue
		}
		found = append(found, l)
		if l.Record.PSD != PSDUnknown {
			break // RFC 9989 §4.10 steps 2 and 6: psd=y or psd=n stops the walk
		}
	}
	if failed != nil {
		// RFC 9989 §4.10.1: the domain's own record applies whatever is above it;
		// anything else would be inherited past a level whose answer is unknown.
		if len(found) > 0 && found[0].Domain == start {
			if found[0].Record.PSD == PSDNo {
				return found[0], start, AtDomain, failed // §4.10.2 rule 1 needs nothing above
			}
			return found[0], "", AtDomain, failed
		}
		return nil, "", "", failed
	}
	// RFC 9989 §4.10.2: select the Organizational Domain from longest to shortest.
	var psdLookup *Lookup
	for _, l := range found {
		if l.Record.PSD == PSDNo {
			org = l.Domain // rule 1
			break
		}
		if l.Record.PSD == PSDYes && l.Domain != start {
			org = oneBelow(start, l.Domain) // rule 2
			psdLookup = l
			break
		}
	}
	if org == "" && len(found) > 0 {
		org = found[len(found)-1].Domain // rule 3: the fewest labels
	}
	if org == "" {
		org = start
	}
	// RFC 9989 §4.10.1: the record of the domain itself, else of its Organizational
	// Domain, else of its Public Suffix Domain.
	if len(found) > 0 && found[0].Domain == start {
		return found[0], org, AtDomain, nil
	}
	for _, l := range found {
		if l.Domain == org {
			return l, org, AtOrganizationalDomain, nil
		}
	}
	if psdLookup != nil {
		return psdLookup, org, AtPublicSuffixDomain, nil
	}
	return nil, org, "", nil
}

// failedReason says why a failed lookup leaves the outcome unknown.
func failedReason(l *Lookup) string {
	return fmt.Sprintf("the TXT lookup of %s failed (%s), so whether a DMARC record applies is unknown: the record may be there (RFC 9989 §4.10)",
		l.Name, dnsfail.Classify(l.Err))
}

// oneBelow returns the ancestor of start (or start) that has one label more than parent.
func oneBelow(start, parent string) string {
	labels := strings.Split(start, ".")
	n := len(strings.Split(parent, ".")) + 1
	if n > len(labels) {
		return start
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// chain maps a walk from start onto the lookups made.
func (d *Discovery) chain(start string) []*Lookup {
	var out []*Lookup
	for _, name := range TreeWalk(start) {
		out = append(out, d.Lookup(name))
	}
	return out
}

// decide9989 works out the RFC 9989 outcome for the domain; exists overrides d.Exists.
func (d *Discovery) decide9989(domain string, exists *bool) Outcome {
	ex := d.Exists
	if exists != nil {
		ex = *exists
	}
	pl, org, src, failed := choose9989(domain, d.chain(domain))
	o := Outcome{OrganizationalDomain: org, Percent: 100}
	if failed != nil {
		o.FailedAt = failed.Name
	}
	if pl == nil && failed != nil {
		o.Unknown, o.Reason = true, failedReason(failed)
		return o
	}
	if pl == nil {
		o.Reason = "no DMARC record at the domain, its Organizational Domain or a Public Suffix Domain (RFC 9989 §4.10.1)"
		return o
	}
	if !pl.Record.usable() {
		// RFC 9989 §4.10.1: an invalid p, sp or np and no valid rua URI: "the Mail
		// Receiver applies no DMARC processing". The record is kept for diagnostics.
		o.Ignored = pl.Record
		o.Reason = fmt.Sprintf("the record at %s has an invalid p, sp or np and no valid rua URI, so receivers apply no DMARC processing (RFC 9989 §4.10.1)", pl.Name)
		return o
	}
	o.Applies, o.PolicyDomain, o.Source, o.Record = true, pl.Domain, src, pl.Record
	p, sp, np := effective9989(pl.Record)
	if pl.Domain == domain {
		o.Policy = p
	} else if ex {
		o.Policy = sp
	} else {
		o.Policy = np
	}
	// An existing subdomain without its own record: walk from "x.<domain>".
	child := "x." + domain
	// A failed lookup on the way leaves it unknown (empty).
	if cl, _, _, _ := choose9989(child, d.chain(child)); cl != nil && cl.Record.usable() {
		_, o.SubdomainPolicy, o.NonexistentPolicy = effective9989(cl.Record)
		o.SubdomainPolicyDomain = cl.Domain
	}
	return o
}

// effective9989 returns p, sp and np as an RFC 9989 receiver applies them: an invalid
// p, sp or np makes the record act as p=none when rua has a valid URI (RFC 9989
// §4.10.1), and t=y lowers each one step (RFC 9989 §4.7).
func effective9989(r *Record) (p, sp, np Policy) {
	p, sp, np = r.Policy, r.SubdomainPolicy, r.NonexistentPolicy
	if r.invalidPolicy() {
		p, sp, np = None, None, None
	}
	if r.Testing {
		p, sp, np = p.Downgrade(), sp.Downgrade(), np.Downgrade()
	}
	return p, sp, np
}

// usable reports whether RFC 9989 receivers apply the record at all: RFC 9989
// §4.10.1: with an invalid p, sp or np tag, only when rua holds a valid URI (then as
// p=none). A missing p is not invalid: §4.7 treats it as p=none whatever rua holds,
// the reading the tag's own definition states outright.
func (r *Record) usable() bool {
	return !r.invalidPolicy() || len(r.AggregateURIs) > 0
}

// invalidPolicy reports one of the tags (by default p, sp and np) written with an
// invalid value.
func (r *Record) invalidPolicy(tags ...string) bool {
	if len(tags) == 0 {
		tags = []string{"p", "sp", "np"}
	}
	for _, is := range r.Issues {
		if is.Code == CodeInvalidValue && slices.Contains(tags, is.Tag) {
			return true
		}
	}
	return false
}

// decide7489 works out what an RFC 7489 receiver concludes (RFC 7489 §6.6.3).
func (d *Discovery) decide7489(domain string) Outcome {
	org := OrganizationalDomain(domain)
	o := Outcome{OrganizationalDomain: org}
	at := d.Lookup(domain)
	var pl *Lookup
	switch {
	case at != nil && at.Failed():
		o.Unknown, o.FailedAt, o.Reason = true, at.Name, failedReason(at)
		return o
	case at != nil && len(at.DMARC) > 1:
		// RFC 7489 §6.6.3 step 5: several records end discovery; no fallback.
		o.Reason = fmt.Sprintf("%d DMARC records at %s: RFC 7489 receivers stop and apply no policy (RFC 7489 §6.6.3)", len(at.DMARC), at.Name)
		return o
	case at != nil && len(at.DMARC) == 1:
		pl = at
	default:
		ol := d.Lookup(org)
		if org != domain && ol != nil && ol.Failed() {
			o.Unknown, o.FailedAt, o.Reason = true, ol.Name, failedReason(ol)
			return o
		}
		if org == domain || ol == nil || len(ol.DMARC) == 0 {
			o.Reason = "no DMARC record at the domain or its Organizational Domain (RFC 7489 §6.6.3)"
			return o
		}
		if len(ol.DMARC) > 1 {
			o.Reason = fmt.Sprintf("%d DMARC records at %s: RFC 7489 receivers apply no policy (RFC 7489 §6.6.3)", len(ol.DMARC), ol.Name)
			return o
		}
		pl = ol
	}
	if pl.Record == nil {
		o.Reason = fmt.Sprintf("the DMARC record at %s does not parse", pl.Name)
		return o
	}
	rec := pl.Record
	p, sp := rec.Policy, rec.SubdomainPolicy
	// RFC 7489 §6.6.3 step 6: no valid p (it was REQUIRED), or an invalid sp: act as
	// p=none if rua holds a valid URI, else apply no DMARC processing. np is not an
	// RFC 7489 tag, so these receivers ignore it like any unknown tag (§6.3).
	if !rec.Explicit("p") || rec.invalidPolicy("p", "sp") {
		if len(rec.AggregateURIs) == 0 {
			o.Reason = fmt.Sprintf("the record at %s has no valid p tag and no valid rua, so RFC 7489 receivers ignore it (RFC 7489 §6.6.3)", pl.Name)
			return o
		}
		p, sp = None, None
	}
	if !rec.Explicit("sp") && rec.Explicit("p") {
		sp = p
	}
	o.Applies, o.PolicyDomain, o.Record, o.Percent = true, pl.Domain, rec, rec.Percent
	if pl.Domain == domain {
		o.Source, o.Policy = AtDomain, p
	} else {
		o.Source, o.Policy = AtOrganizationalDomain, sp
	}
	// Subdomains of domain: their own record (none), then their PSL Organizational Domain.
	if childOrg := OrganizationalDomain("x." + domain); childOrg == pl.Domain {
		o.SubdomainPolicy = sp
	} else if cl := d.Lookup(childOrg); cl != nil && len(cl.DMARC) == 1 && cl.Record != nil {
		o.SubdomainPolicy = cl.Record.SubdomainPolicy
	} else {
		o.SubdomainPolicy = sp
	}
	o.NonexistentPolicy = o.SubdomainPolicy // RFC 7489 has no np
	return o
}
