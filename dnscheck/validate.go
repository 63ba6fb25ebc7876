package dnscheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ValidationState is the DNSSEC security status of one answer, in RFC 4033 §5's words.
type ValidationState string

// The states of an answer.
const (
	// Secure: a chain of signed DNSKEY and DS records leads from a trust anchor to the
	// answer's signatures, or to a signed proof that the name or type does not exist.
	Secure ValidationState = "secure"
	// Insecure: a signed proof shows the chain ends above the answer (a delegation with
	// no DS, an NSEC3 opt-out span), or the zone is signed only with algorithms
	// validators do not use. The answer is as good as unsigned.
	Insecure ValidationState = "insecure"
	// Bogus: the chain should reach the answer and does not: an expired or wrong
	// signature, a DNSKEY that matches no DS, a missing or broken denial proof.
	// Validating resolvers answer SERVFAIL for such names.
	Bogus ValidationState = "bogus"
	// Indeterminate: the records needed were not obtained (timeout, SERVFAIL), or no
	// trust anchor covers the name.
	Indeterminate ValidationState = "indeterminate"
)

// Validation is the verdict on one answer.
type Validation struct {
	State ValidationState `json:"state"`
	// Reason says why, with the names, key tags and dates involved.
	Reason string `json:"reason"`
	// Zone is where the chain ended: the signed zone that holds the answer (secure,
	// bogus) or the delegation that is proved unsigned (insecure).
	Zone string `json:"zone,omitempty"`
	// NoDNSSEC marks an Indeterminate answer because the upstream passed on no DNSSEC
	// records at all (no DNSKEY for the trust anchor's zone, which every resolver on
	// the Internet can give): the path strips them, so nothing about the zone can be
	// judged.
	NoDNSSEC bool `json:"no_dnssec,omitempty"`
}

// rootAnchors are the root zone's trust anchors as IANA publishes them in
// https://data.iana.org/root-anchors/root-anchors.xml (format: RFC 9718): KSK-2017 (key
// tag 20326) and KSK-2024 (key tag 38696), both algorithm 8 (RSA/SHA-256), as DS digests
// (SHA-256); KSK-2017's key itself is kept for reference, and its DS must digest it
// (tested). Both are needed: KSK-2024 alone signs the root DNSKEY set since the
// rollover of 11 October 2026, and a validator that knew only KSK-2017 would call every
// answer bogus. Override them with Options.TrustAnchors or SetTrustAnchors (the CLI's
// --trust-anchor FILE) for tests, private roots, or a later rollover this build
// predates.
const rootAnchors = `
. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16
. IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=
`

// RootTrustAnchors returns the built-in root trust anchor records (the DS of each
// current root KSK, and KSK-2017's DNSKEY).
func RootTrustAnchors() []dns.RR {
	rrs, err := ParseTrustAnchors(strings.NewReader(rootAnchors), "built-in root anchor")
	if err != nil {
		panic(err)
	}
	return rrs
}

// ErrTrustAnchor is wrapped when a trust anchor file is unusable.
var ErrTrustAnchor = errors.New("dnscheck: bad trust anchor")

// ParseTrustAnchors reads DS and DNSKEY records in master-file form (absolute names;
// "dig DS ." output works), the form unbound's trust-anchor-file takes. Other record
// types, and a file with no anchor, are errors.
func ParseTrustAnchors(r io.Reader, name string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(r, ".", name)
	zp.SetIncludeAllowed(false)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
			rr.Header().Name = strings.ToLower(rr.Header().Name)
			out = append(out, rr)
		case *dns.RRSIG: // dig output may carry them; they prove nothing here
		default:
			return nil, fmt.Errorf("%w %s: %s record for %s: want DS or DNSKEY", ErrTrustAnchor, name, dns.TypeToString[rr.Header().Rrtype], rr.Header().Name)
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrTrustAnchor, name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w %s: no DS or DNSKEY record", ErrTrustAnchor, name)
	}
	return out, nil
}

// LoadTrustAnchors reads a trust anchor file (see ParseTrustAnchors).
func LoadTrustAnchors(path string) ([]dns.RR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTrustAnchor, err)
	}
	defer f.Close()
	return ParseTrustAnchors(f, path)
}

// SetTrustAnchors replaces the trust anchors (DS or DNSKEY records, for any zone) that
// Validate starts from; nil restores the built-in root anchor. Call it before the
// Resolver is used: it is how a zone-file Resolver gets an anchor for a signed zone.
func (r *Resolver) SetTrustAnchors(anchors []dns.RR) error {
	m := map[string][]*dns.DS{}
	for _, rr := range anchors {
		name := strings.ToLower(dns.Fqdn(rr.Header().Name))
		switch a := rr.(type) {
		case *dns.DS:
			m[name] = append(m[name], a)
		case *dns.DNSKEY:
			// A key anchor is its SHA-256 digest: one matching rule for both forms.
			m[name] = append(m[name], a.ToDS(dns.SHA256))
		default:
			return fmt.Errorf("%w: %s record for %s: want DS or DNSKEY", ErrTrustAnchor, dns.TypeToString[rr.Header().Rrtype], name)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if anchors == nil {
		r.anchors, r.customAnchors = nil, false
		return nil
	}
	r.anchors, r.customAnchors = m, true
	return nil
}

// CustomTrustAnchors reports whether the trust anchors were set (Options.TrustAnchors,
// SetTrustAnchors) rather than built in.
func (r *Resolver) CustomTrustAnchors() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.customAnchors
}

func (r *Resolver) trustAnchors() map[string][]*dns.DS {
	r.mu.Lock()
	m := r.anchors
	r.mu.Unlock()
	if m != nil {
		return m
	}
	m = map[string][]*dns.DS{}
	for _, rr := range RootTrustAnchors() {
		if ds, ok := rr.(*dns.DS); ok {
			m["."] = append(m["."], ds)
		}
	}
	return m
}

// now is the clock for signature validity periods and the cache's expiry.
func (r *Resolver) now() time.Time {
	if r.clock != nil {
		return r.clock()
	}
	return time.Now()
}

// maxNSEC3Iterations is the iteration count above which an NSEC3 proof is treated as
// insecure rather than computed (RFC 9276 §3.2 allows it; BIND and Unbound use 150).
const maxNSEC3Iterations = 150

// Validate is DNSSEC validation done by mailcheck itself (RFC 4035 §5), not read from
// the upstream's AD bit. From the closest trust anchor above name it walks down one
// label at a time: a signed DS leads into the child zone (its DNSKEY set must hold a
// key whose digest the DS carries, and be signed by it); a signed NSEC or NSEC3 proof
// that a delegation has no DS ends the chain as Insecure; a name that is not a zone
// cut is passed through. The answer to (name, qtype) is then checked against the last
// zone's keys: its RRSIGs, or the proof of NXDOMAIN or NODATA (RFC 4035 §5.4, RFC 5155
// §8). CNAMEs are followed, each target validated in its own zone; the worst state wins.
//
// Algorithms (RFC 8624 §3.1): 8, 10, 13, 14 and 15 are validated; a zone whose DS
// records use only 5 or 7 (SHA-1, deprecated) or an algorithm that must not or cannot be
// validated (1, 3, 6, 12, 16, unknown) is Insecure with that reason, as validating
// resolvers treat it (RFC 4035 §5.2); a signature with such an algorithm inside a
// secure zone does not count.
//
// Every record comes through Query, so the cache and in-flight deduplication apply:
// the DS and DNSKEY sets of a zone are fetched once per Resolver, whatever number of
// names are validated. The queries along the chain are sent at once, beside the answer's,
// so validation adds about one round trip to a cold lookup, not one per zone.
func (r *Resolver) Validate(ctx context.Context, name string, qtype uint16) Validation {
	return r.validate(ctx, strings.ToLower(dns.Fqdn(name)), qtype, 0)
}

func (r *Resolver) validate(ctx context.Context, name string, qtype uint16, depth int) Validation {
	if depth > maxCNAMEChain {
		return Validation{State: Bogus, Reason: fmt.Sprintf("CNAME chain from %s is too long", name)}
	}
	// A DS set lives in the parent zone: its chain ends at the parent.
	last := name
	if qtype == dns.TypeDS && name != "." {
		last = parentName(name)
	}
	anchors := r.trustAnchors()
	anchor, found := "", false
	for n := last; ; n = parentName(n) {
		if _, ok := anchors[n]; ok {
			anchor, found = n, true
			break
		}
		if n == "." {
			break
		}
	}
	if !found {
		return Validation{State: Indeterminate, Reason: fmt.Sprintf("no trust anchor covers %s", name)}
	}
	// The names between the anchor and the answer, top down.
	var steps []string
	for n := last; n != anchor; n = parentName(n) {
		steps = append(steps, n)
	}
	slices.Reverse(steps)
	r.prefetch(ctx, anchor, steps, name, qtype)

	keys, v := r.zoneKeys(ctx, anchor, anchors[anchor], anchorSource)
	if v.State != Secure {
		return v
	}
	zone := anchor
walk:
	for _, child := range steps {
		ans, err := r.Query(ctx, child, dns.TypeDS)
		if err != nil {
			return indeterminate(child, dns.TypeDS, err)
		}
		switch ans.Rcode {
		case dns.RcodeSuccess:
		case dns.RcodeNameError:
			break walk // nothing exists below: the answer's own NXDOMAIN proof says so
		default:
			return indeterminateRcode(ans)
		}
		ds := rrsOf[*dns.DS](ans.Records, child, dns.TypeDS)
		if len(ds) > 0 {
			if err := r.verifyRRset(toRRs(ds), ans.Records, zone, keys); err != nil {
				return Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("the DS records for %s in %s: %v", child, zone, err)}
			}
			k, v := r.zoneKeys(ctx, child, ds, "the DS at "+zone)
			if v.State != Secure {
				return v
			}
			zone, keys = child, k
			continue
		}
		if len(rrsOf[*dns.CNAME](ans.Records, child, dns.TypeCNAME)) > 0 {
			break walk // an alias is no zone cut; the answer's check follows it
		}
		cut, optOut, err := r.proveNoData(ans, child, dns.TypeDS, zone, keys)
		if err != nil {
			return denialFailure(err, zone, fmt.Sprintf("%s has no DS record, but the proof of it", child))
		}
		if cut || optOut {
			how := "a signed proof (" + proofKind(ans.Authority) + ") shows it has no DS"
			if optOut {
				how = "it lies in an NSEC3 opt-out span of " + zone + ", so it has no DS"
			}
			return Validation{State: Insecure, Zone: child, Reason: fmt.Sprintf("%s is delegated from %s without a DS record: %s, so its answers are unsigned", child, zone, how)}
		}
	}
	return r.validateAnswer(ctx, name, qtype, zone, keys, depth)
}

// validateAnswer checks the answer to (name, qtype) against zone's keys.
func (r *Resolver) validateAnswer(ctx context.Context, name string, qtype uint16, zone string, keys []*dns.DNSKEY, depth int) Validation {
	ans, err := r.Query(ctx, name, qtype)
	if err != nil {
		return indeterminate(name, qtype, err)
	}
	tname := dns.TypeToString[qtype]
	if cn := rrsOf[*dns.CNAME](ans.Records, name, dns.TypeCNAME); len(cn) > 0 && qtype != dns.TypeCNAME {
		if err := r.verifyRRset(toRRs(cn), ans.Records, zone, keys); err != nil {
			return Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("the CNAME at %s: %v", name, err)}
		}
		return r.validate(ctx, strings.ToLower(cn[0].Target), qtype, depth+1)
	}
	switch ans.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		if err := r.proveNXDOMAIN(ans, name, zone, keys); err != nil {
			return denialFailure(err, zone, fmt.Sprintf("%s does not exist (NXDOMAIN), but the proof of it", name))
		}
		return Validation{State: Secure, Zone: zone, Reason: fmt.Sprintf("%s does not exist: proved by signed %s records of %s", name, proofKind(ans.Authority), zone)}
	default:
		return indeterminateRcode(ans)
	}
	var rrset []dns.RR
	for _, rr := range ans.Records {
		if h := rr.Header(); h.Rrtype == qtype && strings.EqualFold(h.Name, name) {
			rrset = append(rrset, rr)
		}
	}
	if len(rrset) == 0 {
		if _, optOut, err := r.proveNoData(ans, name, qtype, zone, keys); err != nil {
			return denialFailure(err, zone, fmt.Sprintf("%s has no %s record (NODATA), but the proof of it", name, tname))
		} else if optOut {
			return Validation{State: Insecure, Zone: zone, Reason: fmt.Sprintf("%s lies in an NSEC3 opt-out span of %s: its absence is not signed", name, zone)}
		}
		return Validation{State: Secure, Zone: zone, Reason: fmt.Sprintf("%s has no %s record: proved by signed %s records of %s", name, tname, proofKind(ans.Authority), zone)}
	}
	if err := r.verifyRRset(rrset, ans.Records, zone, keys); err != nil {
		return Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("the %s records of %s: %v", tname, name, err)}
	}
	// RFC 4035 §5.3.4: an answer expanded from a wildcard needs a proof that the name
	// itself does not exist.
	if labels, wild := r.wildcardLabels(rrset, ans.Records); wild {
		if err := r.proveWildcardAnswer(ans, name, labels, zone, keys); err != nil {
			return Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("the %s records of %s come from a wildcard without a proof that %s does not exist: %v", tname, name, name, err)}
		}
	}
	return Validation{State: Secure, Zone: zone, Reason: fmt.Sprintf("the %s records of %s are signed by %s, whose keys chain to the trust anchor", tname, name, zone)}
}

// prefetch starts, without waiting, every query the walk will need, so they travel
// together; the walk then finds them in the cache or in flight.
func (r *Resolver) prefetch(ctx context.Context, anchor string, steps []string, name string, qtype uint16) {
	type q struct {
		name  string
		qtype uint16
	}
	qs := []q{{anchor, dns.TypeDNSKEY}, {name, qtype}}
	for _, s := range steps {
		qs = append(qs, q{s, dns.TypeDS}, q{s, dns.TypeDNSKEY})
	}
	for _, q := range qs {
		key := cacheKey{q.name, q.qtype}
		if _, ok := r.fromCache(key); ok {
			continue
		}
		go r.Query(ctx, q.name, q.qtype) //nolint:errcheck // warms the cache only
	}
}

const anchorSource = "the trust anchor"

// zoneKeys fetches zone's DNSKEY set and authenticates it from ds (RFC 4035 §5.2): a
// zone key whose digest one DS carries must sign the set. from names where the DS
// came from, for the reasons.
func (r *Resolver) zoneKeys(ctx context.Context, zone string, ds []*dns.DS, from string) ([]*dns.DNSKEY, Validation) {
	usable, why := usableDS(ds)
	if len(usable) == 0 {
		return nil, Validation{State: Insecure, Zone: zone, Reason: fmt.Sprintf("%s is signed only with %s, which mailcheck does not validate: treated as unsigned, as validating resolvers do (RFC 4035 §5.2)", zone, why)}
	}
	ans, err := r.Query(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return nil, indeterminate(zone, dns.TypeDNSKEY, err)
	}
	if ans.Rcode != dns.RcodeSuccess {
		return nil, indeterminateRcode(ans)
	}
	keys := rrsOf[*dns.DNSKEY](ans.Records, zone, dns.TypeDNSKEY)
	if len(keys) == 0 && from == anchorSource {
		return nil, Validation{State: Indeterminate, NoDNSSEC: true, Reason: fmt.Sprintf("the resolver returned no DNSKEY for %s, the trust anchor's zone: it does not pass DNSSEC records on", zone)}
	}
	if len(keys) == 0 {
		return nil, Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("%s publishes no DNSKEY, but %s says it is signed (%s)", zone, from, describeDS(usable))}
	}
	var entry []*dns.DNSKEY
	for _, k := range keys {
		if k.Flags&dns.ZONE == 0 || k.Protocol != 3 {
			continue
		}
		for _, d := range usable {
			if d.KeyTag == k.KeyTag() && d.Algorithm == k.Algorithm {
				if kd := k.ToDS(d.DigestType); kd != nil && strings.EqualFold(kd.Digest, d.Digest) {
					entry = append(entry, k)
					break
				}
			}
		}
	}
	if len(entry) == 0 {
		return nil, Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("no DNSKEY of %s matches %s (%s); its keys are %s", zone, from, describeDS(usable), describeKeys(keys))}
	}
	if err := r.verifyRRset(toRRs(keys), ans.Records, zone, entry); err != nil {
		return nil, Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("the DNSKEY set of %s is not signed by the key %s points to: %v", zone, from, err)}
	}
	var zoneKeys []*dns.DNSKEY
	for _, k := range keys {
		if k.Flags&dns.ZONE != 0 && k.Protocol == 3 {
			zoneKeys = append(zoneKeys, k)
		}
	}
	return zoneKeys, Validation{State: Secure, Zone: zone}
}

// usableDS keeps the DS records with an algorithm and digest that validate (RFC 8624
// §3.1, §3.3), dropping SHA-1 digests when a stronger one is there (RFC 4509 §3).
// why lists the algorithms of the others when none is left.
func usableDS(ds []*dns.DS) (usable []*dns.DS, why string) {
	strong := false
	var reasons []string
	for _, d := range ds {
		ok, reason := algorithmStatus(d.Algorithm)
		switch {
		case !ok:
			reasons = append(reasons, reason)
		case d.DigestType != dns.SHA1 && d.DigestType != dns.SHA256 && d.DigestType != dns.SHA384:
			reasons = append(reasons, fmt.Sprintf("DS digest type %d, which is not supported", d.DigestType))
		default:
			usable = append(usable, d)
			strong = strong || d.DigestType != dns.SHA1
		}
	}
	if strong {
		usable = slices.DeleteFunc(usable, func(d *dns.DS) bool { return d.DigestType == dns.SHA1 })
	}
	slices.Sort(reasons)
	return usable, strings.Join(slices.Compact(reasons), " and ")
}

// algorithmStatus says whether signatures of alg are validated, and if not why
// (RFC 8624 §3.1).
func algorithmStatus(alg uint8) (bool, string) {
	name := dns.AlgorithmToString[alg]
	if name == "" {
		name = "unassigned"
	}
	switch alg {
	case dns.RSASHA256, dns.RSASHA512, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return true, ""
	case dns.RSASHA1, dns.RSASHA1NSEC3SHA1:
		return false, fmt.Sprintf("algorithm %d (%s), deprecated: SHA-1 signatures are no longer trusted (RFC 8624 §3.1: not to be used for signing)", alg, name)
	case dns.RSAMD5, dns.DSA, dns.DSANSEC3SHA1, dns.ECCGOST:
		return false, fmt.Sprintf("algorithm %d (%s), which validators must not use (RFC 8624 §3.1)", alg, name)
	}
	return false, fmt.Sprintf("algorithm %d (%s), which mailcheck cannot validate", alg, name)
}

// verifyRRset checks that one RRSIG in msg over rrset was made by one of keys, for
// zone, and is in its validity period (RFC 4035 §5.3). The error gives the most
// telling reason when none does.
func (r *Resolver) verifyRRset(rrset []dns.RR, msg []dns.RR, zone string, keys []*dns.DNSKEY) error {
	h := rrset[0].Header()
	var sigs []*dns.RRSIG
	for _, rr := range msg {
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == h.Rrtype && strings.EqualFold(s.Hdr.Name, h.Name) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return fmt.Errorf("no RRSIG, though %s is signed", zone)
	}
	now := r.now()
	var expired, other error
	for _, s := range sigs {
		if !strings.EqualFold(dns.Fqdn(s.SignerName), zone) {
			other = cmp(other, fmt.Errorf("the RRSIG is by %s, not %s", s.SignerName, zone))
			continue
		}
		if ok, why := algorithmStatus(s.Algorithm); !ok {
			other = cmp(other, fmt.Errorf("the only RRSIG uses %s", why))
			continue
		}
		matched := false
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm {
				continue
			}
			matched = true
			if err := s.Verify(k, rrset); err != nil {
				other = fmt.Errorf("the RRSIG by key %d does not verify (%v)", s.KeyTag, err)
				continue
			}
			if !s.ValidityPeriod(now) {
				exp, inc := serialTime(s.Expiration, now), serialTime(s.Inception, now)
				if now.Before(inc) {
					expired = fmt.Errorf("the RRSIG by key %d is not valid before %s", s.KeyTag, inc.UTC().Format(time.RFC3339))
				} else {
					expired = fmt.Errorf("the RRSIG by key %d expired on %s", s.KeyTag, exp.UTC().Format(time.RFC3339))
				}
				continue
			}
			return nil
		}
		if !matched {
			other = cmp(other, fmt.Errorf("the RRSIG names key %d (algorithm %d), which %s does not publish", s.KeyTag, s.Algorithm, zone))
		}
	}
	if expired != nil {
		return expired
	}
	return other
}

// cmp keeps the first error.
func cmp(have, next error) error {
	if have != nil {
		return have
	}
	return next
}

// serialTime reads an RRSIG timestamp (RFC 4034 §3.1.5: serial arithmetic, RFC 1982)
// as the time nearest now.
func serialTime(t uint32, now time.Time) time.Time {
	const span = int64(1) << 32
	u := int64(t)
	n := now.Unix()
	for u < n-span/2 {
		u += span
	}
	for u > n+span/2 {
		u -= span
	}
	return time.Unix(u, 0)
}

// wildcardLabels reports whether rrset's valid signature says it was expanded from a
// wildcard (RRSIG labels below the owner's, RFC 4035 §5.3.4), and the labels field.
func (r *Resolver) wildcardLabels(rrset, msg []dns.RR) (uint8, bool) {
	h := rrset[0].Header()
	n := dns.CountLabel(h.Name)
	for _, rr := range msg {
		if s, ok := rr.(*dns.RRSIG); ok && s.TypeCovered == h.Rrtype && strings.EqualFold(s.Hdr.Name, h.Name) && int(s.Labels) < n {
			return s.Labels, true
		}
	}
	return 0, false
}

// denialError is a failed denial proof; insecure marks one that is unsigned on
// purpose (too many NSEC3 iterations) rather than broken.
type denialError struct {
	msg      string
	insecure bool
}

func (e *denialError) Error() string { return e.msg }

func denialFailure(err error, zone, what string) Validation {
	var de *denialError
	if errors.As(err, &de) && de.insecure {
		return Validation{State: Insecure, Zone: zone, Reason: fmt.Sprintf("%s is not checked: %v", what, err)}
	}
	return Validation{State: Bogus, Zone: zone, Reason: fmt.Sprintf("%s is broken: %v", what, err)}
}

func indeterminate(name string, qtype uint16, err error) Validation {
	return Validation{State: Indeterminate, Reason: fmt.Sprintf("%s %s could not be fetched: %v", name, dns.TypeToString[qtype], err)}
}

func indeterminateRcode(ans *Answer) Validation {
	why := ""
	if ans.Rcode == dns.RcodeServerFailure {
		why = " (a validating resolver answers so for bogus data, too)"
	}
	return Validation{State: Indeterminate, Reason: fmt.Sprintf("%s %s was answered %s%s", ans.Name, dns.TypeToString[ans.Type], ans.RcodeText(), why)}
}

// rrsOf returns the records of type t at owner.
func rrsOf[T dns.RR](rrs []dns.RR, owner string, t uint16) []T {
	var out []T
	for _, rr := range rrs {
		if h := rr.Header(); h.Rrtype == t && strings.EqualFold(h.Name, owner) {
			if v, ok := rr.(T); ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func toRRs[T dns.RR](in []T) []dns.RR {
	out := make([]dns.RR, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

func parentName(n string) string {
	off, end := dns.NextLabel(n, 0)
	if end {
		return "."
	}
	return n[off:]
}

func describeDS(ds []*dns.DS) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("key tag %d, algorithm %d", d.KeyTag, d.Algorithm))
	}
	return strings.Join(parts, "; ")
}

func describeKeys(keys []*dns.DNSKEY) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("key tag %d (algorithm %d, flags %d)", k.KeyTag(), k.Algorithm, k.Flags))
	}
	return strings.Join(parts, ", ")
}

// DomainValidation is the verdict on the answers a domain's mail depends on first: its
// SOA, MX and TXT (SPF) records, or the proofs that they do not exist.
type DomainValidation struct {
	// Validation is the worst of Answers: bogus, then indeterminate, then insecure.
	Validation
	// Answers holds each verdict by type: "SOA", "MX", "TXT".
	Answers map[string]Validation `json:"answers"`
}

// ValidateDomain validates domain's SOA, MX and TXT answers concurrently (the chain's
// DS and DNSKEY queries are shared through the cache) and combines them.
func (r *Resolver) ValidateDomain(ctx context.Context, domain string) DomainValidation {
	qtypes := []uint16{dns.TypeSOA, dns.TypeMX, dns.TypeTXT}
	vs := make([]Validation, len(qtypes))
	var wg sync.WaitGroup
	for i, qt := range qtypes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs[i] = r.Validate(ctx, domain, qt)
		}()
	}
	wg.Wait()
	rank := map[ValidationState]int{Secure: 0, Insecure: 1, Indeterminate: 2, Bogus: 3}
	out := DomainValidation{Validation: vs[0], Answers: map[string]Validation{}}
	for i, v := range vs {
		out.Answers[dns.TypeToString[qtypes[i]]] = v
		if rank[v.State] > rank[out.State] {
			out.Validation = v
		}
	}
	return out
}
