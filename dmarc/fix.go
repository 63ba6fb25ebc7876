package dmarc

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// FixRecord is one DNS change of a fix (publish, replace, delete).
type FixRecord = finding.FixRecord

func replaceTXT(name, old, new string) FixRecord {
	return FixRecord{Action: finding.Replace, Name: name, Type: "TXT", Replaces: old, Value: new}
}

func publishTXT(name, value string) FixRecord {
	return FixRecord{Action: finding.Publish, Name: name, Type: "TXT", Value: value}
}

func deleteTXT(name, old string) FixRecord {
	return FixRecord{Action: finding.Delete, Name: name, Type: "TXT", Replaces: old}
}

// setTag returns raw with the value of tag replaced in place, every other byte kept:
// a policy raise changes one tag and nothing else. A tag that is not written is added
// (p right after v, where RFC 7489 §6.4 wants it; any other at the end).
func setTag(raw, tag, value string) (string, bool) {
	rec, err := Parse(raw)
	if err != nil {
		return "", false
	}
	for _, t := range rec.Tags {
		if t.Name == tag {
			return raw[:t.valueOffset] + value + raw[t.valueOffset+len(t.Value):], true
		}
	}
	if tag == "p" {
		v := rec.Tags[0]
		end := v.valueOffset + len(v.Value)
		return raw[:end] + "; p=" + value + raw[end:], true
	}
	return strings.TrimRight(raw, " \t;") + "; " + tag + "=" + value, true
}

// removeTag returns raw without every tag-spec named tag, with the ";" before it; every
// other byte is kept.
func removeTag(raw, tag string) (string, bool) {
	rec, err := Parse(raw)
	if err != nil {
		return "", false
	}
	out, found := raw, false
	for i := len(rec.Tags) - 1; i >= 1; i-- {
		t := rec.Tags[i]
		if t.Name != tag {
			continue
		}
		start := strings.LastIndexByte(out[:t.Offset], ';')
		end := strings.IndexByte(out[t.Offset:], ';')
		if end < 0 {
			end = len(out)
		} else {
			end += t.Offset
		}
		out, found = out[:start]+out[end:], true
	}
	return out, found
}

// recordStrength ranks a record for keeping, of several at one name: one that
// receivers apply, then the strongest policy for the domain, its subdomains and
// non-existent subdomains, then one with reports.
func recordStrength(rec *Record) []int {
	if rec == nil {
		return []int{0}
	}
	rank := map[Policy]int{None: 1, Quarantine: 2, Reject: 3}
	usable := 0
	if rec.usable() {
		usable = 1
	}
	p, sp, np := effective9989(rec)
	reports := 0
	if len(rec.AggregateURIs) > 0 {
		reports = 1
	}
	return []int{1, usable, rank[p], rank[sp], rank[np], reports}
}

func stronger(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return len(a) > len(b)
}

// plan is how one name comes to hold exactly one valid DMARC record: the record to
// keep (corrected, with the report addresses of the others carried over) and the
// others to delete.
type plan struct {
	name    string // the owner name the records are at
	keep    string // the record kept, as published
	value   string // what it becomes
	deleted []string
	fixes   []FixRecord
	prose   string
	typos   []Change
}

// planName works out the plan for the DMARC-like records at a name: texts is every
// TXT record there, and applied says receivers read them (false at the apex). The
// record receivers apply now, if any, is kept whatever the others say, so that a fix
// never changes the policy in force; without one, the strongest valid record is kept. It returns nil when the name needs no change, and
// when the records kept would still be wrong in a way only the owner can decide.
func planName(name string, texts []string, applied bool) *plan {
	type cand struct {
		txt  string
		corr Correction
		rec  *Record
	}
	var cands []cand
	var inForce *cand
	dmarcCount := 0
	for _, t := range texts {
		corr, ok := Corrected(t)
		if !ok {
			continue
		}
		rec, err := Parse(corr.Record)
		if err != nil {
			continue
		}
		cands = append(cands, cand{t, corr, rec})
		if IsDMARC(t) {
			dmarcCount++
		}
	}
	if len(cands) == 0 {
		return nil
	}
	for i := range cands {
		if applied && IsDMARC(cands[i].txt) && dmarcCount == 1 {
			if _, err := Parse(cands[i].txt); err == nil {
				inForce = &cands[i]
			}
		}
	}
	best := inForce
	if best == nil {
		for i := range cands {
			if best == nil || stronger(recordStrength(cands[i].rec), recordStrength(best.rec)) {
				best = &cands[i]
			}
		}
	}
	if len(cands) == 1 && !best.corr.Changed() {
		return nil
	}
	if len(best.corr.Open) > 0 {
		return nil // e.g. p=block: only the owner knows which policy was meant
	}
	p := &plan{name: name, keep: best.txt, value: best.corr.Record, typos: best.corr.Typos()}
	if inForce != nil && len(cands) > 1 {
		// The record in force stays as it is; its own problems are findings of their own.
		p.value, p.typos = best.txt, nil
	}
	var carried []string
	for _, c := range cands {
		if c.txt == best.txt {
			continue
		}
		p.deleted = append(p.deleted, c.txt)
		p.fixes = append(p.fixes, deleteTXT(name, c.txt))
		if inForce != nil {
			continue // receivers ignore the others now; nothing of theirs is in force
		}
		// The report addresses of a deleted record are the owner's too: keep them.
		for _, tag := range []string{"rua", "ruf", "fo"} {
			kept, _ := Parse(p.value)
			if kept.written[tag] || !c.rec.Explicit(tag) || tag == "fo" && len(kept.FailureURIs) == 0 {
				continue
			}
			if v, ok := setTag(p.value, tag, c.rec.value(tag)); ok {
				p.value = v
				carried = append(carried, tag+"="+c.rec.value(tag))
			}
		}
	}
	if p.value != p.keep {
		p.fixes = append(p.fixes, replaceTXT(name, p.keep, p.value))
	}
	var b strings.Builder
	switch {
	case len(p.deleted) == 0:
		fmt.Fprintf(&b, "Replace the record at %s with the corrected %q", name, p.value)
	case inForce != nil:
		fmt.Fprintf(&b, "Keep %q at %s, the record receivers apply now, and delete %s", best.txt, name, quoteAll(p.deleted))
	default:
		fmt.Fprintf(&b, "Keep %q at %s, the strongest valid policy of the %d records (receivers discard all of them while there are several), and delete %s", best.txt, name, len(cands), quoteAll(p.deleted))
	}
	if len(carried) > 0 {
		fmt.Fprintf(&b, "; %s carried over from the deleted record, so reports keep coming", strings.Join(carried, ", "))
	}
	if len(p.deleted) > 0 && best.corr.Changed() {
		fmt.Fprintf(&b, "; the kept record becomes %q", p.value)
	}
	b.WriteString(".")
	b.WriteString(noReportsNote(p.value))
	if len(p.typos) > 0 {
		var ts []string
		for _, t := range p.typos {
			ts = append(ts, t.From+" → "+t.To)
		}
		fmt.Fprintf(&b, " Typos corrected: %s.", strings.Join(ts, ", "))
	}
	p.prose = b.String()
	return p
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, " and ")
}

// noReportsNote says so when a record a fix publishes asks for no aggregate reports:
// dmarc.no-rua will follow, and the fix says it first.
func noReportsNote(value string) string {
	if rec, err := Parse(value); err == nil && len(rec.AggregateURIs) == 0 && !rec.written["rua"] {
		return " The record asks for no aggregate reports: add rua=mailto: with a mailbox that receives them."
	}
	return ""
}
