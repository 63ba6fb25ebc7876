package mailcheck

// The finding codes the root package emits (the forward-confirmed reverse DNS of the
// sending IPs and the MX addresses, ptr.go). Codes are API: documented in the README,
// never renamed.
const (
	CodePTRMissing      Code = "ptr.missing"
	CodePTRNotConfirmed Code = "ptr.not-confirmed"
	CodePTRGeneric      Code = "ptr.generic"
	CodePTRDNSError     Code = "ptr.dns-error"
)
