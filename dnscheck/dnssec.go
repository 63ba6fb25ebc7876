package dnscheck

import (
	"context"

	"github.com/miekg/dns"
)

// DefaultValidationProbe is a name whose DNSSEC signatures are broken on purpose (its
// operator keeps it so for this test): a validating resolver answers it SERVFAIL, a
// non-validating one answers it as usual.
const DefaultValidationProbe = "dnssec-failed.org"

// ValidatesDNSSEC reports whether the upstream resolver validates DNSSEC, by asking it
// for probe, a name with broken signatures: only a validating resolver refuses it with
// SERVFAIL (RFC 4035 §5.5). Without validation the AD bit says nothing about a zone, so
// a clear bit must not read as "unsigned". A zone file never validates. The error is
// set when the probe got no answer at all.
func (r *Resolver) ValidatesDNSSEC(ctx context.Context, probe string) (bool, error) {
	if r.Offline() {
		return false, nil
	}
	ans, err := r.Query(ctx, probe, dns.TypeA)
	if err != nil {
		return false, err
	}
	return ans.Rcode == dns.RcodeServerFailure, nil
}
