// Package bimi checks a domain's Brand Indicators for Message Identification record
// (BIMI, draft-brand-indicators-for-message-identification): a TXT record at
// default._bimi.<domain> ("v=BIMI1; l=<https SVG URL>; a=<https VMC/CMC URL>") that
// lets receivers show the brand's logo beside authenticated mail.
//
// Receivers show the logo only for mail that passes DMARC under a policy at
// enforcement (p=quarantine or p=reject, applied to all mail, and not p=none for
// subdomains), and the largest (Gmail, Apple) only with a Verified or Common Mark
// Certificate at a=. The package is informational: it parses the record, checks its
// URLs' form (nothing is fetched) and, given the domain's DMARC facts as plain values,
// says whether the domain is eligible. It does not score.
package bimi
