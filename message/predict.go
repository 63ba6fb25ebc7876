package message

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/spf"
)

// The finding codes of the predicted DMARC outcome. They are declared here, not in
// package dmarc, because they judge one message (its envelope and signatures), which
// package dmarc never sees; the "dmarc." area says which protocol decides.
const (
	CodePredictedPass finding.Code = "dmarc.predicted-pass"
	CodePredictedFail finding.Code = "dmarc.predicted-fail"
	CodeSPFOnly       finding.Code = "dmarc.spf-only"
	// CodeSPFNotAligned: SPF passes for a MAIL FROM domain not aligned with From.
	CodeSPFNotAligned finding.Code = "spf.not-aligned"
)

// Envelope is the SMTP envelope a receiver sees before the message: the client IP,
// the MAIL FROM address ("" for the null reverse-path <>, as bounces use) and the
// HELO/EHLO name.
type Envelope struct {
	IP       netip.Addr `json:"ip"`
	MailFrom string     `json:"mail_from"`
	HELO     string     `json:"helo,omitempty"`
}

// SPFIdentity returns the identity a receiver checks with SPF for this envelope: the
// MAIL FROM domain, or for a null sender the HELO name (RFC 7208 §2.4), with the
// sender check_host() is given ("postmaster@" + HELO for the HELO identity). Scope is
// "mailfrom" or "helo"; domain is "" when there is nothing to check.
func (e Envelope) SPFIdentity() (scope, domain, sender string) {
	if e.MailFrom != "" {
		at := strings.LastIndexByte(e.MailFrom, '@')
		return "mailfrom", strings.ToLower(strings.TrimSuffix(e.MailFrom[at+1:], ".")), e.MailFrom
	}
	helo := strings.ToLower(strings.TrimSuffix(e.HELO, "."))
	if helo == "" {
		return "helo", "", ""
	}
	return "helo", helo, "postmaster@" + helo
}

// SPFAuth is the SPF authentication of one message's envelope, as DMARC uses it.
type SPFAuth struct {
	Envelope Envelope `json:"envelope"`
	// MailFromSource says where MAIL FROM came from: "given", "return-path" (the
	// message's Return-Path) or "from" (its From address, when it has no Return-Path).
	MailFromSource string `json:"mail_from_source,omitempty"`
	// Scope is "mailfrom", or "helo" when MAIL FROM is null (RFC 7208 §2.4).
	Scope string `json:"scope"`
	// Domain is the identity checked: the MAIL FROM domain or the HELO name.
	Domain string `json:"domain"`
	// Outcome is check_host()'s result and trace.
	Outcome *spf.Outcome `json:"check_host"`
	// Aligned reports that Domain is aligned with the From domain under Alignment
	// (aspf of the From domain's DMARC record; relaxed without one). Set by Predict.
	Aligned   bool                `json:"aligned"`
	Alignment dmarc.AlignmentMode `json:"aspf"`
}

// Result is a DMARC result (RFC 8601 §2.7.5 words).
type Result string

// The DMARC results.
const (
	Pass      Result = "pass"
	Fail      Result = "fail"
	NoPolicy  Result = "none"      // no DMARC policy applies to the From domain
	TempError Result = "temperror" // the policy, or an identifier's result, is unknown (DNS)
)

// Facts are what a receiver knows when it computes DMARC for a message.
type Facts struct {
	// FromDomain is the RFC5322.From domain; "" leaves DMARC unevaluated.
	FromDomain string
	// Policy is dmarc.Discover's answer for FromDomain.
	Policy *dmarc.Discovery
	// DKIM is the verification of the message's signatures (dkim.VerifyMessage).
	DKIM *dkim.MessageReport
	// SPF is the envelope's SPF result; nil when no envelope (client IP) was given.
	SPF *SPFAuth
	// ExpectSigning says the MTA signs the message after this check: an unsigned
	// message is predicted as if it carried an aligned, passing signature.
	ExpectSigning bool
}

// Reading is the DMARC outcome as one kind of receiver computes it.
type Reading struct {
	// Applies is false when no policy applies (Unknown: DNS failed).
	Applies bool `json:"applies"`
	Unknown bool `json:"unknown,omitempty"`
	// PolicyDomain is where the record applied is published.
	PolicyDomain string `json:"policy_domain,omitempty"`
	// Tag is the tag that governs the From domain: p at the policy domain, sp for
	// an existing subdomain, np for a subdomain that does not exist (RFC 9989 only).
	Tag string `json:"tag,omitempty"`
	// Published is that tag's value; Testing reports t=y, which lowers it one step
	// (RFC 9989 §4.7; RFC 7489 receivers ignore t).
	Published dmarc.Policy `json:"published,omitempty"`
	Testing   bool         `json:"testing,omitempty"`
	// Percent is pct (RFC 7489 only): the share of failing mail the policy is applied to.
	Percent int `json:"percent,omitempty"`
	// Policy is what the receiver applies to this message if DMARC fails.
	Policy dmarc.Policy `json:"policy,omitempty"`
	// ADKIM and ASPF are the alignment modes of the record applied.
	ADKIM dmarc.AlignmentMode `json:"adkim,omitempty"`
	ASPF  dmarc.AlignmentMode `json:"aspf,omitempty"`
	// Result is the DMARC result; DKIMAligned lists the d= of the passing aligned
	// signatures and SPFAligned an aligned SPF pass.
	Result      Result   `json:"result"`
	DKIMAligned []string `json:"dkim_aligned,omitempty"`
	SPFAligned  bool     `json:"spf_aligned"`
}

// Prediction is the DMARC outcome a receiver will compute for one message.
type Prediction struct {
	FromDomain string `json:"from_domain"`
	// Result is the RFC 9989 reading's result (RFC 7489's where it differs is in
	// RFC7489).
	Result Result `json:"result"`
	// Via names the aligned identifiers DMARC passes through: "dkim" (d= given in
	// the readings), "spf".
	Via []string `json:"via,omitempty"`
	// Disposition is what the strictest reading does with a failing message
	// (none, quarantine, reject); "" when DMARC passes or no policy applies.
	Disposition dmarc.Policy `json:"disposition,omitempty"`
	RFC9989     Reading      `json:"rfc9989"`
	RFC7489     Reading      `json:"rfc7489"`
	// SPFEvaluated is false when no envelope was given: only DKIM was judged.
	SPFEvaluated bool `json:"spf_evaluated"`
	// AssumesSigning: the message is unsigned and the MTA is expected to sign it
	// with d= the From domain; the prediction counts that signature as passing.
	AssumesSigning bool `json:"assumes_signing,omitempty"`
	// Causes say in words why DMARC fails (empty when it passes).
	Causes []string `json:"causes,omitempty"`
	// Findings are dmarc.predicted-pass or dmarc.predicted-fail, and dmarc.spf-only.
	Findings []Finding `json:"findings"`
}

// Predict computes DMARC for a message as a receiver would (RFC 9989 §4.4, §5.3;
// RFC 7489 §3.1, §6.6): DMARC passes when a DKIM signature passes with a d= aligned
// with From under adkim, or SPF passes for a MAIL FROM (or, for a null sender, HELO)
// domain aligned under aspf; a failing message gets the policy of the tag that governs
// the From domain (p, sp, or np for a non-existent subdomain), lowered by t=y. It also
// fills f.SPF's alignment. It never blocks: every fact is given.
func Predict(f Facts) *Prediction {
	p := &Prediction{FromDomain: f.FromDomain, SPFEvaluated: f.SPF != nil, Findings: []Finding{}}
	if f.FromDomain == "" || f.Policy == nil {
		p.Result = NoPolicy
		return p
	}
	unsigned := f.DKIM == nil || len(f.DKIM.Signatures) == 0
	p.AssumesSigning = unsigned && f.ExpectSigning
	p.RFC9989 = read(f, p.AssumesSigning, f.Policy.RFC9989, true, f.Policy.Exists)
	p.RFC7489 = read(f, p.AssumesSigning, f.Policy.RFC7489, false, f.Policy.Exists)
	if f.SPF != nil {
		mode := p.RFC9989.ASPF
		if mode == "" {
			mode = dmarc.Relaxed
		}
		f.SPF.Alignment = mode
		f.SPF.Aligned = f.SPF.Domain != "" && dmarc.Aligned(f.FromDomain, f.SPF.Domain, mode)
	}
	p.Result = p.RFC9989.Result
	if p.Result == NoPolicy && p.RFC7489.Result != NoPolicy {
		p.Result = p.RFC7489.Result
	}
	if len(p.RFC9989.DKIMAligned) > 0 || len(p.RFC7489.DKIMAligned) > 0 {
		p.Via = append(p.Via, "dkim")
	}
	if p.RFC9989.SPFAligned || p.RFC7489.SPFAligned {
		p.Via = append(p.Via, "spf")
	}
	switch {
	case p.RFC9989.Unknown || p.RFC7489.Unknown:
		where := f.Policy.RFC9989.FailedAt
		if where == "" {
			where = f.Policy.RFC7489.FailedAt
		}
		p.Result = TempError
		p.Findings = append(p.Findings, Finding{Code: dmarc.CodeDNSError, Severity: finding.Warning, Incomplete: true,
			Ref:      "RFC 9989 §4.10",
			Message:  fmt.Sprintf("The DMARC policy of %s could not be looked up (%s failed), so the outcome is unknown.", f.FromDomain, where),
			Fix:      "Make the name servers of the _dmarc names answer.",
			Evidence: &finding.Evidence{Name: where, Type: "TXT"}})
	case p.RFC9989.Result == Pass || p.RFC7489.Result == Pass:
		p.Findings = append(p.Findings, passFindings(f, p)...)
	case p.RFC9989.Result == Fail || p.RFC7489.Result == Fail:
		p.Causes = causes(f, p)
		p.Disposition = strictest(p.RFC9989, p.RFC7489)
		p.Findings = append(p.Findings, failFinding(f, p))
	}
	return p
}

// read evaluates one kind of receiver's reading of the policy.
func read(f Facts, assumeSigned bool, o dmarc.Outcome, rfc9989, exists bool) Reading {
	r := Reading{Applies: o.Applies, Unknown: o.Unknown, Result: NoPolicy}
	if o.Unknown {
		r.Result = TempError
		return r
	}
	if !o.Applies || o.Record == nil {
		return r
	}
	rec := o.Record
	r.PolicyDomain, r.ADKIM, r.ASPF, r.Policy = o.PolicyDomain, rec.DKIMAlignment, rec.SPFAlignment, o.Policy
	switch {
	case o.PolicyDomain == f.FromDomain:
		r.Tag, r.Published = "p", rec.Policy
	case rfc9989 && !exists:
		r.Tag, r.Published = "np", rec.NonexistentPolicy
	default:
		r.Tag, r.Published = "sp", rec.SubdomainPolicy
	}
	if rfc9989 {
		r.Testing = rec.Testing
	} else {
		r.Percent = o.Percent
	}
	if !r.Testing || r.Published == "" {
		// Without t=y the tag's value is what is applied (an invalid one as none).
		r.Published = r.Policy
	}
	if f.DKIM != nil {
		for _, s := range f.DKIM.Signatures {
			// RFC 6376 §3.6.1: a pass with a t=y key is treated as unsigned.
			if s.Result == dkim.Pass && !s.Testing && dmarc.Aligned(f.FromDomain, strings.ToLower(s.Domain), rec.DKIMAlignment) {
				r.DKIMAligned = append(r.DKIMAligned, strings.ToLower(s.Domain))
			}
		}
	}
	if assumeSigned {
		r.DKIMAligned = append(r.DKIMAligned, f.FromDomain)
	}
	if f.SPF != nil && f.SPF.Outcome != nil && f.SPF.Outcome.Result == spf.Pass && f.SPF.Domain != "" {
		r.SPFAligned = dmarc.Aligned(f.FromDomain, f.SPF.Domain, rec.SPFAlignment)
	}
	switch {
	case len(r.DKIMAligned) > 0 || r.SPFAligned:
		r.Result = Pass
	case f.SPF != nil && f.SPF.Outcome != nil && f.SPF.Outcome.Result == spf.TempError,
		f.DKIM != nil && hasTempError(f.DKIM):
		// RFC 9989 §5.3: an identifier whose result is unknown leaves DMARC temperror.
		r.Result = TempError
	default:
		r.Result = Fail
	}
	return r
}

func hasTempError(m *dkim.MessageReport) bool {
	for _, s := range m.Signatures {
		if s.Result == dkim.TempError {
			return true
		}
	}
	return false
}

// strictest is what the stricter of the two readings does with failing mail.
func strictest(a, b Reading) dmarc.Policy {
	rank := map[dmarc.Policy]int{"": 0, dmarc.None: 1, dmarc.Quarantine: 2, dmarc.Reject: 3}
	out := dmarc.Policy("")
	for _, r := range []Reading{a, b} {
		if r.Result == Fail && rank[r.Policy] > rank[out] {
			out = r.Policy
		}
	}
	return out
}

// PolicyWords says which tag governs the From domain and with what value, as
// "p=reject", "sp=quarantine", "np=reject" or "p=reject with t=y (applied as
// quarantine)", naming where the two readings differ.
func (p *Prediction) PolicyWords() string {
	words := func(r Reading) string {
		s := r.Tag + "=" + string(r.Published)
		if r.Testing && r.Policy != r.Published {
			s += fmt.Sprintf(" with t=y (applied as %s)", r.Policy)
		}
		if r.Percent > 0 && r.Percent < 100 {
			s += fmt.Sprintf(" at pct=%d", r.Percent)
		}
		return s
	}
	a, b := p.RFC9989, p.RFC7489
	switch {
	case !a.Applies && !b.Applies:
		return "no policy"
	case !b.Applies:
		return words(a) + " (RFC 7489 receivers apply no policy)"
	case !a.Applies:
		return words(b) + " (RFC 7489 receivers; RFC 9989 receivers apply no policy)"
	}
	wa, wb := words(a), words(b)
	if wa == wb || (a.Policy == b.Policy && a.Tag == b.Tag && a.Published == b.Published && !a.Testing && b.Percent >= 100) {
		return wa
	}
	return fmt.Sprintf("%s (RFC 9989 receivers; RFC 7489 receivers apply %s)", wa, wb)
}

// passFindings are dmarc.predicted-pass, and dmarc.spf-only when SPF is the only path.
func passFindings(f Facts, p *Prediction) []Finding {
	r := p.RFC9989
	if r.Result != Pass {
		r = p.RFC7489
	}
	var via []string
	if len(r.DKIMAligned) > 0 {
		v := fmt.Sprintf("DKIM d=%s (aligned, adkim=%s)", strings.Join(dedupe(r.DKIMAligned), ", d="), r.ADKIM)
		if p.AssumesSigning {
			v = fmt.Sprintf("the DKIM signature the MTA is expected to add (assumed d=%s, aligned)", f.FromDomain)
		}
		via = append(via, v)
	}
	if r.SPFAligned {
		via = append(via, fmt.Sprintf("SPF for %s %s (aligned, aspf=%s)", spfWhat(f.SPF), f.SPF.Domain, r.ASPF))
	}
	out := []Finding{{Code: CodePredictedPass, Severity: finding.Info, Ref: "RFC 9989 §4.4",
		Message: fmt.Sprintf("DMARC will pass for %s through %s.", f.FromDomain, strings.Join(via, " and "))}}
	if len(r.DKIMAligned) == 0 && r.SPFAligned {
		out = append(out, Finding{Code: CodeSPFOnly, Severity: finding.Warning, Ref: "RFC 7208 §10.4, RFC 9989 §4.4",
			Message: fmt.Sprintf("DMARC passes through SPF alone: a forward without SRS makes SPF fail at the final destination, and the message then fails DMARC under %s; DKIM is the path that survives forwarding.", p.PolicyWords()),
			Fix:     fmt.Sprintf("Sign the message with DKIM with d=%s (or a domain aligned with it).", f.FromDomain)})
	}
	return out
}

func spfWhat(s *SPFAuth) string {
	if s.Scope == "helo" {
		return "the HELO name"
	}
	return "the MAIL FROM domain"
}

// failFinding is dmarc.predicted-fail: what the receiver does, and why it fails.
func failFinding(f Facts, p *Prediction) Finding {
	fd := Finding{Code: CodePredictedFail, Severity: finding.Warning, Ref: "RFC 9989 §5.3, RFC 7489 §6.6"}
	does := "still delivers it: the policy only asks for reports"
	switch p.Disposition {
	case dmarc.Reject:
		fd.Severity, does = finding.Error, "rejects it"
	case dmarc.Quarantine:
		fd.Severity, does = finding.Error, "puts it in spam (quarantine)"
	}
	fd.Message = fmt.Sprintf("DMARC will fail for %s under %s, so the receiver %s: %s.", f.FromDomain, p.PolicyWords(), does, strings.Join(p.Causes, " and "))
	switch {
	case f.SPF == nil:
		fd.Message += " (SPF was not evaluated: give the envelope, --ip and --sender, to include it.)"
		if fd.Severity == finding.Error {
			fd.Severity = finding.Warning // a guess on half the facts does not fail the check
		}
		fd.Fix = fmt.Sprintf("Sign the message with DKIM with d=%s, or give the envelope to see whether SPF aligns.", f.FromDomain)
	default:
		fd.Fix = fmt.Sprintf("Sign with DKIM with d=%s (or a subdomain under relaxed adkim), or send through a server %s's SPF authorizes with a MAIL FROM in %s.", f.FromDomain, f.FromDomain, f.FromDomain)
	}
	return fd
}

// causes names why DMARC fails, one phrase per identifier.
func causes(f Facts, p *Prediction) []string {
	r := p.RFC9989
	if !r.Applies {
		r = p.RFC7489
	}
	var out []string
	if s := f.SPF; s != nil && s.Outcome != nil {
		o := s.Outcome
		switch {
		case s.Domain == "":
			out = append(out, "the sender is null and no HELO name was given, so SPF has nothing to check")
		case o.Result == spf.Pass:
			out = append(out, fmt.Sprintf("SPF passes for %s %s, which is not aligned with %s (aspf=%s)", spfWhat(s), s.Domain, f.FromDomain, r.ASPF))
		case o.Result == spf.Fail || o.Result == spf.SoftFail || o.Result == spf.Neutral:
			out = append(out, fmt.Sprintf("sent through another provider's server (%s is not in %s's SPF: %s)", o.IP, s.Domain, o.Result))
		case o.Result == spf.None:
			out = append(out, fmt.Sprintf("%s %s publishes no SPF record", spfWhat(s), s.Domain))
		default:
			out = append(out, fmt.Sprintf("the SPF record of %s cannot be evaluated (%s)", s.Domain, o.Result))
		}
	}
	switch {
	case f.DKIM == nil || len(f.DKIM.Signatures) == 0:
		out = append(out, "the message is not DKIM-signed")
	default:
		for _, s := range f.DKIM.Signatures {
			d := strings.ToLower(s.Domain)
			switch {
			case s.Result == dkim.Pass && s.Testing:
				out = append(out, fmt.Sprintf("the DKIM key of d=%s is in testing mode (t=y), so the signature counts as none", d))
			case s.Result == dkim.Pass:
				out = append(out, fmt.Sprintf("the DKIM signature is d=%s, not aligned with %s (adkim=%s)", d, f.FromDomain, r.ADKIM))
			default:
				why := string(s.Result)
				if s.Reason != "" {
					why += ": " + string(s.Reason)
				}
				out = append(out, fmt.Sprintf("the DKIM signature d=%s does not verify (%s)", d, why))
			}
		}
	}
	return out
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
