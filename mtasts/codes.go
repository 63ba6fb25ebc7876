package mtasts

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeDNSError            finding.Code = "mtasts.dns-error"
	CodeMaxAge              finding.Code = "mtasts.max-age"
	CodeMissing             finding.Code = "mtasts.missing"
	CodeModeNone            finding.Code = "mtasts.mode-none"
	CodeModeTesting         finding.Code = "mtasts.mode-testing"
	CodeMultipleRecords     finding.Code = "mtasts.multiple-records"
	CodeMXNotCovered        finding.Code = "mtasts.mx-not-covered"
	CodePolicyCertificate   finding.Code = "mtasts.policy-certificate"
	CodePolicyContentType   finding.Code = "mtasts.policy-content-type"
	CodePolicyHTTPStatus    finding.Code = "mtasts.policy-http-status"
	CodePolicyRedirect      finding.Code = "mtasts.policy-redirect"
	CodePolicySyntax        finding.Code = "mtasts.policy-syntax"
	CodePolicyTooLarge      finding.Code = "mtasts.policy-too-large"
	CodePolicyUnreachable   finding.Code = "mtasts.policy-unreachable"
	CodePolicyWithoutRecord finding.Code = "mtasts.policy-without-record"
	CodeRecordSyntax        finding.Code = "mtasts.record-syntax"
)
