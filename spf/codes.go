package spf

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeAllNeutral      finding.Code = "spf.all-neutral"
	CodeAllPass         finding.Code = "spf.all-pass"
	CodeDNSError        finding.Code = "spf.dns-error"
	CodeIncludeMissing  finding.Code = "spf.include-missing"
	CodeIPInDomainSpec  finding.Code = "spf.ip-in-domain-spec"
	CodeLookupLimit     finding.Code = "spf.lookup-limit"
	CodeLoop            finding.Code = "spf.loop"
	CodeMacro           finding.Code = "spf.macro"
	CodeMissing         finding.Code = "spf.missing"
	CodeMultipleRecords finding.Code = "spf.multiple-records"
	CodeMXLimit         finding.Code = "spf.mx-limit"
	CodeNoAll           finding.Code = "spf.no-all"
	CodePTR             finding.Code = "spf.ptr"
	CodeRecordSize      finding.Code = "spf.record-size"
	CodeRedirectIgnored finding.Code = "spf.redirect-ignored"
	CodeResult          finding.Code = "spf.result"
	CodeSyntax          finding.Code = "spf.syntax"
	CodeTermsAfterAll   finding.Code = "spf.terms-after-all"
	CodeType99          finding.Code = "spf.type99"
	CodeUnknownModifier finding.Code = "spf.unknown-modifier"
	CodeVoidLimit       finding.Code = "spf.void-limit"
	CodeVoidRiskIPv6    finding.Code = "spf.void-risk-ipv6"
)
