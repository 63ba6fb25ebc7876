package bounce

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes of a bounce's diagnosis (mailcheck.ExplainBounce). They are
// declared here, beside the reasons they explain; codes are API: documented in the
// README, never renamed.
const (
	CodeAuthFailure       finding.Code = "bounce.auth-failure"
	CodeSPFNotAuthorized  finding.Code = "bounce.spf-not-authorized"
	CodeDKIMNotAligned    finding.Code = "bounce.dkim-not-aligned"
	CodeForwardWithoutSRS finding.Code = "bounce.forward-without-srs"
	CodeContentRejected   finding.Code = "bounce.content-rejected"
	CodeNoOriginal        finding.Code = "bounce.no-original"
	CodeIPUnknown         finding.Code = "bounce.ip-unknown"
	CodePTRMissing        finding.Code = "bounce.ptr-missing"
	CodePTRNotConfirmed   finding.Code = "bounce.ptr-not-confirmed"
	CodePTRConfirmed      finding.Code = "bounce.ptr-confirmed"
	CodeBlocklisted       finding.Code = "bounce.blocklisted"
	CodeComplaint         finding.Code = "bounce.complaint"
)
