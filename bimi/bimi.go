package bimi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/taglist"
)

// Finding is the one diagnostic type of mailcheck.
type Finding = finding.Finding

// Resolver is the DNS a check needs, with *net.Resolver's shape.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Record is a parsed BIMI assertion record.
type Record struct {
	// Location is l=: the https URL of the SVG Tiny PS logo; empty declines BIMI.
	Location string `json:"location"`
	// Authority is a=: the https URL of the VMC or CMC (PEM); empty when absent.
	Authority string `json:"authority,omitempty"`
	// Other are the remaining tags, which receivers ignore.
	Other []taglist.Tag `json:"-"`
}

// Parse reads a record: a tag list (RFC 6376 §3.2 grammar) whose first tag is
// v=BIMI1, with at most one of each tag.
func Parse(txt string) (*Record, error) {
	tags, err := taglist.Parse(txt)
	if err != nil {
		return nil, err
	}
	if tags[0].Name != "v" || tags[0].Value != "BIMI1" {
		return nil, fmt.Errorf("the record must start with v=BIMI1")
	}
	rec := &Record{}
	seen := map[string]bool{}
	for _, t := range tags[1:] {
		if seen[t.Name] {
			return nil, fmt.Errorf("tag %s= appears twice", t.Name)
		}
		seen[t.Name] = true
		switch t.Name {
		case "l":
			rec.Location = t.Value
		case "a":
			rec.Authority = t.Value
		case "v":
			return nil, fmt.Errorf("v= appears twice")
		default:
			rec.Other = append(rec.Other, t)
		}
	}
	if !seen["l"] {
		return nil, fmt.Errorf("no l= tag (write l= with no value to decline BIMI)")
	}
	return rec, nil
}

// String is the record in canonical form.
func (r *Record) String() string {
	tags := []taglist.Tag{{Name: "v", Value: "BIMI1"}, {Name: "l", Value: r.Location}}
	if r.Authority != "" {
		tags = append(tags, taglist.Tag{Name: "a", Value: r.Authority})
	}
	return taglist.Format(append(tags, r.Other...))
}

// IsRecord reports whether a TXT record claims to be a BIMI record.
func IsRecord(txt string) bool {
	return strings.HasPrefix(strings.TrimLeft(txt, " \t"), "v=BIMI1")
}

// DMARC is what eligibility needs of the domain's DMARC policy, as plain values.
type DMARC struct {
	// Unknown: the DMARC lookups failed.
	Unknown bool
	// Found: a DMARC record applies.
	Found bool
	// Policy and SubdomainPolicy are the effective policies: none, quarantine, reject.
	Policy, SubdomainPolicy string
	// Partial: the policy applies to only part of failing mail (pct below 100, or t=y).
	Partial bool
}

// Report is the outcome of Check.
type Report struct {
	Domain string `json:"domain"`
	// Name is default._bimi.<domain>.
	Name    string   `json:"name"`
	Records []string `json:"records"`
	Record  *Record  `json:"record,omitempty"`
	// Eligible: DMARC is at enforcement for all mail, so receivers may show a logo.
	// Nil when unknown.
	Eligible *bool     `json:"eligible,omitempty"`
	Findings []Finding `json:"-"`
}

// Check looks up and parses the domain's default BIMI record. Call Judge with the
// domain's DMARC facts to add the eligibility verdict.
func Check(ctx context.Context, r Resolver, domain string) (*Report, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if domain == "" {
		return nil, errors.New("bimi: empty domain")
	}
	res := &Report{Domain: domain, Name: "default._bimi." + domain, Records: []string{}}
	add := func(f Finding) { res.Findings = append(res.Findings, f) }
	txts, err := r.LookupTXT(ctx, res.Name)
	var de *net.DNSError
	if err != nil && !(errors.As(err, &de) && de.IsNotFound) {
		add(Finding{Code: CodeDNSError, Severity: finding.Warning, Incomplete: true,
			Message:  fmt.Sprintf("The TXT lookup of %s failed (%v): whether the domain publishes BIMI is unknown.", res.Name, err),
			Evidence: &finding.Evidence{Name: res.Name, Type: "TXT"}})
		return res, nil
	}
	for _, t := range txts {
		if IsRecord(t) {
			res.Records = append(res.Records, t)
		}
	}
	switch len(res.Records) {
	case 0:
		return res, nil // Judge reports it, with eligibility
	case 1:
	default:
		add(Finding{Code: CodeMultipleRecords, Severity: finding.Warning,
			Message:  fmt.Sprintf("%s has %d BIMI records: receivers use none of them.", res.Name, len(res.Records)),
			Fix:      "Keep one record.",
			Evidence: &finding.Evidence{Name: res.Name, Type: "TXT", Records: res.Records}})
		return res, nil
	}
	rec, err := Parse(res.Records[0])
	if err != nil {
		add(Finding{Code: CodeSyntax, Severity: finding.Warning,
			Message:  fmt.Sprintf("The BIMI record %q is invalid (%v): receivers show no logo.", res.Records[0], err),
			Fix:      fmt.Sprintf("Publish %s. TXT \"v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem\".", res.Name),
			Evidence: &finding.Evidence{Name: res.Name, Type: "TXT", Records: res.Records}})
		return res, nil
	}
	res.Record = rec
	if rec.Location == "" {
		add(Finding{Code: CodeDeclined, Severity: finding.Info,
			Message: fmt.Sprintf("%s has an empty l=: the domain declines to show a logo.", res.Name)})
		return res, nil
	}
	if why := checkURL(rec.Location, ".svg"); why != "" {
		add(Finding{Code: CodeInvalidURL, Severity: finding.Warning,
			Message: fmt.Sprintf("l= %s: receivers fetch only an https URL of an SVG Tiny PS logo.", why),
			Fix:     "Serve the logo as SVG Tiny PS over HTTPS and give its https:// URL in l=."})
	}
	switch {
	case rec.Authority == "":
		add(Finding{Code: CodeNoAuthority, Severity: finding.Info,
			Message: "No a= (Verified or Common Mark Certificate): Gmail and Apple Mail show no logo without one; some other receivers do.",
			Fix:     "Obtain a VMC or CMC for the logo and give its https URL (PEM) in a=."})
	default:
		if why := checkURL(rec.Authority, ".pem"); why != "" {
			add(Finding{Code: CodeInvalidURL, Severity: finding.Warning,
				Message: fmt.Sprintf("a= %s: receivers fetch only an https URL of the certificate (PEM).", why),
				Fix:     "Give the https:// URL of the VMC or CMC in a=."})
		}
	}
	return res, nil
}

// checkURL says what is wrong with an https URL expected to end in ext, or "".
func checkURL(raw, ext string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL", raw)
	case !strings.EqualFold(u.Scheme, "https") || u.Host == "":
		return fmt.Sprintf("%q is not an https URL", raw)
	case !strings.HasSuffix(strings.ToLower(u.Path), ext):
		return fmt.Sprintf("%q does not name a %s file", raw, ext)
	}
	return ""
}

// Judge adds the eligibility verdict from the domain's DMARC facts: receivers show a
// logo only for mail under a DMARC policy at enforcement (quarantine or reject, for
// all mail, subdomains included).
func (res *Report) Judge(d DMARC) {
	hasRecord := res.Record != nil && res.Record.Location != ""
	var why string
	switch {
	case d.Unknown:
	case !d.Found:
		why = "the domain has no DMARC policy"
	case d.Policy != "quarantine" && d.Policy != "reject":
		why = fmt.Sprintf("its DMARC policy is p=%s", d.Policy)
	case d.Partial:
		why = "its DMARC policy applies to only part of failing mail (pct below 100, or t=y)"
	case d.SubdomainPolicy == "none":
		why = "its DMARC policy for subdomains is none"
	}
	if !d.Unknown {
		ok := why == ""
		res.Eligible = &ok
	}
	switch {
	case len(res.Records) == 0 && !res.incomplete():
		msg := fmt.Sprintf("No BIMI record at %s.", res.Name)
		if why != "" {
			msg += " The domain is not eligible anyway: " + why + "; BIMI needs p=quarantine or p=reject for all mail."
		} else if !d.Unknown {
			msg += " The domain's DMARC policy is at enforcement, so it is eligible."
		}
		res.Findings = append(res.Findings, Finding{Code: CodeMissing, Severity: finding.Info, Message: msg,
			Fix: fmt.Sprintf("To show your logo: publish %s. TXT \"v=BIMI1; l=https://<host>/logo.svg; a=https://<host>/vmc.pem\".", res.Name)})
	case hasRecord && why != "":
		res.Findings = append(res.Findings, Finding{Code: CodeNotEligible, Severity: finding.Warning,
			Message: fmt.Sprintf("A BIMI record is published, but receivers show no logo: %s.", why),
			Fix:     "Move DMARC to p=quarantine or p=reject for all mail (no pct below 100, no t=y, sp not none)."})
	}
}

func (res *Report) incomplete() bool {
	for _, f := range res.Findings {
		if f.Incomplete {
			return true
		}
	}
	return false
}
