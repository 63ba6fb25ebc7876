package reputation

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeIPListed     finding.Code = "reputation.ip-listed"
	CodeDomainListed finding.Code = "reputation.domain-listed"
	CodeListRefused  finding.Code = "reputation.list-refused"
	CodeDNSError     finding.Code = "reputation.dns-error"
)
