package mailcheck

import (
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// Finding is one diagnostic with a stable code; every mailcheck package reports this type.
type Finding = finding.Finding

// Code identifies a kind of finding (see the package's Code constants).
type Code = finding.Code

// Evidence is the data a Finding rests on.
type Evidence = finding.Evidence

// Severity is info, warning or error.
type Severity = finding.Severity

// The severities.
const (
	Info    = finding.Info
	Warning = finding.Warning
	Error   = finding.Error
)

// Status is a check's verdict.
type Status string

// The statuses. A DNS failure is StatusError, never StatusFail: a timeout is not a
// missing record.
const (
	StatusPass  Status = "pass"  // nothing worse than info
	StatusWarn  Status = "warn"  // warnings only
	StatusFail  Status = "fail"  // at least one error-severity finding
	StatusError Status = "error" // the check could not complete (DNS failure) and found no failure
	StatusSkip  Status = "skip"  // not applicable; the reason is in Summary
)

// Check is the result of one check (mx, spf, dmarc, dkim, attachments, ...).
type Check struct {
	// ID names the check: "mx", "spf", "dmarc", "dkim", "attachments".
	ID string `json:"id"`
	// Domain is the checked domain in A-label form (empty for message checks).
	Domain string `json:"domain,omitempty"`
	// DomainUnicode is the U-label form, present when it differs from Domain.
	DomainUnicode string    `json:"domain_unicode,omitempty"`
	Status        Status    `json:"status"`
	Summary       string    `json:"summary"`
	Findings      []Finding `json:"findings"`
	// Details holds the check's facts; its type depends on ID: *dnscheck.MXReport
	// (mx), *spf.Report (spf), *dmarc.Report (dmarc), *dkim.Report (dkim),
	// *mtasts.Report, *tlsrpt.Report, *smtpprobe.Report, *bimi.Report; in a domain
	// Report, the accessors (Report.SPF() and the others) return them typed.
	Details any `json:"details,omitempty"`
	// Points is what the check earned in a domain report (absent outside reports).
	Points *Points `json:"points,omitempty"`
}

// Incomplete reports whether a DNS failure left part of the check undone.
func (c *Check) Incomplete() bool {
	for _, f := range c.Findings {
		if f.Incomplete {
			return true
		}
	}
	return false
}

// statusOf judges a check from its findings: a definite error fails it even when other
// lookups failed; otherwise a failed lookup makes it an error (unknown), then warnings
// make it warn.
func statusOf(findings []Finding) Status {
	worst, incomplete := 0, false
	for _, f := range findings {
		incomplete = incomplete || f.Incomplete
		if !f.Incomplete && f.Severity.Rank() > worst {
			worst = f.Severity.Rank()
		}
	}
	switch {
	case worst >= Error.Rank():
		return StatusFail
	case incomplete:
		return StatusError
	case worst == Warning.Rank():
		return StatusWarn
	}
	return StatusPass
}

// newCheck fills the common fields of a domain check.
func newCheck(id string, d dnscheck.Domain, findings []Finding, summary string, details any) *Check {
	if findings == nil {
		findings = []Finding{}
	}
	c := &Check{ID: id, Domain: d.ASCII, Status: statusOf(findings), Summary: summary, Findings: findings, Details: details}
	if d.Unicode != d.ASCII {
		c.DomainUnicode = d.Unicode
	}
	return c
}
