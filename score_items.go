package mailcheck

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/reputation"
	"github.com/mailcheck/mailcheck/spf"
)

// The rules of each item, cap and checklist entry (SCORING.md). Points rest on the
// facts the protocol packages expose — check_host() outcomes, the effective DMARC
// policy under both RFCs, the keys found — never on finding codes. Findings are read
// only for their fix, so the report's fix and the check's fix are the same text.

type scorer struct {
	in    *scoreInput
	mx    *dnscheck.MXReport
	spf   *spf.Report
	dmarc *dmarc.Report
	dkim  *dkim.Report
}

// advice is an item's fix: the prose and, when it is a DNS change, the records.
type advice struct {
	text    string
	records []FixRecord
}

func prose(text string) advice { return advice{text: text} }

func (s *scorer) parked() bool { return s.in.report.Profile == ProfileParked }

func (s *scorer) check(id string) *Check { return s.in.report.Check(id) }

// fixOf returns the fix of the check's first finding (not a DNS failure) with one of
// the codes, or def when none has a fix.
func (s *scorer) fixOf(id string, def advice, codes ...Code) advice {
	c := s.check(id)
	if c == nil {
		return def
	}
	for _, f := range c.Findings {
		if !f.Incomplete && f.Fix != "" && slices.Contains(codes, f.Code) {
			return advice{f.Fix, f.FixRecords}
		}
	}
	return def
}

// ownRecordFix returns the fix that corrects a record the owner published (one that
// replaces or deletes a record), the most severe first: correcting the owner's record
// keeps their intent where a generic record would not.
func (s *scorer) ownRecordFix(id string) (advice, bool) {
	c := s.check(id)
	if c == nil {
		return advice{}, false
	}
	var best *Finding
	for i, f := range c.Findings {
		if !f.Incomplete && correctsOwnRecord(f.FixRecords) && (best == nil || f.Severity.Rank() > best.Severity.Rank()) {
			best = &c.Findings[i]
		}
	}
	if best == nil {
		return advice{}, false
	}
	return advice{best.Fix, best.FixRecords}, true
}

func scored(id, check, name string, points int, reason string, fix advice) Item {
	if points == PointsFull {
		fix = advice{}
	}
	return Item{ID: id, Check: check, Name: name, State: ItemScored, Points: points, Possible: PointsFull,
		Reason: reason, Fix: fix.text, FixRecords: fix.records}
}

func notApplicable(id, check, name, reason string) Item {
	return Item{ID: id, Check: check, Name: name, State: ItemNotApplicable, Reason: reason}
}

func unknown(id, check, name, reason string) Item {
	return Item{ID: id, Check: check, Name: name, State: ItemError, Reason: reason}
}

// incompleteReason returns the message of the check's first DNS failure, or "".
func (s *scorer) incompleteReason(id string) string {
	c := s.check(id)
	if c == nil {
		return ""
	}
	for _, f := range c.Findings {
		if f.Incomplete {
			return "Unknown: " + f.Message
		}
	}
	return ""
}

// --- DMARC ---------------------------------------------------------------------

func (s *scorer) dmarcApplies() bool { return s.dmarc != nil && s.dmarc.Record != nil }

// dmarcUnknown reports that DNS failures left it unknown which record applies.
func (s *scorer) dmarcUnknown() bool {
	return !s.dmarcApplies() && (s.dmarc == nil || s.dmarc.Discovery == nil || s.dmarc.Discovery.RFC9989.Unknown)
}

// dmarcMultiple reports a name with several DMARC records, which receivers discard
// (RFC 9989 §4.10 step 2).
func (s *scorer) dmarcMultiple() bool {
	if s.dmarc == nil || s.dmarc.Discovery == nil {
		return false
	}
	for _, l := range s.dmarc.Discovery.Lookups {
		if len(l.DMARC) > 1 {
			return true
		}
	}
	return false
}

// dmarcPublish is the fix for a domain without a usable record: the owner's own record
// corrected if there is one (at the apex, misordered, several), else the check's
// suggested record.
func (s *scorer) dmarcPublish() advice {
	if a, ok := s.ownRecordFix("dmarc"); ok {
		return a
	}
	d := s.in.report.Domain
	if s.parked() {
		// M3AAWG's parked-domain advice: reject everything, for subdomains too; no rua,
		// since a parked domain has no mailbox to read reports in.
		parked := "v=DMARC1; p=reject; sp=reject; np=reject"
		if s.receivesMail() {
			// Still taking mail: it can read reports of who abuses its name.
			parked += "; rua=mailto:dmarc-reports@" + d
		}
		return advice{fmt.Sprintf("Publish _dmarc.%s. TXT %q: a parked domain sends no mail, so all mail claiming to be from it can be rejected.", d, parked),
			[]FixRecord{{Action: "publish", Name: "_dmarc." + d, Type: "TXT", Value: parked}}}
	}
	def := prose(fmt.Sprintf("Publish one record: _dmarc.%s. TXT \"v=DMARC1; p=none\", then add rua= and raise p once you know who sends your mail.", d))
	return s.fixOf("dmarc", def, dmarc.CodeMissing, dmarc.CodeMultipleRecords, dmarc.CodeSyntax)
}

func (s *scorer) dmarcRecord() Item {
	const id, name = "dmarc.record", "One valid DMARC record"
	switch {
	case s.dmarcApplies() && hasErrorIssue(s.dmarc.Record):
		fix, _ := s.ownRecordFix("dmarc")
		return scored(id, "dmarc", name, PointsHalf, "A DMARC record applies but has errors that some receivers will not accept.", fix)
	case s.dmarcApplies():
		return scored(id, "dmarc", name, PointsFull, fmt.Sprintf("Found at %s.", s.dmarc.FoundAt), advice{})
	case s.dmarcUnknown():
		return unknown(id, "dmarc", name, s.incompleteReason("dmarc"))
	case s.dmarcMultiple():
		return scored(id, "dmarc", name, PointsNone, "More than one DMARC record: receivers ignore them all.", s.dmarcPublish())
	}
	return scored(id, "dmarc", name, PointsNone, "No DMARC record applies to the domain.", s.dmarcPublish())
}

// recordCorrection returns the owner's record corrected when the applied record has
// errors (a misspelt p=rejected makes receivers apply none): correcting it is the
// first step for every DMARC item, and one fix folds them in "fix first". Otherwise
// it returns fix.
func (s *scorer) recordCorrection(fix advice) advice {
	if !hasErrorIssue(s.dmarc.Record) {
		return fix
	}
	if own, ok := s.ownRecordFix("dmarc"); ok {
		return own
	}
	return fix
}

// hasErrorIssue reports an error-severity problem in the record's own text.
func hasErrorIssue(r *dmarc.Record) bool {
	for _, is := range r.Issues {
		if is.Severity == Error {
			return true
		}
	}
	return false
}

func policyPoints(p dmarc.Policy) int {
	switch p {
	case dmarc.Reject:
		return PointsFull
	case dmarc.Quarantine:
		return PointsHalf
	case dmarc.None:
		return PointsLow
	}
	return PointsNone
}

// weaker returns the policy that protects less.
func weaker(a, b dmarc.Policy) dmarc.Policy {
	if policyPoints(b) < policyPoints(a) {
		return b
	}
	return a
}

// legacyPolicy is the policy an RFC 7489 receiver applies to all failing mail: with
// pct below 100 the mail not sampled gets the next weaker policy (RFC 7489 §6.6.4).
func legacyPolicy(p dmarc.Policy, pct int) dmarc.Policy {
	if pct >= 100 {
		return p
	}
	switch p {
	case dmarc.Reject:
		return dmarc.Quarantine
	case dmarc.Quarantine:
		return dmarc.None
	}
	return p
}

// policies returns the policy failing mail from the domain gets under RFC 9989 and
// under RFC 7489; the weaker of the two is what the domain can count on.
func (s *scorer) policies() (bis, legacy dmarc.Policy) {
	d := s.dmarc.Discovery
	bis = d.RFC9989.Policy
	legacy = bis
	// An RFC 7489 view a DNS failure left unknown leaves the RFC 9989 one, which the
	// walk established, to speak.
	if d.RFC7489.Applies && !d.RFC7489.Unknown {
		legacy = legacyPolicy(d.RFC7489.Policy, d.RFC7489.Percent)
	}
	return bis, legacy
}

func (s *scorer) noDMARCItem(id, name, reason string) Item {
	if s.dmarcUnknown() {
		return unknown(id, "dmarc", name, s.incompleteReason("dmarc"))
	}
	return scored(id, "dmarc", name, PointsNone, reason, s.dmarcPublish())
}

func (s *scorer) dmarcPolicy() Item {
	const id, name = "dmarc.policy", "DMARC policy for the domain"
	if !s.dmarcApplies() {
		return s.noDMARCItem(id, name, "No policy: receivers apply nothing to mail that fails authentication.")
	}
	bis, legacy := s.policies()
	reason := fmt.Sprintf("Effective policy: %s.", bis)
	if legacy != bis {
		reason = fmt.Sprintf("Effective policy: %s (RFC 9989), %s for receivers still on RFC 7489 (pct=%d).", bis, legacy, s.dmarc.Discovery.RFC7489.Percent)
	}
	def := prose(fmt.Sprintf("Once the aggregate reports show all your mail passing, raise the policy: p=reject at _dmarc.%s.", s.dmarc.Discovery.RFC9989.PolicyDomain))
	return scored(id, "dmarc", name, policyPoints(weaker(bis, legacy)), reason,
		s.recordCorrection(s.fixOf("dmarc", def, dmarc.CodePolicyNone, dmarc.CodeTesting, dmarc.CodePctPartial)))
}

func (s *scorer) dmarcSubdomains() Item {
	const id, name = "dmarc.subdomains", "DMARC policy for subdomains"
	if !s.dmarcApplies() {
		return s.noDMARCItem(id, name, "No policy covers the subdomains.")
	}
	o := s.dmarc.Discovery.RFC9989
	if o.FailedAt != "" && (o.SubdomainPolicy == "" || o.NonexistentPolicy == "") {
		// The domain's own record was found, but the walk above it failed: the
		// Organizational Domain, and with it the subdomain policy, is unknown.
		return unknown(id, "dmarc", name, "Unknown: the lookup of "+o.FailedAt+" failed, so the policy for subdomains is not known.")
	}
	def := prose("Set sp=reject and np=reject (or drop them so they default to p=reject), so nobody can spoof made-up subdomains.")
	return scored(id, "dmarc", name, policyPoints(weaker(o.SubdomainPolicy, o.NonexistentPolicy)),
		fmt.Sprintf("Existing subdomains: %s; non-existent subdomains: %s.", o.SubdomainPolicy, o.NonexistentPolicy),
		s.recordCorrection(s.fixOf("dmarc", def, dmarc.CodeSubdomainPolicyNone)))
}

func (s *scorer) dmarcReports() Item {
	const id, name = "dmarc.reports", "Aggregate reports (rua)"
	if !s.dmarcApplies() {
		return s.noDMARCItem(id, name, "No DMARC record, so no reports.")
	}
	// A rua whose every URI is invalid is a destination the owner meant and
	// misspelt: it is judged as one (its fix corrects the URI), not as no rua.
	if len(s.dmarc.Record.AggregateURIs) == 0 && !hasRUAIssue(s.dmarc.Record) {
		return scored(id, "dmarc", name, PointsLow, "No rua: you get no aggregate reports.",
			s.fixOf("dmarc", prose("Add rua=mailto:<a mailbox you read> to the record."), dmarc.CodeNoRUA))
	}
	bad := 0
	for _, d := range s.dmarc.Destinations {
		if d.Tag != "rua" {
			continue
		}
		if d.Authorization == dmarc.Unverified || d.Mail == dmarc.MailUnverified {
			return unknown(id, "dmarc", name, "Unknown: a report destination could not be checked (DNS failure).")
		}
		if d.Authorization == dmarc.Unauthorized || d.Mail == dmarc.NoMail {
			bad++
		}
	}
	if bad > 0 || hasRUAIssue(s.dmarc.Record) {
		return scored(id, "dmarc", name, PointsHalf, "Some report destinations will not receive reports.",
			s.fixOf("dmarc", prose("Fix the rua destinations."), dmarc.CodeExternalUnauthorized, dmarc.CodeInvalidURI,
				dmarc.CodeRUANoMX, dmarc.CodeTooManyURIs))
	}
	return scored(id, "dmarc", name, PointsFull, "Aggregate reports go to valid, authorized destinations.", advice{})
}

// hasRUAIssue reports a problem in the rua tag's own text (an invalid URI, too many).
func hasRUAIssue(r *dmarc.Record) bool {
	for _, is := range r.Issues {
		if is.Tag == "rua" && is.Severity != Info {
			return true
		}
	}
	return false
}

// receivesMail reports whether the domain takes mail: MX hosts other than a lone
// null MX (RFC 7505), or an address as implicit MX (RFC 5321 §5.1).
func (s *scorer) receivesMail() bool {
	if s.mx == nil {
		return false
	}
	if s.mx.Null && len(s.mx.Hosts) == 1 {
		return false
	}
	return len(s.mx.Hosts) > 0 || s.mx.Implicit && len(s.mx.ImplicitAddresses) > 0
}

// --- SPF -----------------------------------------------------------------------

// spfVerdict is check_host()'s result for a sender the policy does not list.
func (s *scorer) spfVerdict() spf.Result {
	if s.in.unlisted == nil {
		return spf.TempError
	}
	return s.in.unlisted.Result()
}

// spfPublish is the fix for a domain without a working SPF record: the owner's record
// corrected, else the fix of the finding that explains the permerror, else a record
// to publish.
func (s *scorer) spfPublish() advice {
	if a, ok := s.ownRecordFix("spf"); ok {
		return a
	}
	if s.spfVerdict() == spf.PermError {
		if a := firstFix(s.check("spf"), Error); a.text != "" {
			return a
		}
	}
	def := prose(fmt.Sprintf("Publish %s. TXT \"v=spf1 -all\" with the servers and services that send your mail listed before -all.", s.in.report.Domain))
	return s.fixOf("spf", def, spf.CodeMissing)
}

func (s *scorer) spfRecord() Item {
	const id, name = "spf.record", "One valid SPF record"
	switch s.spfVerdict() {
	case spf.TempError:
		return unknown(id, "spf", name, "Unknown: receivers get temperror: "+s.in.unlisted.Problem())
	case spf.None:
		return scored(id, "spf", name, PointsNone, "No SPF record: receivers cannot tell your servers from forgers.", s.spfPublish())
	case spf.PermError:
		// RFC 7208 §2.6.7: permerror, whatever the cause, is a record receivers cannot use.
		return scored(id, "spf", name, PointsNone, "Receivers get permerror: "+s.in.unlisted.Problem()+".", s.spfPublish())
	}
	return scored(id, "spf", name, PointsFull, "The record evaluates without errors.", advice{})
}

func (s *scorer) spfPolicy() Item {
	const id, name = "spf.policy", "SPF verdict for unlisted senders"
	v := s.spfVerdict()
	switch v {
	case spf.TempError:
		return unknown(id, "spf", name, "Unknown: the SPF policy could not be evaluated.")
	case spf.None, spf.PermError:
		return scored(id, "spf", name, PointsNone, "No working SPF record.", s.spfPublish())
	}
	if s.parked() {
		return s.parkedSPF(v)
	}
	raise := s.fixOf("spf", prose("End the record with -all once every sending service is listed."), spf.CodeAllNeutral, spf.CodeNoAll)
	switch v {
	case spf.Fail:
		return scored(id, "spf", name, PointsFull, "Unlisted senders fail (-all).", advice{})
	case spf.SoftFail:
		return scored(id, "spf", name, PointsHalf, "Unlisted senders only softfail (~all).", raise)
	case spf.Neutral:
		return scored(id, "spf", name, PointsLow, "Unlisted senders get neutral (?all, or no all).", raise)
	}
	return scored(id, "spf", name, PointsNone, "Every address passes: anyone may send as the domain.",
		s.fixOf("spf", prose("Replace +all with -all: +all authorizes every server on the Internet."), spf.CodeAllPass))
}

// parkedSPF judges a parked domain's record: it should authorize nobody
// ("v=spf1 -all", M3AAWG's parked-domain advice).
func (s *scorer) parkedSPF(v spf.Result) Item {
	const id, name = "spf.policy", "SPF verdict for unlisted senders"
	d := s.in.report.Domain
	fix := advice{fmt.Sprintf("Publish %s. TXT \"v=spf1 -all\": a parked domain authorizes no sender.", d), nil}
	if s.spf != nil && s.spf.Record != "" {
		fix.records = []FixRecord{{Action: "replace", Name: d, Type: "TXT", Replaces: s.spf.Record, Value: "v=spf1 -all"}}
	}
	if v != spf.Fail {
		return scored(id, "spf", name, PointsNone, "A parked domain should end its record with -all.", fix)
	}
	if rec, err := spf.Parse(s.spf.Record); err == nil {
		for _, t := range rec.Terms {
			if !t.IsModifier() && t.Mechanism != spf.MechAll {
				return scored(id, "spf", name, PointsHalf, "The record authorizes senders, but a parked domain sends no mail.", fix)
			}
		}
	}
	return scored(id, "spf", name, PointsFull, "v=spf1 -all: nobody may send as the domain.", advice{})
}

func (s *scorer) spfLookups() Item {
	const id, name = "spf.lookups", "SPF DNS lookup budget"
	switch s.spfVerdict() {
	case spf.TempError:
		return unknown(id, "spf", name, "Unknown: the SPF policy could not be evaluated.")
	case spf.None:
		return scored(id, "spf", name, PointsNone, "No SPF record.", s.spfPublish())
	}
	if s.spf == nil {
		return notApplicable(id, "spf", name, "The SPF audit did not run.")
	}
	n := s.spf.Lookups
	fix := s.fixOf("spf", prose("Replace the heaviest includes with their ip4:/ip6: ranges or remove unused ones."), spf.CodeLookupLimit)
	switch {
	case n <= spf.MaxLookups && s.spfVerdict() == spf.PermError:
		// Evaluation stopped at the error (several records, a syntax error, a loop,
		// voids), so the count says nothing of the budget: like spf.policy, the item
		// has no working record to judge.
		return scored(id, "spf", name, PointsNone, "No working SPF record: receivers get permerror, so the budget cannot be judged.", s.spfPublish())
	case n > spf.MaxLookups:
		return scored(id, "spf", name, PointsNone, fmt.Sprintf("%d DNS lookups: over the limit of 10 (permerror).", n), fix)
	case n >= spf.MaxLookups-1:
		return scored(id, "spf", name, PointsHalf, fmt.Sprintf("%d DNS lookups of 10: one more include breaks SPF.", n), fix)
	}
	return scored(id, "spf", name, PointsFull, fmt.Sprintf("%d DNS lookups of 10.", n), advice{})
}

// --- DKIM ----------------------------------------------------------------------

// usableKeys returns the keys that are published, not revoked and parse.
func (s *scorer) usableKeys() (usable, broken []*dkim.KeyResult) {
	if s.dkim == nil {
		return nil, nil
	}
	for _, k := range s.dkim.Keys {
		if k.Status != dkim.KeyFound {
			continue
		}
		if k.Key == nil || k.Key.Revoked || k.Key.Bits > 0 && k.Key.Bits < 1024 && k.Key.Material != dkim.KeyEd25519 {
			broken = append(broken, k)
			continue
		}
		usable = append(usable, k)
	}
	return usable, broken
}

func keyStrength(k *dkim.Key) int {
	if k.Material == dkim.KeyEd25519 || k.Type == dkim.KeyEd25519 || k.Bits >= 2048 {
		return PointsFull
	}
	return PointsHalf
}

func (s *scorer) dkimKey() Item {
	const id, name = "dkim.key", "DKIM key published"
	if s.parked() {
		return notApplicable(id, "dkim", name, "A parked domain sends no mail, so no DKIM key is expected.")
	}
	if s.dkim == nil {
		return notApplicable(id, "dkim", name, "The DKIM check did not run.")
	}
	gen := prose(fmt.Sprintf("Generate a 2048-bit RSA key and publish it: <selector>._domainkey.%s. TXT \"v=DKIM1; k=rsa; p=<base64 public key>\"", s.in.report.Domain))
	// A selector the user named is the one their mail is signed with: when it has no
	// key, their signatures fail, whatever else is published.
	for _, k := range s.dkim.Keys {
		if !k.Discovered && k.Status == dkim.KeyMissing {
			return scored(id, "dkim", name, PointsNone, fmt.Sprintf("No key at the selector you named (%s).", k.Selector), gen)
		}
	}
	usable, broken := s.usableKeys()
	if len(usable) > 0 {
		best := usable[0]
		for _, k := range usable[1:] {
			if keyStrength(k.Key) > keyStrength(best.Key) {
				best = k
			}
		}
		reason := fmt.Sprintf("Key at selector %s: %s, %d bits.", best.Selector, best.Key.Material, best.Key.Bits)
		return scored(id, "dkim", name, keyStrength(best.Key), reason, prose("Rotate to a 2048-bit RSA key: "+gen.text))
	}
	if len(broken) > 0 {
		return scored(id, "dkim", name, PointsNone, fmt.Sprintf("Only revoked or too-weak keys were found (selector %s).", broken[0].Selector), gen)
	}
	if r := s.incompleteReason("dkim"); r != "" {
		return unknown(id, "dkim", name, r)
	}
	reason := fmt.Sprintf("Inconclusive: not found among %d probed selectors; pass --selector.", s.dkim.Probed)
	if s.dkim.DomainKeyNXDOMAIN {
		// No selector was probed: nothing exists under _domainkey (RFC 8020 §2).
		reason = fmt.Sprintf("No key found: _domainkey.%s does not exist (NXDOMAIN); if your mail is signed, pass --selector.", s.in.report.Domain)
	}
	return scored(id, "dkim", name, PointsHalf, reason,
		prose("Run again with --selector set to the selector your mail is signed with (the s= tag of a DKIM-Signature header), or publish a key."))
}

func (s *scorer) dkimHygiene() Item {
	const id, name = "dkim.hygiene", "DKIM key records well-formed"
	if s.parked() {
		return notApplicable(id, "dkim", name, "A parked domain sends no mail, so no DKIM key is expected.")
	}
	usable, broken := s.usableKeys()
	if len(usable)+len(broken) == 0 {
		return notApplicable(id, "dkim", name, "No key record found to judge.")
	}
	worst := 0
	var fix advice
	for _, k := range append(usable, broken...) {
		for _, f := range k.Findings {
			// A strict or Ed25519-only key is a choice, not a flaw.
			if f.Severity.Rank() > worst && !f.Incomplete && f.Code != dkim.CodeKeyStrict && f.Code != dkim.CodeEd25519Only {
				worst, fix = f.Severity.Rank(), advice{f.Fix, f.FixRecords}
			}
		}
	}
	switch worst {
	case Error.Rank():
		return scored(id, "dkim", name, PointsNone, "A key record has errors.", fix)
	case Warning.Rank():
		return scored(id, "dkim", name, PointsHalf, "A key record has warnings.", fix)
	}
	return scored(id, "dkim", name, PointsFull, "Key records are well-formed.", advice{})
}

// --- MX and transport ----------------------------------------------------------

func (s *scorer) mxRecords() Item {
	const id, name = "mx.records", "MX records"
	c := s.check("mx")
	if s.parked() {
		if s.mx != nil && s.mx.Null && len(s.mx.Hosts) == 1 {
			return scored(id, "mx", name, PointsFull, "Null MX: the domain accepts no mail.", advice{})
		}
		if r := s.incompleteReason("mx"); r != "" {
			return unknown(id, "mx", name, r)
		}
		d := s.in.report.Domain
		return scored(id, "mx", name, PointsLow, "A parked domain should say it accepts no mail.",
			prose(fmt.Sprintf("Publish a null MX (RFC 7505) instead of other MX records: %s. MX 0 .", d)))
	}
	switch c.Status {
	case StatusPass:
		if s.mx != nil && s.mx.Null {
			return scored(id, "mx", name, PointsFull, "Null MX: the domain accepts no mail (bounces to it cannot be delivered).", advice{})
		}
		return scored(id, "mx", name, PointsFull, c.Summary, advice{})
	case StatusWarn:
		return scored(id, "mx", name, PointsHalf, c.Summary, firstFix(c, Warning))
	case StatusFail:
		return scored(id, "mx", name, PointsNone, c.Summary, firstFix(c, Error))
	}
	return unknown(id, "mx", name, s.incompleteReason("mx"))
}

func firstFix(c *Check, sev Severity) advice {
	for _, f := range c.Findings {
		if f.Severity == sev && f.Fix != "" && !f.Incomplete {
			return advice{f.Fix, f.FixRecords}
		}
	}
	return advice{}
}

func (s *scorer) ptr() Item {
	const id, name = "mx.ptr", "Reverse DNS of sending IPs"
	if !s.in.ipsGiven {
		return notApplicable(id, "ptr", name, "No sending IPs given (--ip).")
	}
	return ptrItem(id, name, "sending IPs", s.in.ptrs, PointsNone,
		"Ask the IP's owner (your hosting provider) to set a PTR record to a name that resolves back to the IP.")
}

// mxPTR is the reverse DNS of the MX hosts' addresses: a small item (5 when it is
// missing, unconfirmed or generic), since it weighs on a receiving host only where
// the same address also sends.
func (s *scorer) mxPTR() Item {
	const id, name = "mx.ptr-mx", "Reverse DNS of MX addresses"
	if len(s.in.mxPtrs) == 0 {
		return notApplicable(id, "ptr", name, "No public MX address.")
	}
	return ptrItem(id, name, "MX addresses", s.in.mxPtrs, PointsHalf,
		"Ask each MX address's owner to set its PTR record to the MX host's name, which resolves back to the address.")
}

// ptrItem scores forward-confirmed reverse DNS: full when every address has it with a
// specific name, half when a confirmed name is generic (ISP-style), bad when one lacks
// it; unknown when a lookup failed and nothing is missing for sure.
func ptrItem(id, name, what string, ptrs []ptrResult, bad int, fix string) Item {
	missing, generic := 0, 0
	var why, failed string
	for _, p := range ptrs {
		switch {
		case p.Failed:
			failed = "Unknown: the reverse DNS lookup for " + p.IP.String() + " failed (" + p.Err + ")."
		case !p.Confirmed:
			missing++
			why = fmt.Sprintf("%s: %s", p.IP, p.Err)
		case p.Generic:
			generic++
			if why == "" || missing == 0 {
				why = fmt.Sprintf("%s: %s looks generic, %s", p.IP, p.ConfirmedName, p.GenericWhy)
			}
		}
	}
	switch {
	case missing > 0:
		return scored(id, "ptr", name, bad, fmt.Sprintf("%d of %d %s lack forward-confirmed reverse DNS (%s).", missing, len(ptrs), what, why), prose(fix))
	case failed != "":
		return unknown(id, "ptr", name, failed)
	case generic > 0:
		return scored(id, "ptr", name, PointsHalf, fmt.Sprintf("%d of %d %s have a generic, ISP-style PTR name (%s).", generic, len(ptrs), what, why),
			prose("Have the PTR set to a name in your own domain (mail.yourdomain), which resolves back to the address."))
	}
	return scored(id, "ptr", name, PointsFull, fmt.Sprintf("Every one of the %d %s has forward-confirmed reverse DNS with a specific name.", len(ptrs), what), advice{})
}

// blocklists is the item of the DNS blocklist lookups (reputation.go): a listing is
// scored whatever else is unknown, since a definite listing stands; then a failed
// lookup leaves it unknown; then a list that refused to answer (public resolver, over
// quota) makes it not applicable, since re-running through the same resolver gets the
// same refusal.
func (s *scorer) blocklists() Item {
	const id, name = "mx.reputation", "Blocklists: sending IPs, MX addresses and the domain"
	rep := detail[*reputation.Report](s.in.report, "reputation")
	if rep == nil {
		return notApplicable(id, "reputation", name, "Not checked: the blocklist lookups are off (--no-reputation, or bulk without --reputation).")
	}
	fix := s.fixOf("reputation", advice{}, reputation.CodeIPListed, reputation.CodeDomainListed)
	if listed := rep.Listed(); len(listed) > 0 {
		l := listed[0]
		for _, r := range listed {
			if r.Major {
				l = r
				break
			}
		}
		reason := fmt.Sprintf("%s is listed on %s (%s)", l.Target, l.List, l.Meanings[0])
		if len(listed) > 1 {
			reason += fmt.Sprintf(", and %d more listing(s)", len(listed)-1)
		}
		if l.Major {
			return scored(id, "reputation", name, PointsNone, reason+".", fix)
		}
		return scored(id, "reputation", name, PointsHalf, reason+": a list few large receivers consult.", fix)
	}
	if failed := rep.Failed(); len(failed) > 0 {
		return unknown(id, "reputation", name, s.incompleteReason("reputation"))
	}
	if refused := rep.Refused(); len(refused) > 0 {
		return notApplicable(id, "reputation", name, fmt.Sprintf("Not judged: %s did not answer (%s). Re-running through the same resolver gets the same answer; use your own resolver.",
			refused[0].List, refused[0].Meanings[0]))
	}
	if len(rep.Results) == 0 {
		return notApplicable(id, "reputation", name, "No public address or domain to look up.")
	}
	return scored(id, "reputation", name, PointsFull, fmt.Sprintf("No listing in %d lookups on %d blocklists.", len(rep.Results), len(rep.Lists)), advice{})
}

// majorListing is the first listing on a list most large receivers consult.
func (s *scorer) majorListing() *reputation.Result {
	rep := detail[*reputation.Report](s.in.report, "reputation")
	if rep == nil {
		return nil
	}
	for _, r := range rep.Listed() {
		if r.Major {
			return &r
		}
	}
	return nil
}

// --- DNS hygiene ---------------------------------------------------------------

// placementCodes are findings about records published in the wrong place or shape.
var placementCodes = []Code{
	dmarc.CodeRecordAtApex, dmarc.CodeSPFAtDMARC, dmarc.CodeUnrelatedTXT, dmarc.CodeLeadingWhitespace,
	spf.CodeType99, spf.CodeTermsAfterAll, spf.CodeRedirectIgnored, spf.CodeUnknownModifier, spf.CodePTR,
	spf.CodeRecordSize, dnscheck.CodeMXCNAME, dnscheck.CodeMXDuplicate, dnscheck.CodeMXIPLiteral, dkim.CodeMultipleKeyRecords,
}

func (s *scorer) placement() Item {
	const id, name = "hygiene.records", "Records in the place and shape receivers expect"
	worst := 0
	var fix advice
	var msg string
	for _, c := range s.in.report.Checks {
		for _, f := range c.Findings {
			if slices.Contains(placementCodes, f.Code) && f.Severity.Rank() > worst {
				worst, fix, msg = f.Severity.Rank(), advice{f.Fix, f.FixRecords}, f.Message
			}
		}
	}
	switch worst {
	case Error.Rank():
		return scored(id, "hygiene", name, PointsLow, msg, fix)
	case Warning.Rank():
		return scored(id, "hygiene", name, PointsHalf, msg, fix)
	}
	// Records a failed lookup did not return may be misplaced too.
	for _, c := range []string{"mx", "spf", "dmarc"} {
		if r := s.incompleteReason(c); r != "" {
			return unknown(id, "hygiene", name, r)
		}
	}
	return scored(id, "hygiene", name, PointsFull, "No stray, misplaced or deprecated records.", advice{})
}

// dnssecResult is what can be known of DNSSEC for the domain.
type dnssecResult struct {
	// state: "secure", "insecure", "bogus" (mailcheck's own validation, see
	// dnscheck.Resolver.ValidateDomain), "not-judged" (a zone file without a trust
	// anchor: not scored) or "unknown" (the records could not be fetched).
	state  string
	reason string
	// validation is the validator's verdict, when it ran.
	validation *dnscheck.DomainValidation
}

// dnssecState validates the domain's SOA, MX and TXT answers from the trust anchor
// (the root's, or --trust-anchor). A zone file is normally unsigned, so offline the
// item is judged only when an anchor was given for it.
func dnssecState(ctx context.Context, r *dnscheck.Resolver, domain string) dnssecResult {
	if r.Offline() && !r.CustomTrustAnchors() {
		return dnssecResult{state: "not-judged", reason: "Not judged: a zone file is normally unsigned; give --trust-anchor to validate a signed one."}
	}
	v := r.ValidateDomain(ctx, domain)
	res := dnssecResult{validation: &v}
	switch {
	case v.NoDNSSEC:
		res.state, res.reason = "not-judged", "Not judged: "+v.Reason+", so a clear answer says nothing about the zone."
		return res
	}
	switch v.State {
	case dnscheck.Secure:
		res.state, res.reason = "secure", "mailcheck validated the domain's SOA, MX and TXT answers: "+v.Reason+"."
	case dnscheck.Insecure:
		res.state, res.reason = "insecure", "The domain's answers are not signed: "+v.Reason+"."
	case dnscheck.Bogus:
		res.state, res.reason = "bogus", "DNSSEC validation fails (validating resolvers answer SERVFAIL, so mail to the domain fails): "+v.Reason+"."
	default:
		res.state, res.reason = "unknown", "Unknown: "+v.Reason+"."
	}
	return res
}

// dnssecCheck reports the validation as a check of its own; a bogus chain is an error.
func dnssecCheck(d dnscheck.Domain, res dnssecResult) *Check {
	var findings []Finding
	if res.state == "bogus" {
		findings = append(findings, Finding{Code: dnscheck.CodeDNSSECBogus, Severity: Error,
			Message: res.reason,
			Fix:     "Re-sign the zone (or let your DNS host's automatic signing renew the signatures), and make the DS record at your registrar match a current DNSKEY (or remove it to go unsigned).",
			Ref:     "RFC 4035 §5"})
	}
	switch res.state {
	case "not-judged", "unknown":
		return skipCheck("dnssec", d, res.reason)
	case "secure":
		return newCheck("dnssec", d, findings, "Signed: the answers validate from the root.", res.validation)
	case "insecure":
		return newCheck("dnssec", d, findings, "Not signed (insecure delegation).", res.validation)
	}
	return newCheck("dnssec", d, findings, "Bogus: DNSSEC validation fails.", res.validation)
}

func (s *scorer) dnssec() Item {
	const id, name = "hygiene.dnssec", "DNSSEC-validated answers"
	d := s.in.dnssec
	switch d.state {
	case "secure":
		return scored(id, "dnssec", name, PointsFull, d.reason, advice{})
	case "insecure":
		return scored(id, "dnssec", name, PointsLow, d.reason,
			prose("Sign the zone with DNSSEC at your DNS host and publish the DS record at your registrar."))
	case "bogus":
		return scored(id, "dnssec", name, PointsNone, d.reason,
			prose("Re-sign the zone, and make the DS record at your registrar match a current DNSKEY."))
	case "unknown":
		return unknown(id, "dnssec", name, d.reason)
	}
	return notApplicable(id, "dnssec", name, d.reason)
}

// --- caps and checklist ----------------------------------------------------------

func (s *scorer) caps() []Cap {
	caps := []Cap{}
	add := func(grade Grade, item, reason string) {
		caps = append(caps, Cap{MaxGrade: grade, Item: item, Reason: reason})
	}
	if s.mx != nil && s.mx.NXDOMAIN {
		add("F", "", "The domain does not exist (NXDOMAIN).")
	}
	// A listing on a list most receivers consult: mail is refused or filtered whatever
	// the authentication, until the cause is fixed and the listing removed.
	if l := s.majorListing(); l != nil {
		add("C", "mx.reputation", fmt.Sprintf("%s is listed on %s: most large receivers consult it.", l.Target, l.List))
	}
	// Anyone may pass SPF, and with it DMARC through the aligned SPF path: the domain
	// can be spoofed whatever its DMARC policy says.
	if s.in.unlisted != nil && s.in.unlisted.PassesEveryone() {
		add("F", "spf.policy", "SPF passes every address (an address no one can send from passes): anyone can send mail that passes SPF and DMARC.")
	} else if s.spf != nil {
		if wide := s.spf.WideNetworks(); len(wide) > 0 {
			add("F", "", fmt.Sprintf("SPF passes networks wider than /%d (IPv4) or /%d (IPv6): %s.", spf.WidestIPv4Prefix, spf.WidestIPv6Prefix, strings.Join(wide, ", ")))
		}
	}
	switch {
	case s.dmarcApplies() || s.dmarcUnknown():
	case s.dmarcMultiple():
		add("D", "dmarc.record", "More than one DMARC record: receivers apply no policy.")
	default:
		add("D", "dmarc.record", "No DMARC record.")
	}
	switch s.spfVerdict() {
	case spf.None:
		add("D", "spf.record", "No SPF record.")
	case spf.PermError:
		add("D", "spf.record", "SPF evaluates to permerror: "+s.in.unlisted.Problem()+".")
	}
	if s.dmarcApplies() {
		if bis, legacy := s.policies(); weaker(bis, legacy) == dmarc.None {
			add("C", "dmarc.policy", "DMARC applies p=none (under RFC 9989, or for RFC 7489 receivers through pct/t): failing mail is still delivered.")
		}
	}
	if usable, broken := s.usableKeys(); len(usable) == 0 && len(broken) > 0 && !s.parked() {
		add("C", "dkim.key", "The only DKIM keys found are revoked or shorter than 1024 bits.")
	}
	return caps
}

func (s *scorer) checklist() []ChecklistItem {
	item := func(id, name string, met bool, detail string) ChecklistItem {
		st := ChecklistNotMet
		if met {
			st = ChecklistMet
		}
		return ChecklistItem{ID: id, Name: name, State: st, Detail: detail}
	}
	var out []ChecklistItem
	v := s.spfVerdict()
	spfOK := v != spf.None && v != spf.PermError && v != spf.TempError
	sp := item("spf", "SPF record published and valid", spfOK, "Gmail, Yahoo and Microsoft require SPF for bulk senders.")
	if v == spf.TempError {
		sp.State, sp.Detail = ChecklistUnknown, "The SPF policy could not be evaluated (DNS failure)."
	}
	out = append(out, sp)

	usable, _ := s.usableKeys()
	dk := item("dkim", "DKIM key published", len(usable) > 0, "Bulk senders must sign with DKIM.")
	if len(usable) == 0 && s.dkim != nil && !s.dkimNamedMissing() {
		dk.State, dk.Detail = ChecklistUnknown, fmt.Sprintf("No key among %d probed selectors; pass --selector to check yours.", s.dkim.Probed)
	}
	out = append(out, dk)

	dm := item("dmarc", "DMARC record with at least p=none", s.dmarcApplies(), "Required of senders of more than 5,000 messages a day.")
	if s.dmarcUnknown() {
		dm.State, dm.Detail = ChecklistUnknown, "The DMARC lookup failed."
	}
	out = append(out, dm)

	aligned := spfOK && s.dmarcApplies() || len(usable) > 0
	out = append(out, item("alignment", "An aligned SPF or DKIM path is possible", aligned,
		"DMARC passes only when SPF's MAIL FROM domain or DKIM's d= matches the From domain (relaxed: same organizational domain)."))

	ptr := ChecklistItem{ID: "ptr", Name: "Forward-confirmed reverse DNS for sending IPs", State: ChecklistUnknown, Detail: "Not checked: pass the sending IPs with --ip."}
	if s.in.ipsGiven {
		it := s.ptr()
		ptr.State, ptr.Detail = ChecklistNotMet, it.Reason
		switch {
		case it.State == ItemError:
			ptr.State = ChecklistUnknown
		case it.Points > PointsNone: // a generic name is still forward-confirmed
			ptr.State = ChecklistMet
		}
	}
	out = append(out, ptr,
		ChecklistItem{ID: "unsubscribe", Name: "One-click unsubscribe (RFC 8058 List-Unsubscribe-Post)", State: ChecklistCheckedOnMessages,
			Detail: "A property of each message: check a sample with `mailcheck message`."},
		ChecklistItem{ID: "complaints", Name: "Spam complaint rate below 0.3%", State: ChecklistNotMeasurable,
			Detail: "Watch it in Google Postmaster Tools and Yahoo's complaint feedback loop."})
	return out
}

// dkimNamedMissing reports a selector the user named that has no key.
func (s *scorer) dkimNamedMissing() bool {
	if s.dkim == nil {
		return false
	}
	for _, k := range s.dkim.Keys {
		if !k.Discovered && k.Status == dkim.KeyMissing {
			return true
		}
	}
	return false
}
