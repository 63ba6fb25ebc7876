// Package dkim checks DomainKeys Identified Mail: the public keys a domain publishes
// and the signatures on a message.
//
// A DKIM signer adds a DKIM-Signature header field (RFC 6376 §3.5) naming a signing
// domain (d=) and a selector (s=); the verifier fetches the public key from the TXT
// record at <selector>._domainkey.<domain> (§3.6.2), a tag=value list (§3.6.1) with
// the key type (k=, rsa or ed25519 per RFC 8463), the key material (p=, empty when
// revoked) and flags. RFC 8301 forbids rsa-sha1 and RSA keys under 1024 bits. A valid
// signature counts for DMARC only when its d= is aligned with the From domain
// (RFC 7489 §3.1.1).
//
// The package has three parts:
//   - LintKey and ParseKey read one key record and report what is wrong with it;
//     LookupKey fetches and lints the record for one selector.
//   - Check looks a domain's keys up: the selectors it is given, and, because DNS
//     cannot list selectors, a probe of common selectors grouped by provider.
//   - VerifyMessage verifies every DKIM-Signature on a message (with
//     github.com/emersion/go-msgauth), keeps the failure reasons apart and judges
//     alignment with the From domain.
//
// Results carry facts and findings with stable codes (the Code* constants); the
// error return means only that the check could not run.
package dkim

import "github.com/mailcheck/mailcheck/internal/finding"

// Finding is the diagnostic type shared by every mailcheck package.
type Finding = finding.Finding

// Severity is a finding's severity.
type Severity = finding.Severity

// Evidence is what a finding rests on.
type Evidence = finding.Evidence

// Finding codes. They are API: never renamed.
const (
	CodeKeyMissing         = "dkim.key-missing"
	CodeKeyRevoked         = "dkim.key-revoked"
	CodeKeySyntax          = "dkim.key-syntax"
	CodeKeyWeak            = "dkim.key-weak"
	CodeKeyShort           = "dkim.key-short"
	CodeKeyTooLong         = "dkim.key-too-long"
	CodeKeyTypeMismatch    = "dkim.key-type-mismatch"
	CodeKeyTesting         = "dkim.key-testing"
	CodeKeyStrict          = "dkim.key-strict"
	CodeKeySHA1Only        = "dkim.key-sha1-only"
	CodeKeyService         = "dkim.key-service"
	CodeKeyPKCS1           = "dkim.key-pkcs1"
	CodeMultipleKeyRecords = "dkim.multiple-key-records"
	CodeEd25519Only        = "dkim.ed25519-only"
	CodeDNSError           = "dkim.dns-error"
	CodeNoSelectorFound    = "dkim.no-selector-found"

	CodeUnsigned                 = "dkim.unsigned"
	CodeBodyHashMismatch         = "dkim.body-hash-mismatch"
	CodeSignatureInvalid         = "dkim.signature-invalid"
	CodeSignatureUnverifiable    = "dkim.signature-unverifiable"
	CodeExpired                  = "dkim.expired"
	CodeLengthTag                = "dkim.length-tag"
	CodeFromNotSigned            = "dkim.from-not-signed"
	CodeListUnsubscribeNotSigned = "dkim.list-unsubscribe-not-signed"
	CodeNotAligned               = "dkim.not-aligned"
	CodeAlignedPass              = "dkim.aligned-pass"
	CodeTimeout                  = "dkim.timeout"
	CodeHeaderTooLarge           = "dkim.header-too-large"
)
