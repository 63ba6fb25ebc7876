package mailcheck

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/internal/header"
	"github.com/mailcheck/mailcheck/message"
	"github.com/mailcheck/mailcheck/spf"
)

// envelopeIdentity completes the envelope: MAIL FROM as given ("<>": null), else the
// message's Return-Path (what the sending MTA keeps as the envelope sender), else its
// From address (what most MTAs use when none is set); then the SPF identity.
func envelopeIdentity(e *envelopeConfig, hdr *message.Header) *message.SPFAuth {
	env := message.Envelope{IP: e.ip, HELO: strings.TrimSuffix(e.helo, ".")}
	source := "given"
	mailFrom := strings.TrimSpace(e.mailFrom)
	if mailFrom == "" && hdr.Readable {
		if rp := hdr.Fields.Get("Return-Path"); rp != "" {
			mailFrom, source = strings.TrimSpace(rp), "return-path"
		} else if list, err := header.Addresses(hdr.Fields.Get("From")); err == nil && len(list) == 1 {
			mailFrom, source = list[0].Address, "from"
		}
	}
	mailFrom = strings.TrimSuffix(strings.TrimPrefix(mailFrom, "<"), ">")
	env.MailFrom = mailFrom
	scope, domain, _ := env.SPFIdentity()
	return &message.SPFAuth{Envelope: env, MailFromSource: source, Scope: scope, Domain: domain}
}

func senderFor(a *message.SPFAuth) string {
	_, _, sender := a.Envelope.SPFIdentity()
	return sender
}

// expectSigning turns dkim.unsigned into info: the MTA signs after this check.
func expectSigning(c *Check) {
	for i, f := range c.Findings {
		if f.Code == dkim.CodeUnsigned {
			c.Findings[i].Severity = Info
			c.Findings[i].Message = "The message has no DKIM-Signature yet; the MTA is expected to sign it after this check (--expect-signing), and the DMARC prediction assumes a signature with d= the From domain."
			c.Findings[i].Fix = "Make sure the MTA signs with d= the From domain (or a subdomain of it, under relaxed adkim)."
			c.Summary = "The message is not DKIM-signed yet; the MTA is expected to sign it."
		}
	}
	c.Status = statusOf(c.Findings)
}

// spfEnvelopeCheck is the "spf" check of a message: check_host() of the envelope's
// identity and its alignment with From.
func spfEnvelopeCheck(a *message.SPFAuth, p *message.Prediction) *Check {
	var fs []Finding
	var summary string
	switch {
	case a.Outcome == nil:
		fs = append(fs, Finding{Code: spf.CodeResult, Severity: Warning, Ref: "RFC 7208 §2.4",
			Message: "MAIL FROM is null and no HELO name was given, so there is no identity for SPF to check.",
			Fix:     "Give the HELO name the server will use (--helo)."})
		summary = "No SPF identity: null MAIL FROM and no HELO name."
	default:
		f := spfResultFinding(a.Outcome)
		// A failing SPF does not stop the message when DMARC passes through DKIM:
		// receivers that follow RFC 7489 §10.1 wait for DMARC before rejecting.
		if f.Severity == Error && !f.Incomplete && p.Result == message.Pass {
			f.Severity = Warning
			f.Message += " DMARC still passes through DKIM."
		}
		fs = append(fs, f)
		summary = spfHostSummary(a.Outcome)
		what := "MAIL FROM " + a.Domain
		if a.Scope == "helo" {
			what = "HELO " + a.Domain + " (null MAIL FROM, RFC 7208 §2.4)"
		}
		align := "aligned"
		if !a.Aligned {
			align = "not aligned"
		}
		summary += fmt.Sprintf(" %s is %s with From %s (aspf=%s).", what, align, orNone(p.FromDomain), a.Alignment)
		if a.Outcome.Result == spf.Pass && !a.Aligned && p.FromDomain != "" {
			fs = append(fs, Finding{Code: message.CodeSPFNotAligned, Severity: Info, Ref: "RFC 9989 §4.4.2",
				Message: fmt.Sprintf("SPF passes for %s, which is not aligned with the From domain %s (aspf=%s), so it does not count for DMARC.", a.Domain, p.FromDomain, a.Alignment),
				Fix:     fmt.Sprintf("Use a MAIL FROM (Return-Path) in %s, e.g. a bounce subdomain your provider supports, or rely on an aligned DKIM signature.", p.FromDomain)})
		}
	}
	return &Check{ID: "spf", Status: statusOf(fs), Summary: summary, Findings: fs, Details: a}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// dmarcPredictionCheck is the "dmarc" check of a message: the predicted outcome.
func dmarcPredictionCheck(p *message.Prediction) *Check {
	var summary string
	switch p.Result {
	case message.Pass:
		summary = fmt.Sprintf("DMARC passes for %s through %s; policy %s.", p.FromDomain, strings.ToUpper(strings.Join(p.Via, " and ")), p.PolicyWords())
		if p.AssumesSigning {
			summary += " (Assumes the MTA adds an aligned DKIM signature.)"
		}
	case message.Fail:
		summary = fmt.Sprintf("DMARC fails for %s under %s: %s.", p.FromDomain, p.PolicyWords(), strings.Join(p.Causes, " and "))
	case message.TempError:
		summary = fmt.Sprintf("The DMARC outcome for %s is unknown (DNS).", orNone(p.FromDomain))
	default:
		if p.FromDomain == "" {
			summary = "No From domain: DMARC cannot be evaluated."
		} else {
			summary = fmt.Sprintf("No DMARC policy applies to %s: receivers judge SPF and DKIM alone.", p.FromDomain)
		}
	}
	fs := p.Findings
	if fs == nil {
		fs = []Finding{}
	}
	return &Check{ID: "dmarc", Status: statusOf(fs), Summary: summary, Findings: fs, Details: p}
}

// verdictOf says what each selected receiver does with the message: the header
// errors receivers refuse, the attachment policies, and DMARC's disposition.
func verdictOf(headers *Check, p *message.Prediction, att *attachments.Report, size *message.Size) Verdict {
	var names []string
	var attVerdict = map[string]attachments.Verdict{}
	if att != nil {
		for _, v := range att.Receivers {
			names = append(names, v.Receiver)
			attVerdict[v.Receiver] = v
		}
	}
	if len(names) == 0 {
		names = []string{"receivers"}
	}
	var headerErr string
	for _, f := range headers.Findings {
		if f.Severity == Error && !f.Incomplete {
			headerErr = strings.TrimSuffix(f.Message, ".")
			break
		}
	}
	dmarcWhy := ""
	if p.Result == message.Fail && p.SPFEvaluated {
		dmarcWhy = fmt.Sprintf("DMARC fails under %s — %s", p.PolicyWords(), strings.Join(p.Causes, " and "))
	}
	v := Verdict{Accepted: true}
	for _, name := range names {
		rv := ReceiverVerdict{Receiver: name, Action: "accept"}
		if headerErr != "" {
			rv.Action, rv.Reasons = "reject", append(rv.Reasons, headerErr)
		}
		if a, ok := attVerdict[name]; ok && a.Action == attachments.Reject {
			rv.Action, rv.Reasons = "reject", append(rv.Reasons, a.Reason)
		}
		if size != nil {
			for _, l := range size.Limits {
				if l.Receiver == name && l.Exceeded {
					rv.Action = "reject"
					rv.Reasons = append(rv.Reasons, fmt.Sprintf("the message is %d bytes once sent, over %s's limit of %d", size.WireBytes, name, l.MaxBytes))
				}
			}
		}
		switch p.Disposition {
		case dmarc.Reject:
			if dmarcWhy != "" {
				rv.Action, rv.Reasons = "reject", append(rv.Reasons, dmarcWhy)
			}
		case dmarc.Quarantine:
			if dmarcWhy != "" {
				if rv.Action == "accept" {
					rv.Action = "spam"
				}
				rv.Reasons = append(rv.Reasons, dmarcWhy)
			}
		}
		if rv.Action != "accept" {
			v.Accepted = false
		}
		v.Receivers = append(v.Receivers, rv)
	}
	if v.Accepted {
		v.Line = "would be accepted by every selected receiver"
		if p.Result == message.Fail && !p.SPFEvaluated {
			v.Line += ", unless SPF fails too: DMARC fails through DKIM alone (give --ip and --sender to know)"
		}
		return v
	}
	var parts []string
	for _, action := range []string{"reject", "spam"} {
		var who []string
		var why []string
		for _, rv := range v.Receivers {
			if rv.Action == action {
				who = append(who, rv.Receiver)
				for _, r := range rv.Reasons {
					if !containsString(why, r) {
						why = append(why, r)
					}
				}
			}
		}
		if len(who) == 0 {
			continue
		}
		verb := "would be rejected by "
		if action == "spam" {
			verb = "would be put in spam by "
		}
		parts = append(parts, verb+strings.Join(who, ", ")+": "+strings.Join(why, "; "))
	}
	v.Line = strings.Join(parts, "; ")
	return v
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
