package mailcheck

import (
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/bimi"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/message"
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

// Typed views of a message report's check details, as for Report. Each returns nil
// when the check did not run (SPF without WithEnvelope) or has no details.

// SPF returns the envelope's SPF result as the receiver will see it (nil unless
// WithEnvelope).
func (r *MessageReport) SPF() *message.SPFAuth { return detail[*message.SPFAuth](r, "spf") }

// DKIM returns each DKIM signature's verification and alignment with From.
func (r *MessageReport) DKIM() *dkim.MessageReport { return detail[*dkim.MessageReport](r, "dkim") }

// DMARC returns the predicted DMARC outcome: the policy that applies and whether SPF
// or DKIM gives an aligned pass.
func (r *MessageReport) DMARC() *message.Prediction { return detail[*message.Prediction](r, "dmarc") }

// Attachments returns the attachment scan: each file and every receiver's verdict.
func (r *MessageReport) Attachments() *attachments.Report {
	return detail[*attachments.Report](r, "attachments")
}

// Content returns the content check: the links and the message size.
func (r *MessageReport) Content() *ContentReport { return detail[*ContentReport](r, "content") }
