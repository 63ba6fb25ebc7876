package message

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes of the header rules (moved from the root package; the values are
// unchanged). Codes are API: documented in the README, never renamed.
const (
	CodeDateInvalid      finding.Code = "message.date-invalid"
	CodeDateMissing      finding.Code = "message.date-missing"
	CodeDuplicateHeader  finding.Code = "message.duplicate-header"
	CodeFromInvalid      finding.Code = "message.from-invalid"
	CodeFromMissing      finding.Code = "message.from-missing"
	CodeFromMultiple     finding.Code = "message.from-multiple"
	CodeMessageIDInvalid finding.Code = "message.message-id-invalid"
	CodeMessageIDMissing finding.Code = "message.message-id-missing"
	CodeUnparseable      finding.Code = "message.unparseable"
)
