package mailcheck

import (
	"github.com/mailcheck/mailcheck/bimi"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/mtasts"
	"github.com/mailcheck/mailcheck/smtpprobe"
	"github.com/mailcheck/mailcheck/spf"
	"github.com/mailcheck/mailcheck/tlsrpt"
)

// Typed views of a domain report's check details, so a program need not know which
// type each Check.Details holds. Each returns nil when the check did not run (a parked
// domain's DKIM, for one) or its details are absent.

// MX returns the MX check's facts: the hosts, their addresses, null or implicit MX.
func (r *Report) MX() *dnscheck.MXReport { return detail[*dnscheck.MXReport](r, "mx") }

// SPF returns the SPF audit: the record, the include tree, lookup and void counts.
func (r *Report) SPF() *spf.Report { return detail[*spf.Report](r, "spf") }

// DMARC returns the DMARC check: the applied record, the policies under RFC 9989 and
// RFC 7489, the discovery lookups and the report destinations.
func (r *Report) DMARC() *dmarc.Report { return detail[*dmarc.Report](r, "dmarc") }

// DKIM returns the DKIM check: the keys found at the named and probed selectors.
func (r *Report) DKIM() *dkim.Report { return detail[*dkim.Report](r, "dkim") }

// MTASTS returns the MTA-STS check: the record, the fetched policy, MX coverage.
func (r *Report) MTASTS() *mtasts.Report { return detail[*mtasts.Report](r, "mtasts") }

// TLSRPT returns the TLS-RPT check: the record and its report destinations.
func (r *Report) TLSRPT() *tlsrpt.Report { return detail[*tlsrpt.Report](r, "tlsrpt") }

// BIMI returns the BIMI check: the record and whether the domain is eligible.
func (r *Report) BIMI() *bimi.Report { return detail[*bimi.Report](r, "bimi") }

// SMTP returns the STARTTLS probe of every MX address (nil unless WithSMTPProbe).
func (r *Report) SMTP() *smtpprobe.Report { return detail[*smtpprobe.Report](r, "smtp") }
