package smtpprobe

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeCertExpired      finding.Code = "smtp.cert-expired"
	CodeCertExpiring     finding.Code = "smtp.cert-expiring"
	CodeCertNameMismatch finding.Code = "smtp.cert-name-mismatch"
	CodeCertUntrusted    finding.Code = "smtp.cert-untrusted"
	CodeDNSError         finding.Code = "smtp.dns-error"
	CodeNoSTARTTLS       finding.Code = "smtp.no-starttls"
	CodeRefused          finding.Code = "smtp.refused"
	CodeSTARTTLSFailed   finding.Code = "smtp.starttls-failed"
	CodeTimeout          finding.Code = "smtp.timeout"
	CodeTLSVersion       finding.Code = "smtp.tls-version"
	CodeUnreachable      finding.Code = "smtp.unreachable"
	CodeWeakCipher       finding.Code = "smtp.weak-cipher"
)
