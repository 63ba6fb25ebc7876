// Package mailcheck diagnoses why email from or to a domain is not delivered, and says
// what to change. It runs the protocol checks (packages dnscheck, spf, dmarc, dkim and
// attachments), judges each result's status from its findings, and builds reports whose
// JSON form is a stable schema (documented in the README).
//
// The protocol packages report facts and findings; this package owns judgement: the
// status of a check and, for domain reports, the score.
package mailcheck
