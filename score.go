package mailcheck

import (
	"encoding/json"
	"math"
	"slices"
	"sort"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/spf"
)

// ScoringVersion changes whenever a weight, a points rule, a cap or a grade boundary
// changes, so stored scores can be compared honestly. SCORING.md documents it.
const ScoringVersion = "2026-12.5"

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
	// ItemNotApplicable: the item does not apply, or cannot be judged with the means at
	// hand (DNSSEC through a non-validating resolver); left out of the score.
	ItemNotApplicable ItemState = "not_applicable"
	// ItemError: a DNS failure left it unknown. It could earn anything from 0 to 10,
	// so it widens the score range and leaves the grade unknown.
	ItemError ItemState = "error"
)

// FixRecord is one DNS change of a fix (see Finding.FixRecords).
type FixRecord = finding.FixRecord

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
	// FixRecords is Fix as DNS changes, when the fix is a record to publish.
	FixRecords []FixRecord `json:"fix_records,omitempty"`
}

// Category groups items under one weight.
type Category struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Weight   int    `json:"weight"`
	Earned   int    `json:"earned"`
	Possible int    `json:"possible"`
	// Unknown is the points of the items a DNS failure left unknown.
	Unknown int `json:"unknown"`
	// Score is Earned/Possible as a percentage over the items that could be judged;
	// -1 when none could.
	Score int    `json:"score"`
	Items []Item `json:"items"`
}

// Grade is a letter from A to F. The empty Grade is unknown: DNS failures left items
// whose outcome could change it. It prints as "?" and is null in JSON.
type Grade string

// String returns the letter, or "?" when unknown.
func (g Grade) String() string {
	if g == "" {
		return "?"
	}
	return string(g)
}

// MarshalJSON writes an unknown grade as null.
func (g Grade) MarshalJSON() ([]byte, error) {
	if g == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(g))
}

// UnmarshalJSON reads null as the unknown grade.
func (g *Grade) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*g = ""
	if s != nil {
		*g = Grade(*s)
	}
	return nil
}

// Cap is a rule that holds the grade at or below MaxGrade whatever the points.
type Cap struct {
	MaxGrade Grade `json:"max_grade"`
	// Item is the item whose fix lifts the cap, when one does.
	Item   string `json:"item,omitempty"`
	Reason string `json:"reason"`
}

// FixItem is one change and the score it would gain.
type FixItem struct {
	Item       string      `json:"item"`
	Gain       float64     `json:"gain"`
	Title      string      `json:"title"`
	Fix        string      `json:"fix"`
	FixRecords []FixRecord `json:"fix_records,omitempty"`
	// items are every item the entry stands for (several when they fold into one).
	items []string
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
	grade Grade
	floor int
}{{"A", 90}, {"B", 80}, {"C", 70}, {"D", 60}, {"F", 0}}

// scoreInput is every fact the scorer reads: the checks' results, and the facts only
// the score needs, fetched beside the checks.
type scoreInput struct {
	report *Report
	dnssec dnssecResult
	ptrs   []ptrResult
	// mxPtrs is the reverse DNS of the MX hosts' public addresses.
	mxPtrs   []ptrResult
	ipsGiven bool
	// unlisted is check_host() for senders the domain's SPF policy does not list.
	unlisted *spf.Unlisted
}

// score fills the report's categories, score range, grade, caps, fix list and checklist.
func score(in *scoreInput) {
	rep := in.report
	s := scorer{in: in, mx: detail[*dnscheck.MXReport](rep, "mx"), spf: detail[*spf.Report](rep, "spf"),
		dmarc: detail[*dmarc.Report](rep, "dmarc"), dkim: detail[*dkim.Report](rep, "dkim")}
	items := map[string][]Item{
		"dmarc":   {s.dmarcRecord(), s.dmarcPolicy(), s.dmarcSubdomains(), s.dmarcReports()},
		"spf":     {s.spfRecord(), s.spfPolicy(), s.spfLookups()},
		"dkim":    {s.dkimKey(), s.dkimHygiene()},
		"mx":      {s.mxRecords(), s.ptr(), s.mxPTR(), s.mtastsPolicy(), s.tlsrptRecord(), s.smtpTLS(), s.blocklists()},
		"hygiene": {s.placement(), s.dnssec()},
	}
	// The score is a range: unknown items count 0 for the lower bound and full for the
	// upper one. Without unknown items the two are equal.
	var low, high, weights float64
	for _, cw := range categoryWeights {
		cat := Category{ID: cw.id, Name: cw.name, Weight: cw.weight, Items: items[cw.id], Score: -1}
		for _, it := range cat.Items {
			cat.Earned += it.Points
			cat.Possible += it.Possible
			if it.State == ItemError {
				cat.Unknown += PointsFull
			}
		}
		if cat.Possible > 0 {
			cat.Score = int(math.Round(100 * float64(cat.Earned) / float64(cat.Possible)))
		}
		if all := cat.Possible + cat.Unknown; all > 0 {
			low += float64(cw.weight) * float64(cat.Earned) / float64(all)
			high += float64(cw.weight) * float64(cat.Earned+cat.Unknown) / float64(all)
			weights += float64(cw.weight)
		}
		rep.Categories = append(rep.Categories, cat)
	}
	if weights > 0 {
		rep.ScoreMin = int(math.Round(100 * low / weights))
		rep.ScoreMax = int(math.Round(100 * high / weights))
	}
	rep.Score = rep.ScoreMin
	rep.Caps = append(s.caps(), s.transportCaps()...)
	// The report is incomplete when an item is unknown. A DNS failure that changes no
	// item (a probed DKIM selector timing out beside a key that was found, BIMI,
	// which scores nothing) leaves its check's status "error" but not the grade.
	for _, c := range rep.Checks {
		p := &Points{}
		for _, cat := range rep.Categories {
			for _, it := range cat.Items {
				if it.Check == c.ID {
					p.Earned += it.Points
					p.Possible += it.Possible
				}
				if it.State == ItemError {
					rep.Incomplete = true
				}
			}
		}
		c.Points = p
	}
	// Unknown is not good: a report with unknown items has no letter, however high its
	// lower bound, since a cap could hang on what is unknown.
	if !rep.Incomplete {
		rep.Grade = gradeOf(rep.Score)
		for _, c := range rep.Caps {
			if c.MaxGrade > rep.Grade { // letters: a later letter is a worse grade
				rep.Grade = c.MaxGrade
			}
		}
	}
	rep.FixFirst = fixFirst(rep.Categories, weights, rep.Caps)
	if rep.Profile == ProfileBulkSender {
		rep.Checklist = s.checklist()
	}
}

func gradeOf(score int) Grade {
	for _, g := range gradeFloors {
		if score >= g.floor {
			return g.grade
		}
	}
	return "F"
}

// fixFirst ranks the items short of full points: first those whose fix lifts a cap
// (the worst cap first: they hold the grade down whatever else is fixed), then by the
// total score each would add. When a category's first item (its record) earned
// nothing, the other items of the category are consequences of the same missing or
// broken record, so they fold into one entry; entries with the same fix text fold
// too. Among equal gains, a fix that corrects the owner's own record comes first.
func fixFirst(cats []Category, weights float64, caps []Cap) []FixItem {
	var out []FixItem
	add := func(f FixItem) {
		for i := range out {
			if out[i].Fix == f.Fix {
				out[i].Gain += f.Gain
				out[i].items = append(out[i].items, f.items...)
				return
			}
		}
		out = append(out, f)
	}
	for _, cat := range cats {
		var base *FixItem
		all := cat.Possible + cat.Unknown
		for i, it := range cat.Items {
			if it.State != ItemScored || it.Points == PointsFull || all == 0 {
				continue
			}
			gain := 100 * float64(cat.Weight) * float64(PointsFull-it.Points) / float64(all) / weights
			item := FixItem{Item: it.ID, Gain: gain, Title: it.Name, Fix: it.Fix, FixRecords: it.FixRecords, items: []string{it.ID}}
			switch {
			case i == 0 && it.Points == PointsNone:
				base = &item
			case base != nil:
				base.Gain += gain
				base.items = append(base.items, it.ID)
			case it.Fix != "":
				add(item)
			}
		}
		if base != nil && base.Fix != "" {
			add(*base)
		}
	}
	for i := range out {
		out[i].Gain = math.Round(out[i].Gain*10) / 10
	}
	// capOf is the worst grade the entry's item holds the report to ("" for none).
	capOf := func(f FixItem) Grade {
		var worst Grade
		for _, c := range caps {
			if slices.Contains(f.items, c.Item) && c.MaxGrade > worst {
				worst = c.MaxGrade
			}
		}
		return worst
	}
	sort.SliceStable(out, func(i, j int) bool {
		if ci, cj := capOf(out[i]), capOf(out[j]); ci != cj {
			return ci > cj // "F" > "D" > "C" > ""
		}
		if out[i].Gain != out[j].Gain {
			return out[i].Gain > out[j].Gain
		}
		return correctsOwnRecord(out[i].FixRecords) && !correctsOwnRecord(out[j].FixRecords)
	})
	if len(out) > 5 {
		out = out[:5]
	}
	if out == nil {
		out = []FixItem{}
	}
	return out
}

// correctsOwnRecord reports whether the changes edit a record the owner published
// (replace or delete) rather than only add one.
func correctsOwnRecord(changes []FixRecord) bool {
	for _, c := range changes {
		if c.Action == finding.Replace || c.Action == finding.Delete {
			return true
		}
	}
	return false
}

// detail returns a check's details as type T (nil when the check is absent or skipped).
func detail[T any](rep interface{ Check(id string) *Check }, id string) T {
	var zero T
	c := rep.Check(id)
	if c == nil {
		return zero
	}
	v, _ := c.Details.(T)
	return v
}
