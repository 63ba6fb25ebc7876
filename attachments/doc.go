// Package attachments finds the attachments that make receivers reject a message, the
// way their filters find them.
//
// Receivers refuse a whole message at SMTP time when one of its files has a blocked
// type ("554 5.7.0 ... rejected by headers rule filter"), and they look for it
// everywhere: in every MIME part at any depth (RFC 2045, RFC 2046), in attached
// messages, in uuencoded text and in Outlook's winmail.dat (TNEF), under every name a
// part is given (Content-Type name and Content-Disposition filename, RFC 2231
// continuations and charsets, RFC 2047 encoded words, duplicated parameters and
// headers), inside zip, tar, gzip, bzip2, 7z and rar archives, and by content as well
// as by name. Check does the same: it walks the message once, streaming, holds each part
// in memory up to a cap and on disk past it, lists archives from their metadata without
// decompressing the files in them (only nested archives are opened, under limits on
// depth, entries, bytes, ratio and time), and judges every file against the selected
// receivers' published lists (Policies). Facts come with findings whose codes are
// stable (attachments.forbidden, attachments.type-mismatch, ...; see the README).
//
// Check does no DNS and never executes or decompresses a leaf file. Its error means only
// that the message could not be read; a malformed message or archive is a finding, and
// the scan goes on with the rest.
package attachments
