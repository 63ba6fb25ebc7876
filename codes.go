package mailcheck

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeMessageDateInvalid           finding.Code = "message.date-invalid"
	CodeMessageDateMissing           finding.Code = "message.date-missing"
	CodeMessageDuplicateHeader       finding.Code = "message.duplicate-header"
	CodeMessageFromInvalid           finding.Code = "message.from-invalid"
	CodeMessageFromMissing           finding.Code = "message.from-missing"
	CodeMessageFromMultiple          finding.Code = "message.from-multiple"
	CodeMessageMessageIDInvalid      finding.Code = "message.message-id-invalid"
	CodeMessageMessageIDMissing      finding.Code = "message.message-id-missing"
	CodeMessageNoOneClickUnsubscribe finding.Code = "message.no-one-click-unsubscribe"
	CodeMessageUnparseable           finding.Code = "message.unparseable"
)
