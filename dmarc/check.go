package dmarc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// Authorization is the state of an external report destination (RFC 9990 §3, RFC
// 7489 §7.1).
type Authorization string

// The authorization states.
const (
	// NotNeeded: the destination is under the policy domain's Organizational Domain.
	NotNeeded Authorization = "not-needed"
	// Authorized: <policy-domain>._report._dmarc.<host> has a v=DMARC1 record.
	Authorized Authorization = "authorized"
	// Unauthorized: no such record; receivers will not send reports there.
	Unauthorized Authorization = "unauthorized"
	// Unverified: the DNS failed, so the state is unknown.
	Unverified Authorization = "unverified"
)

// MailState says whether a mailto: destination's domain can receive mail.
type MailState string

// The mail states.
const (
	// HasMX: the domain publishes MX records.
	HasMX MailState = "mx"
	// ImplicitMX: no MX, but an address record serves as the implicit MX (RFC 5321 §5.1).
	ImplicitMX MailState = "implicit-mx"
	// NoMail: no MX and no address, or a null MX (RFC 7505).
	NoMail MailState = "no-mail"
	// MailUnverified: the DNS failed.
	MailUnverified MailState = "unverified"
	// NotMail: the URI is not mailto:, so there is no mailbox to check.
	NotMail MailState = "not-mailto"
)

// Destination is one rua or ruf URI of the applied record, with its checks.
type Destination struct {
	// Tag is "rua" or "ruf".
	Tag string `json:"tag"`
	URI URI    `json:"uri"`
	// External is true when the host's Organizational Domain differs from the policy domain's.
	External bool `json:"external"`
	// Authorization is the external authorization state.
	Authorization Authorization `json:"authorization"`
	// AuthorizationName is the name queried for the authorization record.
	AuthorizationName string `json:"authorization_name,omitempty"`
	// Override lists the URIs the report consumer's authorization record names for
	// this tag instead (RFC 9989 Appendix B.2.4); receivers send there.
	Override []string `json:"override,omitempty"`
	// Mail says whether the mailbox domain accepts mail.
	Mail MailState `json:"mail"`
}

// Report is the outcome of checking a domain's DMARC setup.
type Report struct {
	// Domain is the domain checked (A-label form, lower case).
	Domain string `json:"domain"`
	// Record is the RFC 9989 applied record, nil when none applies.
	Record *Record `json:"-"`
	// RecordText is the applied record's text.
	RecordText string `json:"record,omitempty"`
	// FoundAt is the owner name of the applied record, e.g. "_dmarc.example.com".
	FoundAt string `json:"found_at,omitempty"`
	// Source says how the applied record relates to Domain.
	Source Source `json:"source,omitempty"`
	// EffectivePolicy is what RFC 9989 receivers apply to failing mail from Domain,
	// after inheritance and t=y; empty when no policy applies.
	EffectivePolicy Policy `json:"effective_policy,omitempty"`
	// SubdomainPolicy is the same for an existing subdomain without its own record.
	SubdomainPolicy Policy `json:"subdomain_policy,omitempty"`
	// NonexistentPolicy is the same for a subdomain that does not exist.
	NonexistentPolicy Policy `json:"nonexistent_policy,omitempty"`
	// Tags is the applied record's tag table: every tag's value in force, explicit or default.
	Tags []Setting `json:"tags,omitempty"`
	// Discovery holds every lookup and the RFC 9989 and RFC 7489 outcomes.
	Discovery *Discovery `json:"discovery"`
	// Destinations are the report destinations of the applied record.
	Destinations []Destination `json:"destinations,omitempty"`
	// Findings are the diagnostics, most important first within each step.
	// Left out of JSON: a report carries them once, at the check level.
	Findings []Finding `json:"-"`
}

// Check discovers the DMARC policy for domain, judges the record, and checks its
// report destinations. The error is set only when the check could not run (an
// invalid domain); DNS failures, a timeout included, become findings marked Incomplete.
func Check(ctx context.Context, r Resolver, domain string) (*Report, error) {
	disc, err := Discover(ctx, r, domain)
	if err != nil {
		return nil, err
	}
	res := &Report{Domain: disc.Domain, Discovery: disc}
	c := &checker{res: res, plans: map[string]*plan{}, txt: map[string]txtAnswer{}}
	o := disc.RFC9989
	if o.Applies {
		res.Record, res.RecordText = o.Record, o.Record.Raw
		res.FoundAt = "_dmarc." + o.PolicyDomain
		res.Source = o.Source
		res.EffectivePolicy, res.SubdomainPolicy, res.NonexistentPolicy = o.Policy, o.SubdomainPolicy, o.NonexistentPolicy
		res.Tags = o.Record.Settings()
	}

	c.lookupFindings(ctx, r, disc)
	var apex *plan
	if l := disc.Lookup(disc.Domain); l != nil && !l.Failed() && len(l.DMARC) == 0 {
		apex = c.atApex(ctx, r, disc.Domain, l)
	}
	// Unknown is not missing: a failed lookup may hide the record that applies.
	if !o.Applies && !disc.RFC7489.Applies && !disc.Unknown() {
		c.missing(ctx, r, disc, apex)
	}
	if o.Ignored != nil {
		// The record is ignored (RFC 9989 §4.10.1); say why, tag by tag.
		c.issueFindings(ctx, r, o.Ignored, disc.Lookup(recordDomain(disc, o.Ignored)))
	}
	if o.Applies {
		c.recordFindings(ctx, r, disc, o)
		// A Public Suffix Domain's report addresses are its operator's business, not
		// something the owner of this domain can fix: they are not checked.
		if o.Source != AtPublicSuffixDomain {
			res.Destinations = c.destinations(ctx, r, o)
		}
	}
	c.mismatch(disc)
	return res, nil
}

type checker struct {
	res *Report
	// plans are the fixes that leave each _dmarc name walked with one valid record, by domain.
	plans map[string]*plan
	// txt memoizes the TXT lookups of the domains themselves (apex DMARC, SPF).
	txt map[string]txtAnswer
}

type txtAnswer struct {
	records []string
	err     error
}

func (c *checker) add(f Finding) {
	f.Message = sentence(f.Message)
	c.res.Findings = append(c.res.Findings, f)
}

// sentence makes a finding's message read like the other checks': it starts with a
// capital unless it starts with a name or a tag=value ("_dmarc.example.com has …",
// "t=y: …"), and it ends with a full stop (or the question of a did-you-mean).
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	first, _, _ := strings.Cut(msg, " ")
	if c := msg[0]; 'a' <= c && c <= 'z' && !strings.ContainsAny(first, ".=@:") {
		msg = string(c-'a'+'A') + msg[1:]
	}
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return msg
}

// apexTXT returns the TXT records at the domain itself.
func (c *checker) apexTXT(ctx context.Context, r Resolver, domain string) ([]string, error) {
	a, ok := c.txt[domain]
	if !ok {
		a.records, a.err = r.LookupTXT(ctx, domain)
		c.txt[domain] = a
	}
	return a.records, a.err
}

// owner is the name where the record a lookup found is published: the CNAME target
// when _dmarc.<domain> is an alias (a DMARC provider hosts it), else the name asked.
func owner(l *Lookup) string {
	if l.CNAME != "" {
		return l.CNAME
	}
	return l.Name
}

// lookupFindings reports DNS failures, multiple records and stray TXT records.
func (c *checker) lookupFindings(ctx context.Context, r Resolver, disc *Discovery) {
	o := disc.RFC9989
	for _, l := range disc.Lookups {
		if l.Failed() {
			unknown := "the DMARC policy that applies to " + disc.Domain
			if o.Applies {
				// The domain's own record was found below the failure.
				unknown = "the Organizational Domain of " + disc.Domain + ", and so the policy for its subdomains,"
			}
			c.add(dnsfail.Finding(CodeDNSError, l.Name, "TXT", l.Err, unknown, "RFC 9989 §4.10"))
			continue
		}
		// Records above the Organizational Domain belong to someone else (a PSO).
		if !within(l.Domain, o.OrganizationalDomain) && !within(l.Domain, disc.RFC7489.OrganizationalDomain) {
			continue
		}
		// One plan per name: every DMARC-like record there is the owner's; the fix
		// keeps one, corrected, and deletes the rest.
		pl := planName(owner(l), l.TXT, true)
		c.plans[l.Domain] = pl
		withPlan := func(f Finding, fallback string) Finding {
			f.Fix = fallback
			if pl != nil {
				f.Fix, f.FixRecords = pl.prose, pl.fixes
			}
			return f
		}
		if len(l.DMARC) > 1 {
			c.add(withPlan(Finding{
				Code: CodeMultipleRecords, Severity: finding.Error,
				Message: fmt.Sprintf("%s has %d DMARC records; receivers discard them all, so %s has no usable policy there", l.Name, len(l.DMARC), l.Domain),
				Ref:     "RFC 9989 §4.10", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: l.DMARC},
			}, "Keep exactly one v=DMARC1 TXT record at "+l.Name+"."))
		}
		if len(l.DMARC) == 1 && l.ParseError != nil {
			c.add(withPlan(Finding{
				Code: CodeSyntax, Severity: finding.Error,
				Message: fmt.Sprintf("the DMARC record at %s is not valid, so receivers ignore it: %s%s", l.Name, whyIgnored(l.ParseError), didYouMean(l.DMARC[0])),
				Ref:     "RFC 9989 §4.8", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: l.DMARC, Detail: l.ParseError.Error()},
			}, "Publish a record that starts with \"v=DMARC1;\" at "+l.Name+"."))
		}
		// Stray TXT records matter at the domain itself and where its policy lives.
		if l.Domain != disc.Domain && l.Domain != o.PolicyDomain {
			continue
		}
		for _, t := range l.TXT {
			if IsDMARC(t) {
				continue
			}
			if looksLikeDMARC(t) {
				msg := "it does not start with v=DMARC1"
				if _, err := Parse(t); err != nil {
					msg = whyIgnored(err)
				}
				c.add(withPlan(Finding{
					Code: CodeSyntax, Severity: finding.Error,
					Message: fmt.Sprintf("%s holds %q, meant as a DMARC record, but receivers ignore it: %s%s", l.Name, truncate(t, 60), msg, didYouMean(t)),
					Ref:     "RFC 9989 §4.7, §4.8", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: []string{t}},
				}, "The record must start with exactly \"v=DMARC1;\" (upper case)."))
				continue
			}
			if isSPF(t) {
				c.add(c.spfAtDMARC(ctx, r, l, t))
				continue
			}
			c.add(Finding{
				Code: CodeUnrelatedTXT, Severity: finding.Info,
				Message: fmt.Sprintf("%s holds a TXT record that is not DMARC (%q); receivers ignore it", l.Name, truncate(t, 60)),
				Fix:     "Remove it unless another tool needs it; if it was meant as the DMARC record, it must start with \"v=DMARC1\".",
				Ref:     "RFC 9989 §4.10", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: []string{t}},
			})
		}
	}
}

// missing reports that no policy applies. Its fix is the owner's own record where
// one was published and is not applied (misspelt, at the apex, one of several);
// only a domain with no DMARC record anywhere gets a new one.
func (c *checker) missing(ctx context.Context, r Resolver, disc *Discovery, apex *plan) {
	d := disc.Domain
	f := Finding{
		Code: CodeMissing, Severity: finding.Error, Incomplete: disc.Incomplete,
		Message: fmt.Sprintf("no DMARC policy applies to %s: %s", d, disc.RFC9989.Reason),
		Ref:     "RFC 9989 §4.10.1", Evidence: &finding.Evidence{Name: "_dmarc." + d, Type: "TXT"},
	}
	// Suggest the registered domain: a record there covers the domain and its siblings.
	org := disc.RFC7489.OrganizationalDomain
	if org == "" {
		org = d
	}
	own := c.plans[d]
	if own == nil && apex == nil && org != d {
		own = c.plans[org]
	}
	published := ""
	for _, dom := range []string{d, org} {
		if l := disc.Lookup(dom); l != nil && published == "" {
			for _, t := range l.TXT {
				if looksLikeDMARC(t) {
					published = l.Name
				}
			}
		}
	}
	switch {
	case own != nil:
		f.Fix, f.FixRecords = "Correct the record you publish: "+own.prose, own.fixes
	case published != "":
		// The owner's record is there but needs a choice only they can make.
		f.Fix = "Correct the record at " + published + " as the other findings say; do not publish a second one."
	case apex != nil:
		f.Fix, f.FixRecords = apex.prose, apex.fixes
	case disc.Incomplete:
		// A lookup failed: a record may well exist, so nothing is suggested to publish.
		f.Fix = "Make the failing DMARC lookups answer, then check again."
	default:
		f.Fix, f.FixRecords = c.newRecord(ctx, r, d, org)
	}
	c.add(f)
}

// newRecord suggests a first DMARC record for org, a domain that has none: p=none
// with aggregate reports to dmarc-reports@org when org receives mail; no rua when it
// cannot (the reports would bounce, RFC 5321 §5.1); the parked record when org
// publishes a null MX (RFC 7505) and so sends no mail.
func (c *checker) newRecord(ctx context.Context, r Resolver, d, org string) (string, []FixRecord) {
	covers := ""
	if org != d {
		covers = " (it covers " + d + " too)"
	}
	name := "_dmarc." + org
	m := receivesMail(ctx, r, org)
	var value, prose string
	switch {
	case m.State == HasMX || m.State == ImplicitMX:
		value = "v=DMARC1; p=none; rua=mailto:dmarc-reports@" + org
		prose = fmt.Sprintf("Publish a TXT record at %s: %q%s, with a mailbox dmarc-reports@%s to receive the reports, then move to p=quarantine or p=reject once reports show all your mail passes.", name, value, covers, org)
	case m.Null:
		// RFC 7489 receivers ignore np (an unknown tag to them) and apply sp to every
		// subdomain, so p and sp alone already reject everything there; np says the
		// same to RFC 9989 receivers.
		value = "v=DMARC1; p=reject; sp=reject; np=reject"
		prose = fmt.Sprintf("%s publishes a null MX, so it sends and receives no mail: publish the parked record at %s: %q%s (check it with --profile parked). To get reports about mail forged in its name, add rua=mailto: with a mailbox at a domain that receives mail (and authorizes the reports, RFC 9990 §3).", org, name, value, covers)
	default:
		why := m.Why
		if m.Err != nil {
			why = fmt.Sprintf("the %s lookup of %s failed (%v)", m.QType, org, m.Err)
		}
		value = "v=DMARC1; p=none"
		prose = fmt.Sprintf("Publish a TXT record at %s: %q%s. No report address is suggested at %s because it cannot receive mail: %s; add rua=mailto: with a mailbox at a domain that receives mail, then move to p=quarantine or p=reject once reports show all your mail passes.", name, value, covers, org, why)
	}
	return prose, []FixRecord{publishTXT(name, value)}
}

// atApex looks for a DMARC record published at the domain itself instead of _dmarc
// (l is the domain's _dmarc lookup, which holds no DMARC record). The fix moves the
// owner's record, corrected, to _dmarc and deletes it at the apex; it only deletes it
// when a DMARC-like record already waits at _dmarc to be corrected.
func (c *checker) atApex(ctx context.Context, r Resolver, d string, l *Lookup) *plan {
	txts, err := c.apexTXT(ctx, r, d)
	if err != nil {
		return nil
	}
	var found []string
	for _, t := range txts {
		if IsDMARC(t) || looksLikeDMARC(t) {
			found = append(found, t)
		}
	}
	if len(found) == 0 {
		return nil
	}
	name := "_dmarc." + d
	p := &plan{name: name}
	for _, t := range found {
		p.fixes = append(p.fixes, deleteTXT(d, t))
	}
	if c.plans[d] != nil {
		p.prose = fmt.Sprintf("Delete %s at %s: receivers never look there, and the record at %s is the one to correct.", quoteAll(found), d, name)
	} else if foreign := foreignReports(d, found); foreign != "" {
		// A record whose reports all go to another organization is likely a policy
		// hosted for that organization (the target of its _dmarc CNAME): moving it
		// would make its report addresses external to d, and unauthorized.
		p.fixes = nil
		p.prose = fmt.Sprintf("If the record is meant for %s, move it to %s; if it is a DMARC record hosted for %s (the target of a CNAME), leave it.", d, name, foreign)
	} else if value := apexValue(name, found); value != "" {
		p.value = value
		p.fixes = append([]FixRecord{publishTXT(name, value)}, p.fixes...)
		p.prose = fmt.Sprintf("Publish the record at %s: %q, and delete it at %s, where receivers never look.", name, value, d)
		if value != found[0] || len(found) > 1 {
			p.prose = fmt.Sprintf("Publish your record, corrected, at %s: %q, and delete %s at %s, where receivers never look.", name, value, quoteAll(found), d)
		}
	} else {
		p.fixes = nil
		p.prose = fmt.Sprintf("Move the record to %s and correct it there.", name)
	}
	for _, t := range found {
		c.add(Finding{
			Code: CodeRecordAtApex, Severity: finding.Error,
			Message: fmt.Sprintf("a DMARC record is published at %s itself; receivers only look at _dmarc.%s", d, d),
			Fix:     p.prose, FixRecords: p.fixes,
			Ref: "RFC 9989 §4.5", Evidence: &finding.Evidence{Name: d, Type: "TXT", Records: []string{t}},
		})
	}
	if len(p.fixes) == 0 {
		return nil
	}
	return p
}

// foreignReports returns the report host when every rua and ruf address of the
// records is under an Organizational Domain other than d's.
func foreignReports(d string, found []string) string {
	org, foreign := OrganizationalDomain(d), ""
	for _, t := range found {
		corr, ok := Corrected(t)
		if !ok {
			continue
		}
		rec, err := Parse(corr.Record)
		if err != nil {
			continue
		}
		for _, u := range append(rec.AggregateURIs, rec.FailureURIs...) {
			if u.Host == "" || OrganizationalDomain(u.Host) == org {
				return ""
			}
			foreign = OrganizationalDomain(u.Host)
		}
	}
	return foreign
}

// apexValue is the record to publish at name for the DMARC-like records found at the
// apex: the strongest, corrected; "" when it has a value only its owner can choose.
func apexValue(name string, found []string) string {
	if keep := planName(name, found, false); keep != nil {
		return keep.value
	}
	if corr, ok := Corrected(found[0]); ok && len(found) == 1 && len(corr.Open) == 0 {
		return corr.Record
	}
	return ""
}

// spfAtDMARC reports an SPF record at _dmarc.<domain>. Receivers read SPF only at the
// domain (RFC 7208 §3), and two SPF records there are a permerror (§4.5), so the copy
// moves to the domain only when the domain has none of its own.
func (c *checker) spfAtDMARC(ctx context.Context, r Resolver, l *Lookup, t string) Finding {
	f := Finding{
		Code: CodeSPFAtDMARC, Severity: finding.Warning,
		Message: fmt.Sprintf("%s holds an SPF record; SPF belongs at %s, and here it is ignored", l.Name, l.Domain),
		Ref:     "RFC 9989 §4.5, RFC 7208 §3", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: []string{t}},
	}
	del := deleteTXT(owner(l), t)
	txts, err := c.apexTXT(ctx, r, l.Domain)
	var own []string
	for _, a := range txts {
		if isSPF(a) {
			own = append(own, a)
		}
	}
	spfs := 0
	for _, a := range l.TXT {
		if isSPF(a) {
			spfs++
		}
	}
	switch {
	case err != nil && !isNotFound(err):
		f.Fix = fmt.Sprintf("Delete it from %s. Whether %s has an SPF record of its own could not be checked (%v): publish it there only if it has none, since two SPF records are a permerror (RFC 7208 §4.5).", l.Name, l.Domain, err)
		f.FixRecords = []FixRecord{del}
	case len(own) > 0:
		f.Fix = fmt.Sprintf("Delete it from %s: %s already has its own SPF record (%q), which stays in place; a second one there would be a permerror (RFC 7208 §4.5).", l.Name, l.Domain, own[0])
		f.FixRecords = []FixRecord{del}
	case spfs > 1:
		f.Fix = fmt.Sprintf("%s has no SPF record of its own: publish one of the SPF records of %s there (only one: two are a permerror, RFC 7208 §4.5), and delete them from %s.", l.Domain, l.Name, l.Name)
		f.FixRecords = []FixRecord{del}
	default:
		f.Fix = fmt.Sprintf("%s has no SPF record of its own: publish this one there, %q, and delete it from %s.", l.Domain, t, l.Name)
		f.FixRecords = []FixRecord{publishTXT(l.Domain, t), del}
	}
	return f
}

// recordFindings judges the applied record and the resulting policy.
func (c *checker) recordFindings(ctx context.Context, r Resolver, disc *Discovery, o Outcome) {
	rec := o.Record
	l := disc.Lookup(o.PolicyDomain)
	name := "_dmarc." + o.PolicyDomain
	ev := func(detail string) *finding.Evidence {
		return &finding.Evidence{Name: name, Type: "TXT", Records: []string{rec.Raw}, Detail: detail}
	}
	if o.Source != AtDomain {
		how := "its Organizational Domain"
		if o.Source == AtPublicSuffixDomain {
			how = "the Public Suffix Domain (psd=y)"
		}
		c.add(Finding{
			Code: CodeInherited, Severity: finding.Info,
			Message: fmt.Sprintf("%s has no DMARC record of its own; the policy comes from %s, %s", disc.Domain, name, how),
			Ref:     "RFC 9989 §4.10.1", Evidence: ev("source: " + string(o.Source)),
		})
	}
	if o.Source == AtPublicSuffixDomain {
		// The PSD record's own flaws are its operator's to fix; what matters here is
		// that the domain has no record of its own, which dmarc.inherited says.
		c.policyFindings(disc, o, l)
		return
	}
	c.issueFindings(ctx, r, rec, l)
	if o.Source == AtDomain && o.SubdomainPolicyDomain != "" && o.SubdomainPolicyDomain != o.PolicyDomain {
		for _, tag := range []string{"sp", "np"} {
			if rec.Explicit(tag) {
				c.add(Finding{
					Code: CodeSPIgnored, Severity: finding.Info,
					Message: fmt.Sprintf("%s=%s at %s is not used: subdomains of %s take their policy from _dmarc.%s, the Organizational Domain", tag, rec.value(tag), name, disc.Domain, o.SubdomainPolicyDomain),
					Fix:     fmt.Sprintf("Set the subdomain policy at _dmarc.%s, or add psd=n here to make %s its own Organizational Domain.", o.SubdomainPolicyDomain, disc.Domain),
					Ref:     "RFC 9989 §4.7, §4.10.2", Evidence: ev(tag + "=" + rec.value(tag)),
				})
			}
		}
	}
	c.policyFindings(disc, o, l)
	// A rua tag whose URIs are all invalid is dmarc.invalid-uri, with the owner's
	// address corrected; suggesting another mailbox here would contradict it.
	if len(rec.AggregateURIs) == 0 && !rec.written["rua"] {
		f := Finding{
			Code: CodeNoRUA, Severity: finding.Warning,
			Message: fmt.Sprintf("the record at %s asks for no aggregate reports, so you cannot see who sends mail as %s or whether it passes", name, disc.Domain),
			Ref:     "RFC 9989 §4.7, RFC 9990", Evidence: ev(""),
		}
		box := "dmarc-reports@" + o.PolicyDomain
		if m := receivesMail(ctx, r, o.PolicyDomain); m.State == HasMX || m.State == ImplicitMX {
			v, _ := setTag(rec.Raw, "rua", "mailto:"+box)
			f.Fix = fmt.Sprintf("Add rua=mailto:%s (a mailbox that collects the reports): %q", box, v)
			f.FixRecords = []FixRecord{replaceTXT(owner(l), rec.Raw, v)}
		} else {
			f.Fix = fmt.Sprintf("Add rua=mailto: with a mailbox at a domain that receives mail; %s itself cannot (%s).", o.PolicyDomain, m.describe(o.PolicyDomain))
			if o.Policy == Reject {
				// A domain that takes no mail (a null MX, RFC 7505, or no mail host at all) and rejects all
				// mail in its name is parked: reports would only show abuse, which
				// p=reject already stops. Worth knowing, not a weakness.
				f.Severity = finding.Info
				f.Message += "; for a domain that takes no mail and rejects all mail in its name (parked), reports are optional"
			}
		}
		c.add(f)
	}
}

// issueFindings reports the tolerated problems of the record found by l. Each fix is
// the owner's record corrected (Corrected), offered as data only when the corrected
// record no longer has the problem.
func (c *checker) issueFindings(ctx context.Context, r Resolver, rec *Record, l *Lookup) {
	if l == nil {
		l = &Lookup{} // not reached: every record comes from a lookup
	}
	name, at := l.Name, owner(l)
	corr, _ := Corrected(rec.Raw)
	for _, is := range rec.Issues {
		f := Finding{
			Code: is.Code, Severity: is.Severity, Message: strings.TrimSuffix(is.Message, ".") + fmt.Sprintf(" (at offset %d)", is.Offset),
			Ref:      is.Ref,
			Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: []string{rec.Raw}, Detail: fmt.Sprintf("offset %d", is.Offset)},
		}
		edit := func(v string, ok bool, prose string) {
			if ok && v != rec.Raw {
				f.Fix = fmt.Sprintf("%s: %q", prose, v)
				f.FixRecords = []FixRecord{replaceTXT(at, rec.Raw, v)}
			}
		}
		switch {
		case is.Code == CodeURISizeSuffix || is.Code == CodeNonMailtoURI:
			// Still honoured or merely unsupported: nothing to change by force.
		case is.Code == CodeTooManyURIs:
			f.Fix = fmt.Sprintf("Keep the two most important URIs in %s.", is.Tag)
		case is.Code == CodeLegacyTag && is.Tag == "pct" && rec.Percent < 100:
			// Removing pct<100 applies the policy to all failing mail: a policy raise,
			// offered by dmarc.pct-partial.
			f.Fix = "Remove pct once reports show your mail passes, so the policy applies to all failing mail (see dmarc.pct-partial)."
		case is.Code == CodeLegacyTag:
			v, ok := removeTag(rec.Raw, is.Tag)
			edit(v, ok, fmt.Sprintf("Remove %s; RFC 9989 receivers ignore it and removing it changes nothing that matters", is.Tag))
		case is.Code == CodePctPartial:
			v, ok := removeTag(rec.Raw, "pct")
			edit(v, ok, fmt.Sprintf("Once reports show your mail passes, remove pct=%d so RFC 7489 receivers apply p to all failing mail", rec.Percent))
		case is.Code == CodeFoWithoutRUF:
			v, ok := removeTag(rec.Raw, "fo")
			edit(v, ok, "Remove fo, which receivers ignore without ruf (or add ruf=mailto: with a mailbox for failure reports)")
		case clears(is, corr.Record):
			f.Fix = fmt.Sprintf("Publish the corrected record at %s: %q", at, corr.Record)
			if at != l.Name {
				f.Fix = fmt.Sprintf("Publish the corrected record at %s, where %s points by CNAME (your DMARC provider may host it): %q", at, l.Name, corr.Record)
			}
			if ts := corr.Typos(); len(ts) > 0 {
				var parts []string
				for _, t := range ts {
					parts = append(parts, t.From+" → "+t.To)
				}
				f.Fix += " (typos corrected: " + strings.Join(parts, ", ") + ")."
			}
			f.Fix += noReportsNote(corr.Record)
			f.FixRecords = []FixRecord{replaceTXT(at, rec.Raw, corr.Record)}
		case is.Code == CodeInvalidValue && keywords[is.Tag] != nil:
			f.Fix = fmt.Sprintf("Write %s as one of: %s.", is.Tag, strings.Join(keywords[is.Tag], ", "))
		default:
			f.Fix = "Correct the record at " + at + "."
		}
		c.add(f)
	}
}

// clears reports whether the corrected record no longer has the issue.
func clears(is Issue, corrected string) bool {
	rec, err := Parse(corrected)
	if err != nil || corrected == "" {
		return false
	}
	for _, n := range rec.Issues {
		if n.Code == is.Code && n.Tag == is.Tag && (n.Value == is.Value || is.Code == CodeSyntax) {
			return false
		}
	}
	return true
}

// recordDomain returns the domain whose lookup found rec.
func recordDomain(disc *Discovery, rec *Record) string {
	for _, l := range disc.Lookups {
		if l.Record == rec {
			return l.Domain
		}
	}
	return disc.Domain
}

// policyFindings judges the policy in force: none, a weak subdomain policy, testing.
// Their fixes raise one tag of the owner's record and keep every other byte of it.
func (c *checker) policyFindings(disc *Discovery, o Outcome, l *Lookup) {
	rec := o.Record
	name := "_dmarc." + o.PolicyDomain
	ev := func(detail string) *finding.Evidence {
		return &finding.Evidence{Name: name, Type: "TXT", Records: []string{rec.Raw}, Detail: detail}
	}
	// raise is the fix that sets one tag of the record, when it is the domain's own
	// (an inherited record governs other domains too: its owner decides).
	raise := func(f *Finding, v string, ok bool) {
		if ok && o.Source == AtDomain && l != nil && v != rec.Raw {
			f.FixRecords = []FixRecord{replaceTXT(owner(l), rec.Raw, v)}
			f.Fix += fmt.Sprintf(" The record becomes %q.", v)
		}
	}
	// The record's own policy for the domain, before t=y.
	written := rec.Policy
	if o.Source != AtDomain {
		written = rec.SubdomainPolicy
		if !disc.Exists {
			written = rec.NonexistentPolicy
		}
	}
	switch {
	case rec.invalidPolicy():
		// RFC 9989 §4.10.1: a misspelt p, sp or np makes the whole record act as none;
		// dmarc.invalid-value says so and corrects it.
	case written == None:
		f := Finding{
			Code: CodePolicyNone, Severity: finding.Warning,
			Message: fmt.Sprintf("the policy for %s is none: receivers only monitor, and mail that fails DMARC is delivered as usual", disc.Domain),
			Fix:     "Once aggregate reports show all your mail passes DMARC, publish p=quarantine, then p=reject.",
			Ref:     "RFC 9989 §4.7", Evidence: ev("p=" + string(rec.Policy)),
		}
		v, ok := setTag(rec.Raw, "p", string(Quarantine))
		raise(&f, v, ok)
		c.add(f)
	case o.SubdomainPolicy == None || o.NonexistentPolicy == None:
		which, tag, to := "existing subdomains", "sp", Quarantine
		if o.SubdomainPolicy != None {
			// A subdomain that does not exist sends no legitimate mail: reject is safe.
			which, tag, to = "non-existent subdomains", "np", Reject
		}
		own := o.SubdomainPolicyDomain == o.PolicyDomain
		// With t=y, a none that is this record's own policy one step down is
		// dmarc.testing's to report; a none from another record is not.
		if !rec.Testing || !own {
			f := Finding{
				Code: CodeSubdomainPolicyNone, Severity: finding.Warning,
				Message: fmt.Sprintf("%s is protected, but the policy for its %s is none, so they can be spoofed", disc.Domain, which),
				Fix:     fmt.Sprintf("Set %s=quarantine or %s=reject, or remove %s so p applies.", tag, tag, tag),
				Ref:     "RFC 9989 §4.7", Evidence: ev(fmt.Sprintf("sp=%s np=%s", o.SubdomainPolicy, o.NonexistentPolicy)),
			}
			if !own {
				// RFC 9989 §4.10.2: subdomains below a record that is not at the
				// Organizational Domain take the Organizational Domain's sp and np.
				f.Fix = fmt.Sprintf("Subdomains of %s take their policy from _dmarc.%s, the Organizational Domain: raise its sp/np there, or add psd=n to the record at %s to make %s an Organizational Domain of its own.", disc.Domain, o.SubdomainPolicyDomain, name, disc.Domain)
			} else if rec.Explicit(tag) {
				v, ok := setTag(rec.Raw, tag, string(to))
				raise(&f, v, ok)
			}
			c.add(f)
		}
	}
	if rec.Testing {
		f := Finding{
			Code: CodeTesting, Severity: finding.Warning,
			Message: fmt.Sprintf("t=y: RFC 9989 receivers apply %s instead of %s to failing mail from %s; RFC 7489 receivers ignore t", o.Policy, written, disc.Domain),
			Fix:     "Remove t=y once reports show your mail passes, so the published policy applies.",
			Ref:     "RFC 9989 §4.7", Evidence: ev("t=y"),
		}
		v, ok := removeTag(rec.Raw, "t")
		raise(&f, v, ok)
		c.add(f)
	}
}

// mismatch reports when RFC 9989 and RFC 7489 receivers reach different records.
func (c *checker) mismatch(disc *Discovery) {
	a, b := disc.RFC9989, disc.RFC7489
	if a.Applies == b.Applies && a.PolicyDomain == b.PolicyDomain || disc.Unknown() {
		return // an unknown outcome cannot be said to differ
	}
	describe := func(o Outcome) string {
		if !o.Applies {
			return "no policy (" + o.Reason + ")"
		}
		return fmt.Sprintf("the record at _dmarc.%s (policy %s)", o.PolicyDomain, o.Policy)
	}
	f := Finding{
		Code: CodeDiscoveryMismatch, Severity: finding.Warning, Incomplete: disc.Incomplete,
		Message: fmt.Sprintf("RFC 9989 receivers use %s, but RFC 7489 receivers use %s", describe(a), describe(b)),
		Fix:     fmt.Sprintf("Publish exactly one DMARC record at _dmarc.%s so that both kinds of receiver find the same policy.", disc.Domain),
		Ref:     "RFC 9989 §4.10, RFC 7489 §6.6.3",
		Evidence: &finding.Evidence{Name: "_dmarc." + disc.Domain, Type: "TXT",
			Detail: fmt.Sprintf("RFC 9989 organizational domain %s, RFC 7489 organizational domain %s", a.OrganizationalDomain, b.OrganizationalDomain)},
	}
	if l := disc.Lookup(disc.Domain); l != nil && len(l.DMARC) > 1 && c.plans[disc.Domain] != nil {
		// Several records at the domain: RFC 9989 receivers walk on, RFC 7489 ones stop.
		f.Fix, f.FixRecords = c.plans[disc.Domain].prose, c.plans[disc.Domain].fixes
	}
	c.add(f)
}

// destinations checks each rua and ruf URI: external authorization and mail reachability.
func (c *checker) destinations(ctx context.Context, r Resolver, o Outcome) []Destination {
	var out []Destination
	auth := map[string]Destination{}
	mail := map[string]MailState{}
	policyOrg := OrganizationalDomain(o.PolicyDomain)
	r = prefetchDestinations(ctx, r, o, policyOrg)
	for _, group := range []struct {
		tag  string
		uris []URI
	}{{"rua", o.Record.AggregateURIs}, {"ruf", o.Record.FailureURIs}} {
		for _, u := range group.uris {
			d := Destination{Tag: group.tag, URI: u, Authorization: NotNeeded, Mail: NotMail}
			if u.Host != "" && OrganizationalDomain(u.Host) != policyOrg {
				d.External = true
				if prev, ok := auth[u.Host]; ok {
					d.Authorization, d.AuthorizationName, d.Override = prev.Authorization, prev.AuthorizationName, prev.Override
				} else {
					d.Authorization, d.AuthorizationName, d.Override = c.authorize(ctx, r, o.PolicyDomain, d)
					auth[u.Host] = d
				}
			}
			if u.Scheme == "mailto" {
				if st, ok := mail[u.Host]; ok {
					d.Mail = st
				} else {
					d.Mail = c.mailState(ctx, r, d)
					mail[u.Host] = d.Mail
				}
			}
			out = append(out, d)
		}
	}
	return out
}

// authorize queries <policy-domain>._report._dmarc.<host> (RFC 9990 §3, RFC 7489 §7.1).
// A wildcard *._report._dmarc.<host> answers it through the DNS itself.
func (c *checker) authorize(ctx context.Context, r Resolver, policyDomain string, d Destination) (Authorization, string, []string) {
	name := policyDomain + "._report._dmarc." + d.URI.Host
	txts, err := r.LookupTXT(ctx, name)
	if err != nil && !isNotFound(err) {
		c.add(Finding{
			Code: CodeExternalUnverified, Severity: finding.Warning, Incomplete: true,
			Message: fmt.Sprintf("could not verify that %s accepts %s reports for %s: the lookup of %s failed (%v)", d.URI.Host, d.Tag, policyDomain, name, err),
			Fix:     "Check again later; if it persists, ask the report receiver to fix its DNS.",
			Ref:     "RFC 9990 §3, RFC 7489 §7.1", Evidence: &finding.Evidence{Name: name, Type: "TXT", Rcode: string(dnsfail.Classify(err))},
		})
		return Unverified, name, nil
	}
	for _, t := range txts {
		if IsDMARC(t) {
			return Authorized, name, overrides(t, d)
		}
	}
	c.add(Finding{
		Code: CodeExternalUnauthorized, Severity: finding.Error,
		Message: fmt.Sprintf("The %s destination %s is outside %s and %s has no v=DMARC1 record, so receivers will not send reports there", d.Tag, d.URI.URI, policyDomain, name),
		Fix:     fmt.Sprintf("Ask the operator of %s to publish TXT \"v=DMARC1\" at %s (or *._report._dmarc.%s), or use an address under %s.", d.URI.Host, name, d.URI.Host, policyDomain),
		// The record belongs in the report receiver's zone, not the policy domain's.
		FixRecords: []FixRecord{publishTXT(name, "v=DMARC1")},
		Ref:        "RFC 9990 §3, RFC 7489 §7.1", Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: txts},
	})
	return Unauthorized, name, nil
}

// overrides returns the URIs an authorization record names for d's tag, when they
// stay on the destination's host (RFC 9989 Appendix B.2.4).
func overrides(txt string, d Destination) []string {
	rec, err := Parse(txt)
	if err != nil {
		return nil
	}
	uris := rec.AggregateURIs
	if d.Tag == "ruf" {
		uris = rec.FailureURIs
	}
	var out []string
	for _, u := range uris {
		if u.Host == d.URI.Host {
			out = append(out, u.String())
		}
	}
	return out
}

// mailCheck is whether a domain can receive mail.
type mailCheck struct {
	State MailState
	Null  bool   // NoMail because of a null MX (RFC 7505)
	Why   string // for NoMail
	QType string // for MailUnverified: the lookup that failed
	Err   error
}

func (m mailCheck) describe(host string) string {
	if m.Err != nil {
		return fmt.Sprintf("the %s lookup of %s failed: %v", m.QType, host, m.Err)
	}
	return m.Why
}

// receivesMail checks that host can receive mail: MX, or an address as implicit MX
// (RFC 5321 §5.1), and not a null MX (RFC 7505).
func receivesMail(ctx context.Context, r Resolver, host string) mailCheck {
	mxs, err := r.LookupMX(ctx, host)
	switch {
	case err == nil && len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == ""):
		return mailCheck{State: NoMail, Null: true, Why: host + " publishes a null MX (it accepts no mail)"}
	case err == nil && len(mxs) > 0:
		return mailCheck{State: HasMX}
	case err != nil && !isNotFound(err):
		return mailCheck{State: MailUnverified, QType: "MX", Err: err}
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	switch {
	case err == nil && len(addrs) > 0:
		return mailCheck{State: ImplicitMX}
	case err != nil && !isNotFound(err):
		return mailCheck{State: MailUnverified, QType: "A/AAAA", Err: err}
	}
	return mailCheck{State: NoMail, Why: host + " has no MX and no address records"}
}

// mailState checks that a report mailbox's domain can receive mail, and reports it
// when it cannot.
func (c *checker) mailState(ctx context.Context, r Resolver, d Destination) MailState {
	host := d.URI.Host
	m := receivesMail(ctx, r, host)
	switch m.State {
	case MailUnverified:
		c.add(dnsfail.Finding(CodeDNSError, host, m.QType, m.Err,
			fmt.Sprintf("whether %s can receive the %s reports", host, d.Tag), "RFC 5321 §5.1"))
	case NoMail:
		c.add(Finding{
			Code: CodeRUANoMX, Severity: finding.Error,
			Message: fmt.Sprintf("The %s destination %s cannot receive mail: %s", d.Tag, d.URI.Address, m.Why),
			Fix:     fmt.Sprintf("Publish MX records for %s, or send reports to a mailbox that receives mail.", host),
			Ref:     "RFC 5321 §5.1, RFC 7505", Evidence: &finding.Evidence{Name: host, Type: "MX"},
		})
	}
	return m.State
}

// looksLikeDMARC spots a record meant as DMARC that receivers will not recognize,
// such as "v=dmarc1", "v=DMARC 1" or "p=reject; v=DMARC1": one Corrected can read.
func looksLikeDMARC(t string) bool {
	_, ok := Corrected(t)
	return ok
}

// didYouMean names the typo that makes receivers ignore t, if Corrected finds one.
func didYouMean(t string) string {
	corr, ok := Corrected(t)
	if !ok {
		return ""
	}
	for _, ch := range corr.Changes {
		if ch.Kind == Typo && ch.Tag == "v" {
			return "; did you mean v=DMARC1?"
		}
		if ch.Kind == Order && ch.Tag == "v" {
			return "; v=DMARC1 must come first"
		}
	}
	return ""
}

// whyIgnored is a parse error in words, without the package prefix.
func whyIgnored(err error) string {
	var se *SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at offset %d)", se.Msg, se.Offset)
	}
	return err.Error()
}

// within reports whether name is domain or one of its subdomains.
func within(name, domain string) bool {
	return domain != "" && (name == domain || strings.HasSuffix(name, "."+domain))
}

func isSPF(t string) bool {
	s := strings.ToLower(strings.TrimLeft(t, " "))
	return s == "v=spf1" || strings.HasPrefix(s, "v=spf1 ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// destAnswers holds the answers the destination checks read, fetched concurrently:
// each destination's authorization record and MX set depend only on the DMARC record,
// so they are asked at once instead of one destination after another. The checks then
// run in order, as before, and read these answers; anything else (the address lookup
// of a host without MX) goes to the resolver.
type destAnswers struct {
	Resolver
	txt map[string]txtAnswer
	mx  map[string]mxAnswer
}

type mxAnswer struct {
	mxs []*net.MX
	err error
}

func (d *destAnswers) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if a, ok := d.txt[name]; ok {
		return a.records, a.err
	}
	return d.Resolver.LookupTXT(ctx, name)
}

func (d *destAnswers) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	if a, ok := d.mx[name]; ok {
		return a.mxs, a.err
	}
	return d.Resolver.LookupMX(ctx, name)
}

// prefetchDestinations asks, concurrently, exactly the authorization and MX questions
// that destinations will ask.
func prefetchDestinations(ctx context.Context, r Resolver, o Outcome, policyOrg string) Resolver {
	d := &destAnswers{Resolver: r, txt: map[string]txtAnswer{}, mx: map[string]mxAnswer{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range append(append([]URI(nil), o.Record.AggregateURIs...), o.Record.FailureURIs...) {
		if u.Host == "" {
			continue
		}
		mu.Lock() // the map is written by the lookups already started
		if name := o.PolicyDomain + "._report._dmarc." + u.Host; OrganizationalDomain(u.Host) != policyOrg {
			if _, ok := d.txt[name]; !ok {
				d.txt[name] = txtAnswer{}
				wg.Go(func() {
					recs, err := r.LookupTXT(ctx, name)
					mu.Lock()
					d.txt[name] = txtAnswer{recs, err}
					mu.Unlock()
				})
			}
		}
		if _, ok := d.mx[u.Host]; !ok && u.Scheme == "mailto" {
			d.mx[u.Host] = mxAnswer{}
			wg.Go(func() {
				mxs, err := r.LookupMX(ctx, u.Host)
				mu.Lock()
				d.mx[u.Host] = mxAnswer{mxs, err}
				mu.Unlock()
			})
		}
		mu.Unlock()
	}
	wg.Wait()
	return d
}
