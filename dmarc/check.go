package dmarc

import (
	"context"
	"fmt"
	"strings"

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

// Result is the outcome of checking a domain's DMARC setup.
type Result struct {
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
func Check(ctx context.Context, r Resolver, domain string) (*Result, error) {
	disc, err := Discover(ctx, r, domain)
	if err != nil {
		return nil, err
	}
	res := &Result{Domain: disc.Domain, Discovery: disc}
	c := &checker{res: res}
	o := disc.RFC9989
	if o.Applies {
		res.Record, res.RecordText = o.Record, o.Record.Raw
		res.FoundAt = "_dmarc." + o.PolicyDomain
		res.Source = o.Source
		res.EffectivePolicy, res.SubdomainPolicy, res.NonexistentPolicy = o.Policy, o.SubdomainPolicy, o.NonexistentPolicy
		res.Tags = o.Record.Settings()
	}

	c.lookupFindings(disc)
	// Unknown is not missing: a failed lookup may hide the record that applies.
	if !o.Applies && !disc.RFC7489.Applies && !disc.Unknown() {
		c.missing(disc)
	}
	if l := disc.Lookup(disc.Domain); l != nil && !l.Failed() && len(l.DMARC) == 0 {
		c.atApex(ctx, r, disc.Domain)
	}
	if o.Ignored != nil {
		// The record is ignored (RFC 9989 §4.10.1); say why, tag by tag.
		c.issueFindings(o.Ignored, "_dmarc."+recordDomain(disc, o.Ignored))
	}
	if o.Applies {
		c.recordFindings(disc, o)
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
	res *Result
}

func (c *checker) add(f Finding) { c.res.Findings = append(c.res.Findings, f) }

// lookupFindings reports DNS failures, multiple records and stray TXT records.
func (c *checker) lookupFindings(disc *Discovery) {
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
		if len(l.DMARC) > 1 {
			c.add(Finding{
				Code: CodeMultipleRecords, Severity: finding.Error,
				Message: fmt.Sprintf("%s has %d DMARC records; receivers discard them all, so %s has no usable policy there", l.Name, len(l.DMARC), l.Domain),
				Fix:     "Keep exactly one v=DMARC1 TXT record at " + l.Name + ".",
				Ref:     "RFC 9989 §4.10", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: l.DMARC},
			})
		}
		if len(l.DMARC) == 1 && l.ParseError != nil {
			c.add(Finding{
				Code: CodeSyntax, Severity: finding.Error,
				Message: fmt.Sprintf("the DMARC record at %s is not valid (%v), so receivers ignore it", l.Name, l.ParseError),
				Fix:     "Publish a record that starts with \"v=DMARC1;\", e.g. \"v=DMARC1; p=none; rua=mailto:dmarc-reports@" + l.Domain + "\".",
				Ref:     "RFC 9989 §4.8", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: l.DMARC, Detail: l.ParseError.Error()},
			})
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
					msg = err.Error()
				}
				c.add(Finding{
					Code: CodeSyntax, Severity: finding.Error,
					Message: fmt.Sprintf("%s holds %q, meant as a DMARC record, but receivers ignore it: %s", l.Name, truncate(t, 60), msg),
					Fix:     "The record must start with exactly \"v=DMARC1;\" (upper case), e.g. \"v=DMARC1; p=none; rua=mailto:dmarc-reports@" + l.Domain + "\".",
					Ref:     "RFC 9989 §4.7, §4.8", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: []string{t}},
				})
				continue
			}
			if isSPF(t) {
				c.add(Finding{
					Code: CodeSPFAtDMARC, Severity: finding.Warning,
					Message: fmt.Sprintf("%s holds an SPF record; SPF belongs at %s, and here it is ignored", l.Name, l.Domain),
					Fix:     "Move the SPF record to " + l.Domain + " and keep only the DMARC record at " + l.Name + ".",
					Ref:     "RFC 9989 §4.5, RFC 7208 §3", Evidence: &finding.Evidence{Name: l.Name, Type: "TXT", Records: []string{t}},
				})
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

// missing reports that no policy applies, and looks for a record published at the
// wrong name.
func (c *checker) missing(disc *Discovery) {
	d := disc.Domain
	inc := disc.Incomplete
	// Suggest the registered domain: a record there covers the domain and its siblings.
	org, covers := disc.RFC7489.OrganizationalDomain, ""
	if org == "" {
		org = d
	}
	if org != d {
		covers = " (it covers " + d + " too)"
	}
	c.add(Finding{
		Code: CodeMissing, Severity: finding.Error, Incomplete: inc,
		Message: fmt.Sprintf("no DMARC policy applies to %s: %s", d, disc.RFC9989.Reason),
		Fix:     fmt.Sprintf("Publish a TXT record at _dmarc.%s: \"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\"%s, then move to p=quarantine or p=reject once reports show all your mail passes.", org, org, covers),
		Ref:     "RFC 9989 §4.10.1", Evidence: &finding.Evidence{Name: "_dmarc." + d, Type: "TXT"},
	})
}

// atApex looks for a DMARC record published at the domain itself instead of _dmarc.
func (c *checker) atApex(ctx context.Context, r Resolver, d string) {
	txts, err := r.LookupTXT(ctx, d)
	if err != nil {
		return
	}
	for _, t := range txts {
		if IsDMARC(t) {
			c.add(Finding{
				Code: CodeRecordAtApex, Severity: finding.Error,
				Message: fmt.Sprintf("a DMARC record is published at %s itself; receivers only look at _dmarc.%s", d, d),
				Fix:     fmt.Sprintf("Move the record to _dmarc.%s: %q.", d, t),
				Ref:     "RFC 9989 §4.5", Evidence: &finding.Evidence{Name: d, Type: "TXT", Records: []string{t}},
			})
		}
	}
}

// recordFindings judges the applied record and the resulting policy.
func (c *checker) recordFindings(disc *Discovery, o Outcome) {
	rec := o.Record
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
		c.policyFindings(disc, o)
		return
	}
	c.issueFindings(rec, name)
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
	c.policyFindings(disc, o)
	if len(rec.AggregateURIs) == 0 {
		c.add(Finding{
			Code: CodeNoRUA, Severity: finding.Warning,
			Message: fmt.Sprintf("the record at %s asks for no aggregate reports, so you cannot see who sends mail as %s or whether it passes", name, disc.Domain),
			Fix:     fmt.Sprintf("Add rua=mailto:dmarc-reports@%s: \"%s; rua=mailto:dmarc-reports@%s\"", o.PolicyDomain, rec.Suggested(), o.PolicyDomain),
			Ref:     "RFC 9989 §4.7, RFC 9990", Evidence: ev(""),
		})
	}
}

// issueFindings reports the tolerated problems of the record published at name.
func (c *checker) issueFindings(rec *Record, name string) {
	for _, is := range rec.Issues {
		f := Finding{
			Code: is.Code, Severity: is.Severity, Message: is.Message + fmt.Sprintf(" (at offset %d)", is.Offset),
			Ref:      is.Ref,
			Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: []string{rec.Raw}, Detail: fmt.Sprintf("offset %d", is.Offset)},
		}
		if is.Code != CodeURISizeSuffix && is.Code != CodeNonMailtoURI {
			f.Fix = "Publish: \"" + rec.Suggested() + "\""
		}
		if is.Code == CodeLegacyTag {
			f.Fix = "Remove " + is.Tag + "; RFC 9989 receivers ignore it. Suggested record: \"" + rec.Suggested() + "\""
		}
		c.add(f)
	}
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
func (c *checker) policyFindings(disc *Discovery, o Outcome) {
	rec := o.Record
	name := "_dmarc." + o.PolicyDomain
	ev := func(detail string) *finding.Evidence {
		return &finding.Evidence{Name: name, Type: "TXT", Records: []string{rec.Raw}, Detail: detail}
	}
	// The record's own policy for the domain, before t=y.
	written := rec.Policy
	if o.Source != AtDomain {
		written = rec.SubdomainPolicy
		if !disc.Exists {
			written = rec.NonexistentPolicy
		}
	}
	if written == None {
		c.add(Finding{
			Code: CodePolicyNone, Severity: finding.Warning,
			Message: fmt.Sprintf("the policy for %s is none: receivers only monitor, and mail that fails DMARC is delivered as usual", disc.Domain),
			Fix:     "Once aggregate reports show all your mail passes DMARC, publish p=quarantine, then p=reject.",
			Ref:     "RFC 9989 §4.7", Evidence: ev("p=" + string(rec.Policy)),
		})
	} else if o.SubdomainPolicy == None || o.NonexistentPolicy == None {
		which, tag := "existing subdomains", "sp"
		if o.SubdomainPolicy != None {
			which, tag = "non-existent subdomains", "np"
		}
		if !rec.Testing {
			c.add(Finding{
				Code: CodeSubdomainPolicyNone, Severity: finding.Warning,
				Message: fmt.Sprintf("%s is protected, but the policy for its %s is none, so they can be spoofed", disc.Domain, which),
				Fix:     fmt.Sprintf("Set %s=quarantine or %s=reject, or remove %s so p applies.", tag, tag, tag),
				Ref:     "RFC 9989 §4.7", Evidence: ev(fmt.Sprintf("sp=%s np=%s", o.SubdomainPolicy, o.NonexistentPolicy)),
			})
		}
	}
	if rec.Testing {
		c.add(Finding{
			Code: CodeTesting, Severity: finding.Warning,
			Message: fmt.Sprintf("t=y: RFC 9989 receivers apply %s instead of %s to failing mail from %s; RFC 7489 receivers ignore t", o.Policy, written, disc.Domain),
			Fix:     "Remove t=y once reports show your mail passes, so the published policy applies.",
			Ref:     "RFC 9989 §4.7", Evidence: ev("t=y"),
		})
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
	c.add(Finding{
		Code: CodeDiscoveryMismatch, Severity: finding.Warning, Incomplete: disc.Incomplete,
		Message: fmt.Sprintf("RFC 9989 receivers use %s, but RFC 7489 receivers use %s", describe(a), describe(b)),
		Fix:     fmt.Sprintf("Publish exactly one DMARC record at _dmarc.%s so that both kinds of receiver find the same policy.", disc.Domain),
		Ref:     "RFC 9989 §4.10, RFC 7489 §6.6.3",
		Evidence: &finding.Evidence{Name: "_dmarc." + disc.Domain, Type: "TXT",
			Detail: fmt.Sprintf("RFC 9989 organizational domain %s, RFC 7489 organizational domain %s", a.OrganizationalDomain, b.OrganizationalDomain)},
	})
}

// destinations checks each rua and ruf URI: external authorization and mail reachability.
func (c *checker) destinations(ctx context.Context, r Resolver, o Outcome) []Destination {
	var out []Destination
	auth := map[string]Destination{}
	mail := map[string]MailState{}
	policyOrg := OrganizationalDomain(o.PolicyDomain)
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
		Message: fmt.Sprintf("%s destination %s is outside %s and %s has no v=DMARC1 record, so receivers will not send reports there", d.Tag, d.URI.URI, policyDomain, name),
		Fix:     fmt.Sprintf("Ask the operator of %s to publish TXT \"v=DMARC1\" at %s (or *._report._dmarc.%s), or use an address under %s.", d.URI.Host, name, d.URI.Host, policyDomain),
		Ref:     "RFC 9990 §3, RFC 7489 §7.1", Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: txts},
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

// mailState checks that the mailbox domain can receive mail: MX, or an address as
// implicit MX (RFC 5321 §5.1), and not a null MX (RFC 7505).
func (c *checker) mailState(ctx context.Context, r Resolver, d Destination) MailState {
	host := d.URI.Host
	fail := func(qtype string, err error) MailState {
		c.add(dnsfail.Finding(CodeDNSError, host, qtype, err,
			fmt.Sprintf("whether %s can receive the %s reports", host, d.Tag), "RFC 5321 §5.1"))
		return MailUnverified
	}
	noMail := func(why string) MailState {
		c.add(Finding{
			Code: CodeRUANoMX, Severity: finding.Error,
			Message: fmt.Sprintf("%s destination %s cannot receive mail: %s", d.Tag, d.URI.Address, why),
			Fix:     fmt.Sprintf("Publish MX records for %s, or send reports to a mailbox that receives mail.", host),
			Ref:     "RFC 5321 §5.1, RFC 7505", Evidence: &finding.Evidence{Name: host, Type: "MX"},
		})
		return NoMail
	}
	mxs, err := r.LookupMX(ctx, host)
	switch {
	case err == nil && len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == ""):
		return noMail(host + " publishes a null MX (it accepts no mail)")
	case err == nil && len(mxs) > 0:
		return HasMX
	case err != nil && !isNotFound(err):
		return fail("MX", err)
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	switch {
	case err == nil && len(addrs) > 0:
		return ImplicitMX
	case err != nil && !isNotFound(err):
		return fail("A/AAAA", err)
	}
	return noMail(host + " has no MX and no address records")
}

// looksLikeDMARC spots a record meant as DMARC that receivers will not recognize,
// such as "v=dmarc1" or "v=DMARC 1".
func looksLikeDMARC(t string) bool {
	return strings.HasPrefix(strings.ToLower(strings.Join(strings.Fields(t), "")), "v=dmarc")
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
