package attachments

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes this package emits. Codes are API: documented in the README,
// never renamed.
const (
	CodeArchiveLimit       finding.Code = "attachments.archive-limit"
	CodeArchiveMalformed   finding.Code = "attachments.archive-malformed"
	CodeDiskImage          finding.Code = "attachments.disk-image"
	CodeDoubleExtension    finding.Code = "attachments.double-extension"
	CodeEncryptedArchive   finding.Code = "attachments.encrypted-archive"
	CodeForbidden          finding.Code = "attachments.forbidden"
	CodeForbiddenInArchive finding.Code = "attachments.forbidden-in-archive"
	CodeHiddenCharacters   finding.Code = "attachments.hidden-characters"
	CodeHTMLAttachment     finding.Code = "attachments.html-attachment"
	CodeMacroDocument      finding.Code = "attachments.macro-document"
	CodeNameMismatch       finding.Code = "attachments.name-mismatch"
	CodeNestedArchive      finding.Code = "attachments.nested-archive"
	CodeNotAMessage        finding.Code = "attachments.not-a-message"
	CodeNotInspectable     finding.Code = "attachments.not-inspectable"
	CodeTypeMismatch       finding.Code = "attachments.type-mismatch"
	CodeWarned             finding.Code = "attachments.warned"
)
