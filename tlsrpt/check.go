package tlsrpt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// Finding is the one diagnostic type of mailcheck.
type Finding = finding.Finding

// Resolver is the DNS a check needs, with *net.Resolver's shape.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// State is what senders make of the domain's TLS-RPT record.
type State string

// The states.
const (
	StateMissing State = "missing" // no v=TLSRPTv1 record: no reports
	StateValid   State = "valid"   // a record with at least one usable destination
	StateInvalid State = "invalid" // several records, bad syntax, or no usable destination
	StateUnknown State = "unknown" // the lookup failed
)

// Report is the outcome of Check.
type Report struct {
	Domain string `json:"domain"`
	State  State  `json:"state"`
	// Records are the v=TLSRPTv1 TXT records at _smtp._tls.<domain>.
	Records []string `json:"records"`
	Record  *Record  `json:"record,omitempty"`
	// Usable are the destinations senders can report to.
	Usable   []string  `json:"usable,omitempty"`
	Findings []Finding `json:"-"`
}

// Name is the owner name of a domain's TLS-RPT record.
func Name(domain string) string { return "_smtp._tls." + domain }

// Check looks up and judges the domain's TLS-RPT record. The error is set only for a
// bad argument; a failed lookup is a tlsrpt.dns-error finding.
func Check(ctx context.Context, r Resolver, domain string) (*Report, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return nil, errors.New("tlsrpt: empty domain")
	}
	name := Name(domain)
	res := &Report{Domain: domain, Records: []string{}}
	add := func(f Finding) { res.Findings = append(res.Findings, f) }
	txts, err := r.LookupTXT(ctx, name)
	var de *net.DNSError
	if err != nil && !(errors.As(err, &de) && de.IsNotFound) {
		res.State = StateUnknown
		add(Finding{Code: CodeDNSError, Severity: finding.Warning, Incomplete: true, Ref: "RFC 8460 §3",
			Message:  fmt.Sprintf("The TXT lookup of %s failed (%v): whether the domain asks for TLS reports is unknown.", name, err),
			Evidence: &finding.Evidence{Name: name, Type: "TXT"}})
		return res, nil
	}
	for _, t := range txts {
		if IsRecord(t) {
			res.Records = append(res.Records, t)
		}
	}
	switch len(res.Records) {
	case 0:
		res.State = StateMissing
		value := "v=TLSRPTv1; rua=mailto:tlsrpt@" + domain
		add(Finding{Code: CodeMissing, Severity: finding.Info, Ref: "RFC 8460 §3",
			Message:    fmt.Sprintf("No TLS-RPT record at %s: senders do not tell you when they cannot deliver to your MX hosts over TLS (under MTA-STS enforce, that mail is not delivered).", name),
			Fix:        fmt.Sprintf("Publish %s. TXT %q, with a mailbox that exists (reports are daily gzipped JSON).", name, value),
			FixRecords: []finding.FixRecord{{Action: finding.Publish, Name: name, Type: "TXT", Value: value}},
			Evidence:   &finding.Evidence{Name: name, Type: "TXT"}})
		return res, nil
	case 1:
	default:
		res.State = StateInvalid
		add(Finding{Code: CodeMultipleRecords, Severity: finding.Error, Ref: "RFC 8460 §3",
			Message:  fmt.Sprintf("%s has %d \"v=TLSRPTv1\" records: senders then assume the domain does not want reports.", name, len(res.Records)),
			Fix:      "Merge them into one record: one rua= listing every destination, separated by commas.",
			Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: res.Records}})
		return res, nil
	}
	raw := res.Records[0]
	rec, err := Parse(raw)
	if err != nil {
		res.State = StateInvalid
		add(Finding{Code: CodeSyntax, Severity: finding.Error, Ref: "RFC 8460 §3",
			Message:  fmt.Sprintf("The record %q is invalid (%v): senders send no reports.", raw, err),
			Fix:      fmt.Sprintf("Publish it as %s. TXT \"v=TLSRPTv1; rua=mailto:<mailbox>\" (several destinations: one rua= separated by commas).", name),
			Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: res.Records}})
		return res, nil
	}
	res.Record = rec
	if len(rec.RUA) == 0 {
		res.State = StateInvalid
		add(Finding{Code: CodeNoRUA, Severity: finding.Error, Ref: "RFC 8460 §3",
			Message:  fmt.Sprintf("The record %q has no rua=: senders have nowhere to send reports.", raw),
			Fix:      fmt.Sprintf("Add a destination: %s. TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\".", name, domain),
			Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: res.Records}})
		return res, nil
	}
	var bad []string
	var fixed []string
	for _, u := range rec.RUA {
		if why := CheckURI(u); why != "" {
			bad = append(bad, why)
			// http: is the usual slip for https:.
			if rest, ok := strings.CutPrefix(u, "http://"); ok {
				fixed = append(fixed, "https://"+rest)
			}
			continue
		}
		res.Usable = append(res.Usable, u)
		fixed = append(fixed, u)
	}
	res.State = StateValid
	if len(res.Usable) == 0 {
		res.State = StateInvalid
	}
	if len(bad) > 0 {
		f := Finding{Code: CodeInvalidURI, Severity: finding.Error, Ref: "RFC 8460 §3",
			Message:  fmt.Sprintf("Senders cannot use %s: %s.", plural(len(bad), "this report destination", "these report destinations"), strings.Join(bad, "; ")),
			Fix:      "Use mailto:<address> or https://<host>/<path> destinations.",
			Evidence: &finding.Evidence{Name: name, Type: "TXT", Records: res.Records}}
		if len(fixed) > 0 {
			c := *rec
			c.RUA = fixed
			f.Fix = fmt.Sprintf("Replace the record with %s. TXT %q.", name, c.String())
			f.FixRecords = []finding.FixRecord{{Action: finding.Replace, Name: name, Type: "TXT", Value: c.String(), Replaces: raw}}
		}
		add(f)
	}
	return res, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
