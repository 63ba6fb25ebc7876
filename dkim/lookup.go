package dkim

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// Resolver is the DNS this package needs, with *net.Resolver's method shapes;
// *net.Resolver and *dnscheck.Resolver both satisfy it. A *net.DNSError with
// IsNotFound means "no such record"; any other error is a DNS failure. With a
// *dnscheck.Resolver the reports also tell NXDOMAIN from NODATA, which discovery
// uses (RFC 8020).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupCNAME(ctx context.Context, host string) (string, error)
}

// KeyStatus says what the DNS answered for a key name.
type KeyStatus string

// The lookup outcomes.
const (
	// KeyFound: at least one TXT record is published (it may still be unusable).
	KeyFound KeyStatus = "found"
	// KeyMissing: the name or its TXT record does not exist.
	KeyMissing KeyStatus = "missing"
	// KeyDNSError: the lookup failed (timeout, SERVFAIL, ...); the answer is unknown.
	KeyDNSError KeyStatus = "dns_error"
)

// KeyResult is what one selector's key lookup found.
type KeyResult struct {
	// Selector and Domain name the key; Name is <selector>._domainkey.<domain>.
	Selector string `json:"selector"`
	Domain   string `json:"domain"`
	Name     string `json:"name"`
	// Status is the lookup outcome; Rcode details a failure or absence
	// ("NXDOMAIN", "NODATA", "SERVFAIL", "timeout", ...).
	Status KeyStatus `json:"status"`
	Rcode  string    `json:"rcode,omitempty"`
	// CNAME is the canonical name the key name points to, when it is an alias (the
	// usual way providers such as Microsoft 365 publish keys they rotate).
	CNAME string `json:"cname,omitempty"`
	// Records are the TXT records found, each one's strings joined.
	Records []string `json:"records,omitempty"`
	// Key is the first usable key among Records.
	Key *Key `json:"key,omitempty"`
	// Provider is the selector group the key was discovered through, if any.
	Provider string `json:"provider,omitempty"`
	// Discovered reports a key found by probing rather than asked for.
	Discovered bool `json:"discovered,omitempty"`
	// Findings are this key's diagnostics.
	Findings []Finding `json:"findings,omitempty"`

	err error
}

// Err returns the DNS error of a failed lookup, nil otherwise.
func (k *KeyResult) Err() error { return k.err }

// KeyName returns the DNS name of a selector's key (RFC 6376 §3.6.2.1).
func KeyName(selector, domain string) string {
	return selector + "._domainkey." + domain
}

// LookupKey fetches and lints the key published for selector at domain. A missing key
// is reported as dkim.key-missing, a failed lookup as dkim.dns-error (Incomplete).
// The error is only for names that are not valid DNS names.
func LookupKey(ctx context.Context, r Resolver, domain, selector string) (*KeyResult, error) {
	d, err := dnscheck.NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	if err := checkSelector(selector); err != nil {
		return nil, err
	}
	kr := lookupKey(ctx, r, d.ASCII, strings.ToLower(selector))
	if kr.Status == KeyMissing {
		kr.Findings = append(kr.Findings, missingFinding(kr))
	}
	return kr, nil
}

// ErrInvalidSelector is wrapped when a selector is not a valid DNS name part.
var ErrInvalidSelector = errors.New("dkim: invalid selector")

// checkSelector applies RFC 6376 §3.1: a selector is one or more dot-separated
// sub-domain labels.
func checkSelector(s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty", ErrInvalidSelector)
	}
	if _, err := dnscheck.NormalizeDomain(KeyName(s, "example")); err != nil || strings.Contains(s, "..") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return fmt.Errorf("%w: %q is not a DNS name", ErrInvalidSelector, s)
	}
	return nil
}

// lookupKey does the lookup without judging absence: discovery probes many names
// that are expected not to exist.
func lookupKey(ctx context.Context, r Resolver, domain, selector string) *KeyResult {
	name := KeyName(selector, domain)
	kr := &KeyResult{Selector: selector, Domain: domain, Name: name}
	txts, err := r.LookupTXT(ctx, name)
	switch {
	case err != nil && dnsfail.IsNotFound(err):
		kr.Status, kr.Rcode, kr.err = KeyMissing, rcodeOf(err), err
		kr.CNAME = cnameOf(ctx, r, name, false)
		return kr
	case err != nil:
		kr.Status, kr.Rcode, kr.err = KeyDNSError, rcodeOf(err), err
		kr.Findings = append(kr.Findings, dnsErrorFinding(name, err))
		return kr
	case len(txts) == 0:
		kr.Status, kr.Rcode = KeyMissing, "NODATA"
		return kr
	}
	kr.Status, kr.Records = KeyFound, txts
	kr.CNAME = cnameOf(ctx, r, name, true)
	kr.lint()
	return kr
}

// querier is implemented by *dnscheck.Resolver: the whole answer to a question, here
// served from its cache since LookupTXT just asked it.
type querier interface {
	Query(ctx context.Context, name string, qtype uint16) (*dnscheck.Answer, error)
}

// typeTXT is the TXT record type (RFC 1035 §3.2.2).
const typeTXT = 16

// cnameOf returns where name's CNAME chain ends, or "" when it is no alias. From a
// dnscheck.Resolver it costs no query and also works for a dangling alias (a CNAME to
// a name without a key: a provider's key not yet created). Other resolvers are asked
// with LookupCNAME, only for keys that exist, since it costs a query.
func cnameOf(ctx context.Context, r Resolver, name string, found bool) string {
	target := ""
	if q, ok := r.(querier); ok {
		if ans, err := q.Query(ctx, name, typeTXT); err == nil {
			if chain := ans.Chain(); len(chain) > 0 {
				target = chain[len(chain)-1]
			}
		}
	} else if found {
		if t, err := r.LookupCNAME(ctx, name); err == nil {
			target = t
		}
	}
	target = strings.ToLower(strings.TrimSuffix(target, "."))
	if target == name {
		return ""
	}
	return target
}

// lint lints the records in kr.
func (kr *KeyResult) lint() {
	if len(kr.Records) > 1 {
		// RFC 6376 §3.6.2.2: several TXT records at a key name make the result
		// undefined; verifiers differ (some fail, some try the first).
		f := Finding{
			Code: CodeMultipleKeyRecords, Severity: finding.Error,
			Message:  fmt.Sprintf("%s has %d TXT records; verifiers expect exactly one key record and may fail signatures.", kr.Name, len(kr.Records)),
			Fix:      "Delete all but the current key record.",
			Ref:      "RFC 6376 §3.6.2.2",
			Evidence: &Evidence{Name: kr.Name, Type: "TXT", Records: kr.Records},
		}
		// Which key is current can be told only when one record is a usable key.
		usable := -1
		for i, rec := range kr.Records {
			if k, err := ParseKey(rec); err == nil && !k.Revoked {
				if usable >= 0 {
					usable = -2
					break
				}
				usable = i
			}
		}
		if usable >= 0 {
			f.Fix = "Delete the records that are not a usable key, keeping: " + shortRecord(kr.Records[usable])
			for i, rec := range kr.Records {
				if i != usable {
					f.FixRecords = append(f.FixRecords, finding.FixRecord{Action: finding.Delete, Name: kr.Name, Type: "TXT", Replaces: rec})
				}
			}
		}
		kr.Findings = append(kr.Findings, f)
	}
	for _, rec := range kr.Records {
		k, fs := LintKey(kr.Name, rec)
		if kr.CNAME != "" {
			for i := range fs {
				fs[i].Evidence.Detail = strings.TrimPrefix(fs[i].Evidence.Detail+"; ", "; ") + "via CNAME " + kr.CNAME
				if fs[i].FixRecords != nil {
					// The record is the provider's, behind the alias: not the owner's to edit.
					fs[i].FixRecords = nil
					fs[i].Fix += fmt.Sprintf(" The record is published at %s (an alias target): ask that provider to correct it.", kr.CNAME)
				}
			}
		}
		kr.Findings = append(kr.Findings, fs...)
		if kr.Key == nil && k != nil {
			kr.Key = k
		}
	}
}

func missingFinding(kr *KeyResult) Finding {
	f := Finding{
		Code: CodeKeyMissing, Severity: finding.Error,
		Message:  fmt.Sprintf("No DKIM key is published for selector %q at %s (%s), so signatures that use it fail.", kr.Selector, kr.Name, kr.Rcode),
		Fix:      fmt.Sprintf("Publish the TXT record your signer gives for %s, e.g. v=DKIM1; k=rsa; p=<base64 public key>", kr.Name),
		Ref:      "RFC 6376 §6.1.2",
		Evidence: &Evidence{Name: kr.Name, Type: "TXT", Rcode: kr.Rcode},
	}
	if kr.CNAME != "" {
		f.Message = fmt.Sprintf("%s is an alias (CNAME) of %s, which has no DKIM key (%s), so signatures with selector %q fail.", kr.Name, kr.CNAME, kr.Rcode, kr.Selector)
		f.Fix = "Turn DKIM signing on at the provider the alias points to (that creates its key), or correct the CNAME target."
		f.Evidence.Detail = "CNAME " + kr.CNAME
	}
	return f
}

func dnsErrorFinding(name string, err error) Finding {
	return dnsfail.Finding(CodeDNSError, name, "TXT", err,
		"whether a key is published there (receivers seeing the same failure defer or fail DKIM)", "RFC 6376 §6.1.2")
}

// rcodeOf names a lookup failure or absence in DNS terms (internal/dnsfail).
func rcodeOf(err error) string { return string(dnsfail.Classify(err)) }
