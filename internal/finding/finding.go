// Package finding holds the one diagnostic type that every mailcheck package reports.
//
// It lives in internal so that no package has to import another protocol package (or the
// root) to share it; each public package re-exports it by alias (spf.Finding,
// dmarc.Finding, mailcheck.Finding are all this type), so values flow between them
// without conversion.
package finding

// Severity says how much a finding matters to delivery.
type Severity string

// The severities, from least to most serious.
const (
	// Info is a fact worth knowing; nothing needs to change.
	Info Severity = "info"
	// Warning is a weakness: mail may be delivered, but some receivers will treat it worse.
	Warning Severity = "warning"
	// Error is a defect that makes receivers reject, junk or fail to authenticate mail.
	Error Severity = "error"
)

// Rank orders severities: Info < Warning < Error. Unknown severities rank lowest.
func (s Severity) Rank() int {
	switch s {
	case Error:
		return 3
	case Warning:
		return 2
	case Info:
		return 1
	}
	return 0
}

// Code identifies a kind of finding: "area.kebab-case", e.g. "spf.lookup-limit". Each
// package declares the codes it emits as typed constants; codes are API and are never
// renamed.
type Code string

// Area returns the part before the dot: "spf" for "spf.lookup-limit".
func (c Code) Area() string {
	for i := 0; i < len(c); i++ {
		if c[i] == '.' {
			return string(c[:i])
		}
	}
	return string(c)
}

// Finding is one diagnostic: a stable machine-readable code plus a plain sentence, the
// fix, the reference and the evidence it rests on.
type Finding struct {
	// Code is stable API: "area.kebab-case", e.g. "spf.lookup-limit". Never renamed.
	Code Code `json:"code"`
	// Severity is info, warning or error.
	Severity Severity `json:"severity"`
	// Message is one sentence with the concrete values.
	Message string `json:"message"`
	// Fix says what to do; a record to publish where one can be given.
	Fix string `json:"fix,omitempty"`
	// FixRecords is Fix as data: the DNS changes that make the finding go, safe to
	// apply as they are (a round-trip test applies each and re-runs the check).
	FixRecords []FixRecord `json:"fix_records,omitempty"`
	// Ref is the rule's source, e.g. "RFC 7208 §4.6.4".
	Ref string `json:"ref,omitempty"`
	// Evidence is what the finding was derived from.
	Evidence *Evidence `json:"evidence,omitempty"`
	// Incomplete marks a finding that reports the check could not finish (a DNS
	// timeout or SERVFAIL): the result is unknown, not failed.
	Incomplete bool `json:"incomplete,omitempty"`
}

// Evidence is the data a finding was derived from: usually a DNS question and its answer.
type Evidence struct {
	// Name is the queried owner name (or the part path, for message checks).
	Name string `json:"name,omitempty"`
	// Type is the queried record type, e.g. "TXT".
	Type string `json:"type,omitempty"`
	// Rcode is the DNS response code or failure, e.g. "NXDOMAIN", "SERVFAIL", "timeout".
	Rcode string `json:"rcode,omitempty"`
	// Records are the relevant answer records in text form.
	Records []string `json:"records,omitempty"`
	// Detail is any other fact, in words.
	Detail string `json:"detail,omitempty"`
}

// FixAction is what to do with a DNS record.
type FixAction string

// The fix actions.
const (
	// Publish adds a record that is not there.
	Publish FixAction = "publish"
	// Replace swaps the record whose value is Replaces for Value.
	Replace FixAction = "replace"
	// Delete removes the record whose value is Replaces.
	Delete FixAction = "delete"
)

// FixRecord is one DNS change of a fix, in the form a DNS host's panel asks for.
type FixRecord struct {
	Action FixAction `json:"action"`
	// Name is the owner name, fully qualified without the final dot: "_dmarc.example.com".
	Name string `json:"name"`
	// Type is the record type: "TXT", "MX".
	Type string `json:"type"`
	// Value is the record's data as published (TXT: the text itself, unquoted; MX:
	// "10 mail.example.com."). Empty for Delete.
	Value string `json:"value,omitempty"`
	// Replaces is the value of the record to replace or delete.
	Replaces string `json:"replaces,omitempty"`
}
