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

// Code identifies a kind of finding (see the package's Code constants).
type Code = finding.Code

// Severity is a finding's severity.
type Severity = finding.Severity

// Evidence is what a finding rests on.
type Evidence = finding.Evidence

// Finding codes. They are API: never renamed.
const (
	CodeKeyMissing         finding.Code = "dkim.key-missing"
	CodeKeyRevoked         finding.Code = "dkim.key-revoked"
	CodeKeySyntax          finding.Code = "dkim.key-syntax"
	CodeKeyWeak            finding.Code = "dkim.key-weak"
	CodeKeyShort           finding.Code = "dkim.key-short"
	CodeKeyTooLong         finding.Code = "dkim.key-too-long"
	CodeKeyTypeMismatch    finding.Code = "dkim.key-type-mismatch"
	CodeKeyTesting         finding.Code = "dkim.key-testing"
	CodeKeyStrict          finding.Code = "dkim.key-strict"
	CodeKeySHA1Only        finding.Code = "dkim.key-sha1-only"
	CodeKeyService         finding.Code = "dkim.key-service"
	CodeKeyPKCS1           finding.Code = "dkim.key-pkcs1"
	CodeMultipleKeyRecords finding.Code = "dkim.multiple-key-records"
	CodeEd25519Only        finding.Code = "dkim.ed25519-only"
	CodeDNSError           finding.Code = "dkim.dns-error"
	CodeNoSelectorFound    finding.Code = "dkim.no-selector-found"

	CodeUnsigned                 finding.Code = "dkim.unsigned"
	CodeBodyHashMismatch         finding.Code = "dkim.body-hash-mismatch"
	CodeSignatureInvalid         finding.Code = "dkim.signature-invalid"
	CodeSignatureUnverifiable    finding.Code = "dkim.signature-unverifiable"
	CodeExpired                  finding.Code = "dkim.expired"
	CodeLengthTag                finding.Code = "dkim.length-tag"
	CodeFromNotSigned            finding.Code = "dkim.from-not-signed"
	CodeListUnsubscribeNotSigned finding.Code = "dkim.list-unsubscribe-not-signed"
	CodeNotAligned               finding.Code = "dkim.not-aligned"
	CodeAlignedPass              finding.Code = "dkim.aligned-pass"
	CodeTimeout                  finding.Code = "dkim.timeout"
	CodeHeaderTooLarge           finding.Code = "dkim.header-too-large"
)
