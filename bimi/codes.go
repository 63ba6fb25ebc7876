package bimi

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeDeclined        finding.Code = "bimi.declined"
	CodeDNSError        finding.Code = "bimi.dns-error"
	CodeInvalidURL      finding.Code = "bimi.invalid-url"
	CodeMissing         finding.Code = "bimi.missing"
	CodeMultipleRecords finding.Code = "bimi.multiple-records"
	CodeNoAuthority     finding.Code = "bimi.no-authority"
	CodeNotEligible     finding.Code = "bimi.not-eligible"
	CodeSyntax          finding.Code = "bimi.syntax"
)
