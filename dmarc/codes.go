package dmarc

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeDiscoveryMismatch    finding.Code = "dmarc.discovery-mismatch"
	CodeDNSError             finding.Code = "dmarc.dns-error"
	CodeDuplicateTag         finding.Code = "dmarc.duplicate-tag"
	CodeExternalUnauthorized finding.Code = "dmarc.external-unauthorized"
	CodeExternalUnverified   finding.Code = "dmarc.external-unverified"
	CodeFoWithoutRUF         finding.Code = "dmarc.fo-without-ruf"
	CodeInherited            finding.Code = "dmarc.inherited"
	CodeInvalidURI           finding.Code = "dmarc.invalid-uri"
	CodeInvalidValue         finding.Code = "dmarc.invalid-value"
	CodeLeadingWhitespace    finding.Code = "dmarc.leading-whitespace"
	CodeLegacyTag            finding.Code = "dmarc.legacy-tag"
	CodeMissing              finding.Code = "dmarc.missing"
	CodeMissingP             finding.Code = "dmarc.missing-p"
	CodeMultipleRecords      finding.Code = "dmarc.multiple-records"
	CodeNoRUA                finding.Code = "dmarc.no-rua"
	CodeNonMailtoURI         finding.Code = "dmarc.non-mailto-uri"
	CodePNotSecond           finding.Code = "dmarc.p-not-second"
	CodePctPartial           finding.Code = "dmarc.pct-partial"
	CodePolicyNone           finding.Code = "dmarc.policy-none"
	CodeRecordAtApex         finding.Code = "dmarc.record-at-apex"
	CodeRUANoMX              finding.Code = "dmarc.rua-no-mx"
	CodeSPIgnored            finding.Code = "dmarc.sp-ignored"
	CodeSPFAtDMARC           finding.Code = "dmarc.spf-at-dmarc"
	CodeSubdomainPolicyNone  finding.Code = "dmarc.subdomain-policy-none"
	CodeSyntax               finding.Code = "dmarc.syntax"
	CodeTesting              finding.Code = "dmarc.testing"
	CodeTooManyURIs          finding.Code = "dmarc.too-many-uris"
	CodeUnknownTag           finding.Code = "dmarc.unknown-tag"
	CodeUnrelatedTXT         finding.Code = "dmarc.unrelated-txt"
	CodeURISizeSuffix        finding.Code = "dmarc.uri-size-suffix"
)
