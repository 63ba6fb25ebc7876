package dnscheck

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// DANE for SMTP (RFC 7672): an MX host publishes TLSA records at _25._tcp.<host>, and
// a sending MTA that validates DNSSEC then requires TLS with a certificate matching
// them. The records count only when the TLSA answer is DNSSEC-secure (RFC 7672
// §2.2); for SMTP only DANE-TA(2) and DANE-EE(3) are usable, PKIX-TA(0) and PKIX-EE(1)
// are not (RFC 7672 §3.1.3).

// The certificate usages (RFC 7218 §2.1).
const (
	usagePKIXTA uint8 = 0
	usagePKIXEE uint8 = 1
	usageDANETA uint8 = 2
	usageDANEEE uint8 = 3
)

// TLSARecord is one TLSA record and whether an SMTP client can use it.
type TLSARecord struct {
	Usage        uint8  `json:"usage"`
	Selector     uint8  `json:"selector"`
	MatchingType uint8  `json:"matching_type"`
	Data         string `json:"data"`
	Usable       bool   `json:"usable"`
	// Problem says why an unusable record is unusable.
	Problem string `json:"problem,omitempty"`
}

// DANEHost is the TLSA answer of one MX host.
type DANEHost struct {
	Host    string       `json:"host"`
	Name    string       `json:"name"`
	Records []TLSARecord `json:"records"`
	// Validation is the DNSSEC verdict on the TLSA answer (absent when there is none).
	Validation *Validation `json:"validation,omitempty"`
	// Usable: secure, with at least one usable record: senders that do DANE require
	// verified TLS to this host.
	Usable bool `json:"usable"`
	// Presented is, with the SMTP probe, how the certificate each probed address of
	// the host presented fares against the usable records (MatchTLSA).
	Presented []DANEPresented `json:"presented,omitempty"`
}

// DANEPresented is the TLSA match of the chain one address of a host presented.
type DANEPresented struct {
	Address string `json:"address"`
	TLSAMatch
}

// DANEReport is the outcome of DANE.
type DANEReport struct {
	Hosts []DANEHost `json:"hosts"`
	// MXValidation is the DNSSEC verdict on the domain's MX answer, asked when some
	// host has a secure TLSA set: senders use TLSA records only when it is secure
	// (RFC 7672 §2.2.1).
	MXValidation *Validation       `json:"mx_validation,omitempty"`
	Findings     []finding.Finding `json:"-"`
}

// MXSecure reports whether the MX answer was validated as secure, so that senders
// that do DANE use the hosts' TLSA records for mail to the domain.
func (rep *DANEReport) MXSecure() bool {
	return rep.MXValidation != nil && rep.MXValidation.State == Secure
}

// DANE looks up and judges the TLSA records of each MX host of domain (targets as in
// the MX records; "." is skipped), concurrently. When some host has a secure TLSA set
// it also validates the domain's MX answer (RFC 7672 §2.2.1).
func DANE(ctx context.Context, r *Resolver, domain string, hosts []string) *DANEReport {
	rep := &DANEReport{Hosts: []DANEHost{}}
	results := make([]*DANEHost, len(hosts))
	found := make([][]finding.Finding, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		if h == "." || h == "" {
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); results[i], found[i] = daneHost(ctx, r, h) }()
	}
	wg.Wait()
	for i := range hosts {
		if results[i] != nil {
			rep.Hosts = append(rep.Hosts, *results[i])
		}
		rep.Findings = append(rep.Findings, found[i]...)
	}
	var secure []string
	for _, h := range rep.Hosts {
		if h.Validation != nil && h.Validation.State == Secure {
			secure = append(secure, h.Host)
		}
	}
	if len(secure) == 0 || domain == "" {
		return rep
	}
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	v := r.Validate(ctx, domain, dns.TypeMX)
	rep.MXValidation = &v
	// RFC 7672 §2.2.1: a sender uses the TLSA records of an MX host only when the MX
	// RRset that named the host is secure; otherwise it falls back to opportunistic
	// TLS. Mail is still delivered, and whether the domain is signed is the DNSSEC
	// check's matter, so this is information: the hosts' DANE does not protect this
	// domain. A bogus MX answer is the DNSSEC check's error.
	if v.State == Insecure {
		rep.Findings = append(rep.Findings, finding.Finding{Code: CodeDANEMXInsecure, Severity: finding.Info, Ref: "RFC 7672 §2.2.1",
			Evidence: &finding.Evidence{Name: domain, Type: "MX"},
			Message: fmt.Sprintf("%s publish(es) DNSSEC-secure TLSA records, but the MX records of %s are not DNSSEC-signed (%s): senders that do DANE do not use them for mail to %s and fall back to unauthenticated TLS.",
				strings.Join(secure, ", "), domain, v.Reason, domain),
			Fix: fmt.Sprintf("Sign the zone of %s and publish its DS record at the parent, so that senders can trust the MX records and then the TLSA records.", domain)})
	}
	return rep
}

func daneHost(ctx context.Context, r *Resolver, host string) (*DANEHost, []finding.Finding) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	name := "_25._tcp." + host
	h := &DANEHost{Host: host, Name: name, Records: []TLSARecord{}}
	ans, err := r.Query(ctx, name, dns.TypeTLSA)
	if err == nil {
		if de := ans.dnsError(name); de != nil {
			if de.IsNotFound {
				return nil, nil // no TLSA: the host does not use DANE
			}
			err = de
		}
	}
	if err != nil {
		return h, []finding.Finding{dnsfail.Finding(CodeDANEDNSError, name, "TLSA", err,
			"whether senders that do DANE require verified TLS to "+host, "RFC 7672 §2.2")}
	}
	var raw []string
	for _, rr := range ans.Final() {
		t, ok := rr.(*dns.TLSA)
		if !ok {
			continue
		}
		raw = append(raw, t.String())
		h.Records = append(h.Records, judgeTLSA(t))
	}
	if len(h.Records) == 0 {
		return nil, nil
	}
	ev := &finding.Evidence{Name: name, Type: "TLSA", Records: raw}
	// In an offline run without a trust anchor nothing can be validated.
	if r.Offline() && !r.CustomTrustAnchors() {
		return h, nil
	}
	v := r.Validate(ctx, name, dns.TypeTLSA)
	h.Validation = &v
	var fs []finding.Finding
	switch v.State {
	case Insecure:
		fs = append(fs, finding.Finding{Code: CodeDANEInsecure, Severity: finding.Warning, Ref: "RFC 7672 §2.2", Evidence: ev,
			Message: fmt.Sprintf("%s has TLSA records but they are not DNSSEC-signed (%s): senders ignore them, so DANE does not protect mail to %s.", host, v.Reason, host),
			Fix:     fmt.Sprintf("Sign the zone that holds %s and publish its DS at the parent; or delete the TLSA records, which do nothing unsigned.", name)})
		return h, fs
	case Bogus:
		fs = append(fs, finding.Finding{Code: CodeDANEBogus, Severity: finding.Error, Ref: "RFC 7672 §2.2", Evidence: ev,
			Message: fmt.Sprintf("The TLSA answer for %s fails DNSSEC validation (%s): senders that do DANE cannot tell whether TLS is required and defer mail to %s.", host, v.Reason, host),
			Fix:     "Re-sign the zone and make the DS at the parent match a current DNSKEY."})
		return h, fs
	case Indeterminate:
		return h, nil // the validation could not run (failure, stripping upstream): not judged
	}
	usable := 0
	for _, rec := range h.Records {
		if rec.Usable {
			usable++
			continue
		}
		code := CodeDANEBadParams
		if rec.Usage == usagePKIXTA || rec.Usage == usagePKIXEE {
			code = CodeDANEPKIXUsage
		}
		fs = append(fs, finding.Finding{Code: code, Severity: finding.Warning, Ref: "RFC 7672 §3.1", Evidence: ev,
			Message: fmt.Sprintf("A TLSA record of %s (%d %d %d) is unusable for SMTP: %s.", host, rec.Usage, rec.Selector, rec.MatchingType, rec.Problem),
			Fix:     fmt.Sprintf("Publish %s TLSA 3 1 1 <SHA-256 of the server's public key> (DANE-EE), or 2 1 1 for the issuing CA's key (DANE-TA), and remove this record.", name)})
	}
	h.Usable = usable > 0
	if !h.Usable {
		// RFC 7672 §2.2: a secure TLSA RRset with no usable record still makes senders
		// require TLS, but without authentication; the records above say what to fix.
		for i := range fs {
			fs[i].Severity = finding.Error
			fs[i].Message += " No record of the set is usable, so senders that do DANE cannot authenticate the host."
		}
	}
	return h, fs
}

// judgeTLSA checks a record's parameters for SMTP (RFC 7672 §3.1, RFC 6698 §2.1).
func judgeTLSA(t *dns.TLSA) TLSARecord {
	rec := TLSARecord{Usage: t.Usage, Selector: t.Selector, MatchingType: t.MatchingType, Data: strings.ToLower(t.Certificate)}
	switch {
	case t.Usage == usagePKIXTA || t.Usage == usagePKIXEE:
		rec.Problem = fmt.Sprintf("usage %d (PKIX-%s) is not for SMTP, where there is no agreed set of trusted CAs (RFC 7672 §3.1.3); use 3 (DANE-EE) or 2 (DANE-TA)",
			t.Usage, map[uint8]string{0: "TA", 1: "EE"}[t.Usage])
	case t.Usage != usageDANETA && t.Usage != usageDANEEE:
		rec.Problem = fmt.Sprintf("usage %d is not defined", t.Usage)
	case t.Selector > 1:
		rec.Problem = fmt.Sprintf("selector %d is not defined (0 full certificate, 1 public key)", t.Selector)
	case t.MatchingType > 2:
		rec.Problem = fmt.Sprintf("matching type %d is not defined (0 exact, 1 SHA-256, 2 SHA-512)", t.MatchingType)
	case t.MatchingType == 1 && len(t.Certificate) != 64, t.MatchingType == 2 && len(t.Certificate) != 128:
		rec.Problem = fmt.Sprintf("the data is %d hex digits, not a SHA-%d digest", len(t.Certificate), map[uint8]int{1: 256, 2: 512}[t.MatchingType])
	default:
		rec.Usable = true
	}
	return rec
}
