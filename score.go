package mailcheck

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/spf"
)

// ScoringVersion changes whenever a weight, a points rule, a cap or a grade boundary
// changes, so stored scores can be compared honestly. SCORING.md documents it.
const ScoringVersion = "2026-11.2"

// The points an item can earn (SCORING.md).
const (
	PointsFull = 10
	PointsHalf = 5
	PointsLow  = 2
	PointsNone = 0
)

// ItemState says whether an item counts.
type ItemState string

const (
	// ItemScored: the item earned Points of 10.
	ItemScored ItemState = "scored"
	// ItemNotApplicable: the item does not apply; left out of the denominator.
	ItemNotApplicable ItemState = "not_applicable"
	// ItemError: a DNS failure left it unknown; left out of the denominator.
	ItemError ItemState = "error"
)

// Item is one scored fact.
type Item struct {
	ID     string    `json:"id"`
	Check  string    `json:"check"`
	Name   string    `json:"name"`
	State  ItemState `json:"state"`
	Points int       `json:"points"`
	// Possible is 10 for a scored item, 0 otherwise.
	Possible int    `json:"possible"`
	Reason   string `json:"reason"`
	Fix      string `json:"fix,omitempty"`
}

// Category groups items under one weight.
type Category struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Weight   int    `json:"weight"`
	Earned   int    `json:"earned"`
	Possible int    `json:"possible"`
	// Score is Earned/Possible as a percentage; -1 when nothing in it applies.
	Score int    `json:"score"`
	Items []Item `json:"items"`
}

// Cap is a rule that holds the grade at or below MaxGrade whatever the points.
type Cap struct {
	MaxGrade string `json:"max_grade"`
	Reason   string `json:"reason"`
}

// FixItem is one change and the score it would gain.
type FixItem struct {
	Item  string  `json:"item"`
	Gain  float64 `json:"gain"`
	Title string  `json:"title"`
	Fix   string  `json:"fix"`
}

// ChecklistState is the state of one bulk-sender requirement.
type ChecklistState string

// The checklist states.
const (
	ChecklistMet               ChecklistState = "met"
	ChecklistNotMet            ChecklistState = "not_met"
	ChecklistUnknown           ChecklistState = "unknown"
	ChecklistCheckedOnMessages ChecklistState = "checked_on_messages"
	ChecklistNotMeasurable     ChecklistState = "not_measurable_from_dns"
)

// ChecklistItem is one bulk-sender requirement.
type ChecklistItem struct {
	ID     string         `json:"id"`
	Name   string         `json:"name"`
	State  ChecklistState `json:"state"`
	Detail string         `json:"detail"`
}

// Points is what a check earned in the report.
type Points struct {
	Earned   int `json:"earned"`
	Possible int `json:"possible"`
}

// categoryWeights are the published default weights (SCORING.md).
var categoryWeights = []struct {
	id, name string
	weight   int
}{
	{"dmarc", "DMARC", 30},
	{"spf", "SPF", 20},
	{"dkim", "DKIM", 20},
	{"mx", "MX and transport", 15},
	{"hygiene", "DNS hygiene", 15},
}

// gradeFloors are the lowest scores of each grade.
var gradeFloors = []struct {
	grade string
	floor int
}{{"A", 90}, {"B", 80}, {"C", 70}, {"D", 60}, {"F", 0}}

type scoreInput struct {
	report   *Report
	dnssec   dnssecResult
	ptrs     []ptrResult
	ipsGiven bool
}

// score fills the report's categories, score, grade, caps, fix list and checklist.
func score(in *scoreInput) {
	rep := in.report
	s := scorer{in: in, mx: detail[*dnscheck.MXResult](rep, "mx"), spf: detail[*spf.Report](rep, "spf"),
		dmarc: detail[*dmarc.Result](rep, "dmarc"), dkim: detail[*dkim.Result](rep, "dkim")}
	items := map[string][]Item{
		"dmarc":   {s.dmarcRecord(), s.dmarcPolicy(), s.dmarcSubdomains(), s.dmarcReports()},
		"spf":     {s.spfRecord(), s.spfPolicy(), s.spfLookups()},
		"dkim":    {s.dkimKey(), s.dkimHygiene()},
		"mx":      {s.mxRecords(), s.ptr()},
		"hygiene": {s.placement(), s.dnssec()},
	}
	var weighted, weights float64
	for _, cw := range categoryWeights {
		cat := Category{ID: cw.id, Name: cw.name, Weight: cw.weight, Items: items[cw.id], Score: -1}
		for _, it := range cat.Items {
			cat.Earned += it.Points
			cat.Possible += it.Possible
		}
		if cat.Possible > 0 {
			frac := float64(cat.Earned) / float64(cat.Possible)
			cat.Score = int(math.Round(100 * frac))
			weighted += float64(cw.weight) * frac
			weights += float64(cw.weight)
		}
		rep.Categories = append(rep.Categories, cat)
	}
	if weights > 0 {
		rep.Score = int(math.Round(100 * weighted / weights))
	}
	rep.Grade = gradeOf(rep.Score)
	rep.Caps = s.caps()
	for _, c := range rep.Caps {
		if c.MaxGrade > rep.Grade { // letters: a later letter is a worse grade
			rep.Grade = c.MaxGrade
		}
	}
	for _, c := range rep.Checks {
		if c.Incomplete() || c.Status == StatusError {
			rep.Incomplete = true
		}
		p := &Points{}
		for _, cat := range rep.Categories {
			for _, it := range cat.Items {
				if it.Check == c.ID {
					p.Earned += it.Points
					p.Possible += it.Possible
				}
			}
		}
		c.Points = p
	}
	rep.FixFirst = fixFirst(rep.Categories, weights)
	if rep.Profile == ProfileBulkSender {
		rep.Checklist = s.checklist()
	}
}

func gradeOf(score int) string {
	for _, g := range gradeFloors {
		if score >= g.floor {
			return g.grade
		}
	}
	return "F"
}

// fixFirst ranks every item short of full points by the total score it would add.
// When a category's first item (its record) earned nothing, the other items of the
// category are consequences of the same missing or broken record, so they fold into
// one entry; entries with the same fix text fold too.
func fixFirst(cats []Category, weights float64) []FixItem {
	var out []FixItem
	add := func(f FixItem) {
		for i := range out {
			if out[i].Fix == f.Fix {
				out[i].Gain += f.Gain
				return
			}
		}
		out = append(out, f)
	}
	for _, cat := range cats {
		var base *FixItem
		for i, it := range cat.Items {
			if it.State != ItemScored || it.Points == PointsFull || cat.Possible == 0 {
				continue
			}
			gain := 100 * float64(cat.Weight) * float64(PointsFull-it.Points) / float64(cat.Possible) / weights
			switch {
			case i == 0 && it.Points == PointsNone:
				base = &FixItem{Item: it.ID, Gain: gain, Title: it.Name, Fix: it.Fix}
			case base != nil:
				base.Gain += gain
			case it.Fix != "":
				add(FixItem{Item: it.ID, Gain: gain, Title: it.Name, Fix: it.Fix})
			}
		}
		if base != nil && base.Fix != "" {
			add(*base)
		}
	}
	for i := range out {
		out[i].Gain = math.Round(out[i].Gain*10) / 10
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Gain > out[j].Gain })
	if len(out) > 5 {
		out = out[:5]
	}
	if out == nil {
		out = []FixItem{}
	}
	return out
}

// detail returns a check's details as type T (nil when the check is absent or skipped).
func detail[T any](rep *Report, id string) T {
	var zero T
	c := rep.Check(id)
	if c == nil {
		return zero
	}
	v, _ := c.Details.(T)
	return v
}

type scorer struct {
	in    *scoreInput
	mx    *dnscheck.MXResult
	spf   *spf.Report
	dmarc *dmarc.Result
	dkim  *dkim.Result
}

func (s *scorer) parked() bool { return s.in.report.Profile == ProfileParked }

func (s *scorer) check(id string) *Check { return s.in.report.Check(id) }

// has reports whether the check has a finding with any of the codes.
func (s *scorer) has(id string, codes ...Code) bool {
	return s.finding(id, codes...) != nil
}

func (s *scorer) finding(id string, codes ...Code) *Finding {
	c := s.check(id)
	if c == nil {
		return nil
	}
	for i := range c.Findings {
		if slices.Contains(codes, c.Findings[i].Code) {
			return &c.Findings[i]
		}
	}
	return nil
}

// fixOf returns the Fix of the first finding with one of the codes, or def.
func (s *scorer) fixOf(id, def string, codes ...Code) string {
	if f := s.finding(id, codes...); f != nil && f.Fix != "" {
		return f.Fix
	}
	return def
}

func scored(id, check, name string, points int, reason, fix string) Item {
	if points == PointsFull {
		fix = ""
	}
	return Item{ID: id, Check: check, Name: name, State: ItemScored, Points: points, Possible: PointsFull, Reason: reason, Fix: fix}
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

const dmarcRecordExample = "_dmarc.%s. TXT \"v=DMARC1; p=reject; rua=mailto:dmarc-reports@%s\""

func (s *scorer) dmarcApplies() bool { return s.dmarc != nil && s.dmarc.Record != nil }

func (s *scorer) dmarcRecord() Item {
	const id, name = "dmarc.record", "One valid DMARC record"
	d := s.in.report.Domain
	publish := fmt.Sprintf("Publish one record: "+dmarcRecordExample, d, d)
	switch {
	case s.dmarcApplies() && s.dmarcRecordErrors():
		return scored(id, "dmarc", name, PointsHalf, "A DMARC record applies but has errors that some receivers will not accept.",
			s.fixOf("dmarc", publish, dmarc.CodeSyntax, dmarc.CodeInvalidValue, dmarc.CodeDuplicateTag, dmarc.CodeMissingP))
	case s.dmarcApplies():
		return scored(id, "dmarc", name, PointsFull, fmt.Sprintf("Found at %s.", s.dmarc.FoundAt), "")
	case s.has("dmarc", dmarc.CodeMultipleRecords):
		return scored(id, "dmarc", name, PointsNone, "More than one DMARC record: receivers ignore them all.",
			s.fixOf("dmarc", publish, dmarc.CodeMultipleRecords))
	}
	if r := s.incompleteReason("dmarc"); r != "" {
		return unknown(id, "dmarc", name, r)
	}
	return scored(id, "dmarc", name, PointsNone, "No DMARC record applies to the domain.", s.fixOf("dmarc", publish, dmarc.CodeMissing))
}

// dmarcRecordErrors reports error-severity findings about the record's own text.
func (s *scorer) dmarcRecordErrors() bool {
	for _, f := range s.check("dmarc").Findings {
		if f.Severity == Error && !f.Incomplete && slices.Contains([]Code{dmarc.CodeSyntax, dmarc.CodeInvalidValue,
			dmarc.CodeDuplicateTag, dmarc.CodeMissingP, dmarc.CodeInvalidURI}, f.Code) {
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

func (s *scorer) dmarcPolicy() Item {
	const id, name = "dmarc.policy", "DMARC policy for the domain"
	if !s.dmarcApplies() {
		if r := s.incompleteReason("dmarc"); r != "" {
			return unknown(id, "dmarc", name, r)
		}
		return scored(id, "dmarc", name, PointsNone, "No policy: receivers apply nothing to mail that fails authentication.",
			"Publish a DMARC record (see above), starting with p=none to collect reports, then move to p=reject.")
	}
	p := s.dmarc.Discovery.RFC9989.Policy
	fix := fmt.Sprintf("Once the aggregate reports show all your mail passing, raise the policy: p=reject at _dmarc.%s.", s.dmarc.Discovery.RFC9989.PolicyDomain)
	return scored(id, "dmarc", name, policyPoints(p), fmt.Sprintf("Effective policy: %s.", p), fix)
}

func (s *scorer) dmarcSubdomains() Item {
	const id, name = "dmarc.subdomains", "DMARC policy for subdomains"
	if !s.dmarcApplies() {
		if r := s.incompleteReason("dmarc"); r != "" {
			return unknown(id, "dmarc", name, r)
		}
		return scored(id, "dmarc", name, PointsNone, "No policy covers the subdomains.", "Publish a DMARC record with p=reject (sp and np default to p).")
	}
	o := s.dmarc.Discovery.RFC9989
	worst := o.SubdomainPolicy
	if policyPoints(o.NonexistentPolicy) < policyPoints(worst) {
		worst = o.NonexistentPolicy
	}
	return scored(id, "dmarc", name, policyPoints(worst),
		fmt.Sprintf("Existing subdomains: %s; non-existent subdomains: %s.", o.SubdomainPolicy, o.NonexistentPolicy),
		"Set sp=reject and np=reject (or drop them so they default to p=reject), so nobody can spoof made-up subdomains.")
}

func (s *scorer) dmarcReports() Item {
	const id, name = "dmarc.reports", "Aggregate reports (rua)"
	if !s.dmarcApplies() {
		if r := s.incompleteReason("dmarc"); r != "" {
			return unknown(id, "dmarc", name, r)
		}
		return scored(id, "dmarc", name, PointsNone, "No DMARC record, so no reports.", "Publish a DMARC record with rua=mailto:... to learn who sends as your domain.")
	}
	switch {
	case s.has("dmarc", dmarc.CodeExternalUnverified):
		return unknown(id, "dmarc", name, "Unknown: the authorization of an external report destination could not be looked up.")
	case s.has("dmarc", dmarc.CodeNoRUA):
		return scored(id, "dmarc", name, PointsLow, "No rua: you get no aggregate reports.",
			s.fixOf("dmarc", "Add rua=mailto:dmarc-reports@"+s.in.report.Domain+" to the record.", dmarc.CodeNoRUA))
	case s.has("dmarc", dmarc.CodeExternalUnauthorized, dmarc.CodeInvalidURI, dmarc.CodeRUANoMX, dmarc.CodeTooManyURIs):
		return scored(id, "dmarc", name, PointsHalf, "Some report destinations will not receive reports.",
			s.fixOf("dmarc", "Fix the rua destinations.", dmarc.CodeExternalUnauthorized, dmarc.CodeInvalidURI, dmarc.CodeRUANoMX, dmarc.CodeTooManyURIs))
	}
	return scored(id, "dmarc", name, PointsFull, "Aggregate reports go to valid, authorized destinations.", "")
}

// --- SPF -----------------------------------------------------------------------

// spfPermErrors are the codes under which receivers return permerror for the domain.
var spfPermErrors = []Code{spf.CodeMultipleRecords, spf.CodeSyntax, spf.CodeIncludeMissing, spf.CodeLoop, spf.CodeLookupLimit, spf.CodeVoidLimit}

func (s *scorer) spfRecord() Item {
	const id, name = "spf.record", "One valid SPF record"
	d := s.in.report.Domain
	switch {
	case s.has("spf", spf.CodeMissing):
		return scored(id, "spf", name, PointsNone, "No SPF record: receivers cannot tell your servers from forgers.",
			s.fixOf("spf", fmt.Sprintf("Publish %s. TXT \"v=spf1 mx -all\" listing the servers that send your mail.", d), spf.CodeMissing))
	case s.has("spf", spfPermErrors...):
		f := s.finding("spf", spfPermErrors...)
		return scored(id, "spf", name, PointsNone, "Receivers get permerror: "+f.Message, f.Fix)
	}
	if r := s.incompleteReason("spf"); r != "" {
		return unknown(id, "spf", name, r)
	}
	if s.spf == nil {
		return notApplicable(id, "spf", name, "The SPF audit did not run.")
	}
	return scored(id, "spf", name, PointsFull, "The record evaluates without errors.", "")
}

// finalAll returns the "all" term receivers reach: the record's own, or the one at the
// end of its redirect chain (RFC 7208 §6.1). ok is false when there is none.
func (s *scorer) finalAll() (spf.Term, bool) {
	if s.spf == nil || s.spf.Tree == nil {
		return spf.Term{}, false
	}
	for n := s.spf.Tree; n != nil; {
		rec, err := spf.Parse(n.Record)
		if err != nil {
			return spf.Term{}, false
		}
		for _, t := range rec.Terms {
			if t.Mechanism == spf.MechAll {
				return t, true
			}
		}
		var next *spf.Node
		for _, c := range n.Children {
			if c.Via == "redirect" {
				next = c
			}
		}
		n = next
	}
	return spf.Term{}, false
}

func (s *scorer) spfPolicy() Item {
	const id, name = "spf.policy", "SPF verdict for unlisted senders"
	if s.spf == nil || s.spf.Record == "" {
		if r := s.incompleteReason("spf"); r != "" {
			return unknown(id, "spf", name, r)
		}
		return scored(id, "spf", name, PointsNone, "No SPF record.", "Publish an SPF record ending in -all.")
	}
	t, ok := s.finalAll()
	if s.parked() {
		return s.parkedSPF(t, ok)
	}
	fix := "End the record with -all once every sending service is listed."
	if !ok {
		return scored(id, "spf", name, PointsLow, "No all mechanism: unlisted senders get neutral.", fix)
	}
	switch t.Qualifier.Result() {
	case spf.Fail:
		return scored(id, "spf", name, PointsFull, "-all: unlisted senders fail.", "")
	case spf.SoftFail:
		return scored(id, "spf", name, PointsHalf, "~all: unlisted senders only softfail.", fix)
	case spf.Neutral:
		return scored(id, "spf", name, PointsLow, "?all: unlisted senders get neutral.", fix)
	}
	return scored(id, "spf", name, PointsNone, "+all: anyone may send as the domain.", "Replace +all with -all: +all authorizes every server on the Internet.")
}

// parkedSPF judges a parked domain's record: it should authorize nobody
// ("v=spf1 -all", M3AAWG's parked-domain advice).
func (s *scorer) parkedSPF(all spf.Term, ok bool) Item {
	const id, name = "spf.policy", "SPF verdict for unlisted senders"
	fix := fmt.Sprintf("Publish %s. TXT \"v=spf1 -all\": a parked domain authorizes no sender.", s.in.report.Domain)
	rec, err := spf.Parse(s.spf.Record)
	if err != nil || !ok || all.Qualifier.Result() != spf.Fail {
		return scored(id, "spf", name, PointsNone, "A parked domain should end its record with -all.", fix)
	}
	for _, t := range rec.Terms {
		if !t.IsModifier() && t.Mechanism != spf.MechAll {
			return scored(id, "spf", name, PointsHalf, "The record authorizes senders, but a parked domain sends no mail.", fix)
		}
	}
	return scored(id, "spf", name, PointsFull, "v=spf1 -all: nobody may send as the domain.", "")
}

func (s *scorer) spfLookups() Item {
	const id, name = "spf.lookups", "SPF DNS lookup budget"
	if s.spf == nil || s.spf.Record == "" {
		if r := s.incompleteReason("spf"); r != "" {
			return unknown(id, "spf", name, r)
		}
		return scored(id, "spf", name, PointsNone, "No SPF record.", "Publish an SPF record.")
	}
	n := s.spf.Lookups
	fix := "Replace the heaviest includes with their ip4:/ip6: ranges or remove unused ones."
	switch {
	case n > 10:
		return scored(id, "spf", name, PointsNone, fmt.Sprintf("%d DNS lookups: over the limit of 10 (permerror).", n), s.fixOf("spf", fix, spf.CodeLookupLimit))
	case n >= 9:
		return scored(id, "spf", name, PointsHalf, fmt.Sprintf("%d DNS lookups of 10: one more include breaks SPF.", n), fix)
	}
	return scored(id, "spf", name, PointsFull, fmt.Sprintf("%d DNS lookups of 10.", n), "")
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
	usable, broken := s.usableKeys()
	gen := fmt.Sprintf("Generate a 2048-bit RSA key and publish it: <selector>._domainkey.%s. TXT \"v=DKIM1; k=rsa; p=<base64 public key>\"", s.in.report.Domain)
	if len(usable) > 0 {
		best := usable[0]
		for _, k := range usable[1:] {
			if keyStrength(k.Key) > keyStrength(best.Key) {
				best = k
			}
		}
		pts := keyStrength(best.Key)
		reason := fmt.Sprintf("Key at selector %s: %s, %d bits.", best.Selector, best.Key.Material, best.Key.Bits)
		return scored(id, "dkim", name, pts, reason, "Rotate to a 2048-bit RSA key: "+gen)
	}
	if len(broken) > 0 {
		return scored(id, "dkim", name, PointsNone, fmt.Sprintf("Only revoked or too-weak keys were found (selector %s).", broken[0].Selector), gen)
	}
	if r := s.incompleteReason("dkim"); r != "" {
		return unknown(id, "dkim", name, r)
	}
	for _, k := range s.dkim.Keys {
		if !k.Discovered && k.Status == dkim.KeyMissing {
			return scored(id, "dkim", name, PointsNone, fmt.Sprintf("No key at the selector you named (%s).", k.Selector), gen)
		}
	}
	return scored(id, "dkim", name, PointsHalf,
		fmt.Sprintf("Inconclusive: not found among %d probed selectors; pass --selector.", s.dkim.Probed),
		"Run again with --selector set to the selector your mail is signed with (the s= tag of a DKIM-Signature header), or publish a key.")
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
	var fix string
	for _, k := range append(usable, broken...) {
		for _, f := range k.Findings {
			if f.Severity.Rank() > worst && !f.Incomplete && f.Code != dkim.CodeKeyStrict && f.Code != dkim.CodeEd25519Only {
				worst, fix = f.Severity.Rank(), f.Fix
			}
		}
	}
	switch worst {
	case Error.Rank():
		return scored(id, "dkim", name, PointsNone, "A key record has errors.", fix)
	case Warning.Rank():
		return scored(id, "dkim", name, PointsHalf, "A key record has warnings.", fix)
	}
	return scored(id, "dkim", name, PointsFull, "Key records are well-formed.", "")
}

// --- MX and transport ----------------------------------------------------------

func (s *scorer) mxRecords() Item {
	const id, name = "mx.records", "MX records"
	c := s.check("mx")
	if s.parked() {
		if s.mx != nil && s.mx.Null && len(s.mx.Hosts) == 1 {
			return scored(id, "mx", name, PointsFull, "Null MX: the domain accepts no mail.", "")
		}
		if r := s.incompleteReason("mx"); r != "" {
			return unknown(id, "mx", name, r)
		}
		d := s.in.report.Domain
		return scored(id, "mx", name, PointsLow, "A parked domain should say it accepts no mail.",
			fmt.Sprintf("Publish a null MX (RFC 7505) instead of other MX records: %s. MX 0 .", d))
	}
	switch c.Status {
	case StatusPass:
		if s.mx != nil && s.mx.Null {
			return scored(id, "mx", name, PointsFull, "Null MX: the domain accepts no mail (bounces to it cannot be delivered).", "")
		}
		return scored(id, "mx", name, PointsFull, c.Summary, "")
	case StatusWarn:
		return scored(id, "mx", name, PointsHalf, c.Summary, firstFix(c, Warning))
	case StatusFail:
		return scored(id, "mx", name, PointsNone, c.Summary, firstFix(c, Error))
	}
	return unknown(id, "mx", name, s.incompleteReason("mx"))
}

func firstFix(c *Check, sev Severity) string {
	for _, f := range c.Findings {
		if f.Severity == sev && f.Fix != "" {
			return f.Fix
		}
	}
	return ""
}

func (s *scorer) ptr() Item {
	const id, name = "mx.ptr", "Reverse DNS of sending IPs"
	if !s.in.ipsGiven {
		return notApplicable(id, "mx", name, "No sending IPs given (--ip).")
	}
	bad := 0
	var why string
	for _, p := range s.in.ptrs {
		if p.Failed {
			return unknown(id, "mx", name, "Unknown: the PTR lookup for "+p.IP.String()+" failed.")
		}
		if !p.Confirmed {
			bad++
			why = fmt.Sprintf("%s: %s", p.IP, p.Err)
		}
	}
	if bad > 0 {
		return scored(id, "mx", name, PointsNone, fmt.Sprintf("%d of %d sending IPs lack forward-confirmed reverse DNS (%s).", bad, len(s.in.ptrs), why),
			"Ask the IP's owner (your hosting provider) to set a PTR record to a name that resolves back to the IP.")
	}
	return scored(id, "mx", name, PointsFull, "Every sending IP has forward-confirmed reverse DNS.", "")
}

// --- DNS hygiene ---------------------------------------------------------------

// placementCodes are findings about records published in the wrong place or shape.
var placementCodes = []Code{
	dmarc.CodeRecordAtApex, dmarc.CodeSPFAtDMARC, dmarc.CodeUnrelatedTXT, dmarc.CodeLeadingWhitespace,
	spf.CodeType99, spf.CodeTermsAfterAll, spf.CodeRedirectIgnored, spf.CodeUnknownModifier, spf.CodePTR,
	spf.CodeRecordSize, spf.CodeIPInDomainSpec, dnscheck.CodeMXCname, dnscheck.CodeMXDuplicate, dnscheck.CodeMXIPLiteral, dkim.CodeMultipleKeyRecords,
}

func (s *scorer) placement() Item {
	const id, name = "hygiene.records", "Records in the place and shape receivers expect"
	worst := 0
	var fix, msg string
	for _, c := range s.in.report.Checks {
		for _, f := range c.Findings {
			if slices.Contains(placementCodes, f.Code) && f.Severity.Rank() > worst {
				worst, fix, msg = f.Severity.Rank(), f.Fix, f.Message
			}
		}
	}
	switch worst {
	case Error.Rank():
		return scored(id, "hygiene", name, PointsLow, msg, fix)
	case Warning.Rank():
		return scored(id, "hygiene", name, PointsHalf, msg, fix)
	}
	return scored(id, "hygiene", name, PointsFull, "No stray, misplaced or deprecated records.", "")
}

type dnssecResult struct {
	known, authenticated bool
	reason               string
}

// dnssecState asks whether the resolver validated the domain's answers (AD bit,
// RFC 4035 §3.2.3). Only a validating resolver sets it, so a clear bit on an unsigned
// domain and on a non-validating resolver look alike; the reason says so.
func dnssecState(ctx context.Context, r *dnscheck.Resolver, domain string) dnssecResult {
	if r.Offline() {
		return dnssecResult{reason: "A zone file cannot show DNSSEC validation."}
	}
	ok, err := r.Validated(ctx, domain)
	if err != nil {
		return dnssecResult{reason: "Unknown: the SOA lookup failed."}
	}
	return dnssecResult{known: true, authenticated: ok}
}

func (s *scorer) dnssec() Item {
	const id, name = "hygiene.dnssec", "DNSSEC-validated answers"
	d := s.in.dnssec
	switch {
	case !d.known && strings.HasPrefix(d.reason, "Unknown"):
		return unknown(id, "hygiene", name, d.reason)
	case !d.known:
		return notApplicable(id, "hygiene", name, d.reason)
	case d.authenticated:
		return scored(id, "hygiene", name, PointsFull, "The resolver validated the domain's answers with DNSSEC (AD bit).", "")
	}
	return scored(id, "hygiene", name, PointsLow,
		"Answers were not DNSSEC-validated (AD bit clear): the zone is unsigned, or the resolver does not validate.",
		"Sign the zone with DNSSEC at your DNS host and publish the DS record at your registrar.")
}

// --- caps and checklist ----------------------------------------------------------

func (s *scorer) caps() []Cap {
	caps := []Cap{}
	add := func(grade, reason string) { caps = append(caps, Cap{MaxGrade: grade, Reason: reason}) }
	if s.mx != nil && s.mx.NXDOMAIN {
		add("F", "The domain does not exist (NXDOMAIN).")
	}
	switch {
	case s.has("dmarc", dmarc.CodeMultipleRecords) && !s.dmarcApplies():
		add("D", "More than one DMARC record: receivers apply no policy.")
	case !s.dmarcApplies() && s.incompleteReason("dmarc") == "":
		add("D", "No DMARC record.")
	}
	switch {
	case s.has("spf", spf.CodeMissing):
		add("D", "No SPF record.")
	case s.has("spf", spfPermErrors...):
		add("D", "SPF evaluates to permerror: "+string(s.finding("spf", spfPermErrors...).Code)+".")
	}
	if s.dmarcApplies() && s.dmarc.Discovery.RFC9989.Policy == dmarc.None {
		add("C", "DMARC policy is p=none: failing mail is still delivered.")
	}
	if usable, broken := s.usableKeys(); len(usable) == 0 && len(broken) > 0 && !s.parked() {
		add("C", "The only DKIM keys found are revoked or shorter than 1024 bits.")
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
	spfOK := s.spf != nil && s.spf.Record != "" && !s.has("spf", spfPermErrors...)
	out = append(out, item("spf", "SPF record published and valid", spfOK, "Gmail, Yahoo and Microsoft require SPF for bulk senders."))

	usable, _ := s.usableKeys()
	dk := item("dkim", "DKIM key published", len(usable) > 0, "Bulk senders must sign with DKIM.")
	if len(usable) == 0 && s.dkim != nil && !s.has("dkim", dkim.CodeKeyMissing) {
		dk.State, dk.Detail = ChecklistUnknown, fmt.Sprintf("No key among %d probed selectors; pass --selector to check yours.", s.dkim.Probed)
	}
	out = append(out, dk)

	out = append(out, item("dmarc", "DMARC record with at least p=none", s.dmarcApplies(), "Required of senders of more than 5,000 messages a day."))

	aligned := spfOK && s.dmarcApplies() || len(usable) > 0
	out = append(out, item("alignment", "An aligned SPF or DKIM path is possible", aligned,
		"DMARC passes only when SPF's MAIL FROM domain or DKIM's d= matches the From domain (relaxed: same organizational domain)."))

	ptr := ChecklistItem{ID: "ptr", Name: "Forward-confirmed reverse DNS for sending IPs", State: ChecklistUnknown, Detail: "Not checked: pass the sending IPs with --ip."}
	if s.in.ipsGiven {
		it := s.ptr()
		ptr.State, ptr.Detail = ChecklistNotMet, it.Reason
		if it.Points == PointsFull {
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
