package dnscheck

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeMXCNAME          finding.Code = "mx.cname"
	CodeMXDNSError       finding.Code = "mx.dns-error"
	CodeMXDuplicate      finding.Code = "mx.duplicate"
	CodeMXIPLiteral      finding.Code = "mx.ip-literal"
	CodeMXMissing        finding.Code = "mx.missing"
	CodeMXNoAddress      finding.Code = "mx.no-address"
	CodeMXNull           finding.Code = "mx.null"
	CodeMXNullConflict   finding.Code = "mx.null-conflict"
	CodeMXNXDOMAIN       finding.Code = "mx.nxdomain"
	CodeMXPrivateAddress finding.Code = "mx.private-address"

	CodeDNSSECBogus finding.Code = "dnssec.bogus"

	CodeDANEInsecure   finding.Code = "dane.insecure"
	CodeDANEBogus      finding.Code = "dane.bogus"
	CodeDANEPKIXUsage  finding.Code = "dane.pkix-usage"
	CodeDANEBadParams  finding.Code = "dane.bad-params"
	CodeDANEDNSError   finding.Code = "dane.dns-error"
	CodeDANEMXInsecure finding.Code = "dane.mx-insecure"
	CodeDANEMismatch   finding.Code = "dane.mismatch"
	CodeDANEMatch      finding.Code = "dane.match"
)
