package mailcheck

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/smtpprobe"
)

// daneProbeCheck matches the certificate each probed MX address presented against
// its host's usable TLSA records (RFC 7672 §3.1) and returns the DANE check with the
// outcome: per host in the details (presented), and a dane.match or dane.mismatch
// finding per address. Without the probe, or without a usable TLSA set, dc is
// returned as it is.
func daneProbeCheck(d dnscheck.Domain, dc *Check, probe *smtpprobe.Report, now time.Time) *Check {
	rep, _ := dc.Details.(*dnscheck.DANEReport)
	if rep == nil || probe == nil {
		return dc
	}
	// RFC 7672 §2.2.1: under an insecure MX set senders do not use the TLSA records
	// for this domain, so a mismatch does not stop its mail; the outcome is kept in
	// the details only.
	applies := rep.MXValidation == nil || rep.MXValidation.State != dnscheck.Insecure
	findings := append([]Finding(nil), dc.Findings...)
	matched, mismatched := 0, 0
	for i := range rep.Hosts {
		dh := &rep.Hosts[i]
		if !dh.Usable {
			continue
		}
		for _, ph := range probe.Hosts {
			if strings.TrimSuffix(strings.ToLower(ph.Host), ".") != dh.Host || ph.Outcome == smtpprobe.Unknown {
				continue
			}
			m := dnscheck.MatchTLSA(dh.Records, ph.Certificates, []string{dh.Host, d.ASCII}, now)
			if len(ph.Certificates) == 0 && !ph.STARTTLS {
				m.Reason = "the server does not offer STARTTLS, which senders that do DANE require"
			}
			dh.Presented = append(dh.Presented, dnscheck.DANEPresented{Address: ph.Address.String(), TLSAMatch: m})
			if !applies {
				continue
			}
			where := fmt.Sprintf("%s (%s)", dh.Host, ph.Address)
			ev := &finding.Evidence{Name: dh.Name, Type: "TLSA"}
			if m.Matched {
				matched++
				findings = append(findings, Finding{Code: dnscheck.CodeDANEMatch, Severity: finding.Info, Ref: "RFC 7672 §3.1", Evidence: ev,
					Message: fmt.Sprintf("The certificate %s presented is authenticated by DANE: %s.", where, m.Reason)})
				continue
			}
			mismatched++
			findings = append(findings, Finding{Code: dnscheck.CodeDANEMismatch, Severity: finding.Error, Ref: "RFC 7672 §3.1", Evidence: ev,
				Message: fmt.Sprintf("The certificate %s presented does not match its TLSA records: %s. Senders that do DANE do not deliver to it.", where, m.Reason),
				Fix: fmt.Sprintf("Publish %s TLSA 3 1 1 <SHA-256 of the public key the server now uses> beside the current records (or serve the certificate they name); "+
					"on a key rollover, publish the new key's record before the server uses it.", dh.Name)})
		}
	}
	summary := dc.Summary
	if matched+mismatched > 0 {
		summary += fmt.Sprintf(" Probed certificates: %d match their TLSA records, %d do not.", matched, mismatched)
	}
	return newCheck(dc.ID, d, findings, summary, rep)
}
