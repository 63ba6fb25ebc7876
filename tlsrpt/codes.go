package tlsrpt

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeDNSError        finding.Code = "tlsrpt.dns-error"
	CodeInvalidURI      finding.Code = "tlsrpt.invalid-uri"
	CodeMissing         finding.Code = "tlsrpt.missing"
	CodeMultipleRecords finding.Code = "tlsrpt.multiple-records"
	CodeNoRUA           finding.Code = "tlsrpt.no-rua"
	CodeSyntax          finding.Code = "tlsrpt.syntax"
)
