package spf

import (
	"context"
	"net/netip"
)

// Addresses that no one can send mail from: 240.0.0.1 is in the reserved 240.0.0.0/4
// (RFC 1112 §4, never routed) and 100::1 in the IPv6 discard-only prefix (RFC 6666).
// No record can list them on purpose, so check_host() for them reaches every term of
// the policy and answers what receivers do with a sender the domain did not list.
var (
	UnlistedIPv4 = netip.MustParseAddr("240.0.0.1")
	UnlistedIPv6 = netip.MustParseAddr("100::1")
)

// Unlisted is the verdict of a domain's SPF policy on senders it does not list: the
// check_host() outcome itself, not a reading of the record's text. Its results are what
// a judgement of the policy rests on: none (no record), permerror (and why), temperror
// (unknown), and for a working record the result an unlisted sender gets — fail for
// "-all", pass when the record lets every address send.
type Unlisted struct {
	IPv4 *Outcome `json:"ipv4"`
	IPv6 *Outcome `json:"ipv6"`
}

// EvaluateUnlisted runs check_host() for domain with a sender address of each family
// that no record can list on purpose (UnlistedIPv4, UnlistedIPv6).
func EvaluateUnlisted(ctx context.Context, r Resolver, domain string, opts ...Option) *Unlisted {
	sender := "postmaster@" + domain
	return &Unlisted{
		IPv4: CheckHost(ctx, r, UnlistedIPv4, domain, sender, opts...),
		IPv6: CheckHost(ctx, r, UnlistedIPv6, domain, sender, opts...),
	}
}

// Result is the verdict that speaks for the policy: temperror when either evaluation
// hit a DNS failure (the verdict is unknown), else the IPv4 result. An IPv6-only
// permerror (void lookups for hosts without AAAA, RFC 7208 §4.6.4) is a risk for mail
// sent over IPv6, which the audit reports as spf.void-risk-ipv6, not a broken record.
func (u *Unlisted) Result() Result {
	if u.IPv4.Result == TempError || u.IPv6.Result == TempError {
		return TempError
	}
	return u.IPv4.Result
}

// Problem is the reason for a permerror or temperror verdict, "" otherwise.
func (u *Unlisted) Problem() string {
	for _, o := range []*Outcome{u.IPv4, u.IPv6} {
		if o.Result == u.Result() && (o.Result == PermError || o.Result == TempError) {
			return o.Problem
		}
	}
	return ""
}

// PassesEveryone reports whether an address no one can send from passes: the policy
// authorizes every host on the Internet (+all, ip4:0.0.0.0/0, an include that does the
// same, an exists: that always matches), so anyone can send mail that passes SPF, and
// DMARC through the aligned SPF path.
func (u *Unlisted) PassesEveryone() bool {
	return u.IPv4.Result == Pass || u.IPv6.Result == Pass
}

// Wide networks: a pass-qualified ip4 term shorter than /8 authorizes over 16 million
// addresses, an ip6 term shorter than /16 a sixteenth of the routed IPv6 Internet; no
// mail provider publishes ranges that large.
const (
	WidestIPv4Prefix = 8
	WidestIPv6Prefix = 16
)

// WideNetworks lists the pass-qualified ip4/ip6 terms anywhere in the audited tree that
// are wider than WidestIPv4Prefix or WidestIPv6Prefix: as open as +all for the
// addresses they cover, which an unlisted-address evaluation may not reach.
func (rep *Report) WideNetworks() []string {
	var out []string
	var walk func(n *Node)
	walk = func(n *Node) {
		if n == nil {
			return
		}
		if rec, err := Parse(n.Record); err == nil {
			for _, t := range rec.Terms {
				if t.Qualifier.Result() != Pass {
					continue
				}
				if t.Mechanism == MechIP4 && t.Prefix4 >= 0 && t.Prefix4 < WidestIPv4Prefix ||
					t.Mechanism == MechIP6 && t.Prefix6 >= 0 && t.Prefix6 < WidestIPv6Prefix {
					out = append(out, t.String()+" in "+n.Domain)
				}
			}
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(rep.Tree)
	return out
}
