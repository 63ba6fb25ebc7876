package dkim

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/taglist"
)

// KeyType is a key record's k= value: the signing algorithm family.
type KeyType string

// The key types verifiers implement.
const (
	// KeyRSA is RSASSA-PKCS1-v1_5 (RFC 6376 §3.3.1), the default when k= is absent.
	KeyRSA KeyType = "rsa"
	// KeyEd25519 is Ed25519 (RFC 8463 §3).
	KeyEd25519 KeyType = "ed25519"
)

// KeyFormat is how the p= bytes encode the key.
type KeyFormat string

// The encodings found in published keys.
const (
	// FormatSPKI is a DER SubjectPublicKeyInfo, what `openssl rsa -pubout` writes and
	// what RFC 6376 §3.6.1 shows.
	FormatSPKI KeyFormat = "spki"
	// FormatPKCS1 is a bare DER RSAPublicKey, which RFC 6376 §3.6.1's text literally
	// names (erratum 3017 allows both); most verifiers accept it, some do not.
	FormatPKCS1 KeyFormat = "pkcs1"
	// FormatRaw is the 32 bytes of an Ed25519 public key (RFC 8463 §4.2).
	FormatRaw KeyFormat = "raw"
)

// ErrKeySyntax is wrapped by every error ParseKey returns.
var ErrKeySyntax = errors.New("dkim: key record syntax error")

// Key is a parsed DKIM key record (RFC 6376 §3.6.1).
type Key struct {
	// Version is v=, "DKIM1" or empty when absent.
	Version string `json:"version,omitempty"`
	// Type is k=, KeyRSA when absent.
	Type KeyType `json:"type"`
	// Material is the kind of key p= actually holds; it differs from Type when the
	// record is wrong. Empty for a revoked key.
	Material KeyType `json:"material,omitempty"`
	// Format is how p= encodes the key.
	Format KeyFormat `json:"format,omitempty"`
	// Bits is the key size: the RSA modulus length, 256 for Ed25519.
	Bits int `json:"bits,omitempty"`
	// HashAlgorithms is h=: the hashes the key may be used with; empty means any.
	HashAlgorithms []string `json:"hash_algorithms,omitempty"`
	// Services is s=: empty means any ("*").
	Services []string `json:"services,omitempty"`
	// Flags is t=: "y" (testing), "s" (strict identity).
	Flags []string `json:"flags,omitempty"`
	// Notes is n=, for people.
	Notes string `json:"notes,omitempty"`
	// Revoked reports an empty p=: the key was withdrawn (RFC 6376 §3.6.1).
	Revoked bool `json:"revoked,omitempty"`
	// Testing reports t=y.
	Testing bool `json:"testing,omitempty"`
	// Strict reports t=s.
	Strict bool `json:"strict,omitempty"`
	// PublicKey is the decoded key: *rsa.PublicKey or ed25519.PublicKey.
	PublicKey crypto.PublicKey `json:"-"`
	// Data is the decoded p= bytes.
	Data []byte `json:"-"`
}

// Record formats k as a key record in the usual tag order, in canonical form: p=
// without whitespace, unknown tags left out. ParseKey(k.Record()) gives back the
// same key.
func (k *Key) Record() string {
	var b strings.Builder
	b.WriteString("v=DKIM1; k=" + string(k.Type))
	if len(k.HashAlgorithms) > 0 {
		b.WriteString("; h=" + strings.Join(k.HashAlgorithms, ":"))
	}
	if len(k.Services) > 0 {
		b.WriteString("; s=" + strings.Join(k.Services, ":"))
	}
	if len(k.Flags) > 0 {
		b.WriteString("; t=" + strings.Join(k.Flags, ":"))
	}
	if k.Notes != "" {
		b.WriteString("; n=" + k.Notes)
	}
	b.WriteString("; p=" + base64.StdEncoding.EncodeToString(k.Data))
	return b.String()
}

// ParseKey parses a key record: the TXT strings at <selector>._domainkey.<domain>,
// joined. It fails (wrapping ErrKeySyntax) when a verifier could not use the record at
// all: bad tag-list syntax, a repeated tag, a v= that is not first or not DKIM1, no
// p=, an unknown k=, or p= bytes that are no RSA or Ed25519 key. A key whose material
// contradicts k= parses, with Material telling the truth; LintKey reports it.
func ParseKey(record string) (*Key, error) {
	tags, err := taglist.Parse(record)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeySyntax, err)
	}
	k := &Key{Type: KeyRSA}
	seen := map[string]bool{}
	var p string
	for i, t := range tags {
		// RFC 6376 §3.2: a repeated tag name makes the whole tag-list invalid.
		if seen[t.Name] {
			return nil, fmt.Errorf("%w: tag %q appears more than once (RFC 6376 §3.2)", ErrKeySyntax, t.Name)
		}
		seen[t.Name] = true
		switch t.Name {
		case "v":
			// RFC 6376 §3.6.1: v= is optional, but if present it MUST be the first tag
			// and MUST be "DKIM1".
			if i != 0 {
				return nil, fmt.Errorf("%w: v= must be the first tag when present (RFC 6376 §3.6.1)", ErrKeySyntax)
			}
			if t.Value != "DKIM1" {
				return nil, fmt.Errorf("%w: v=%s: the only version is DKIM1 (RFC 6376 §3.6.1)", ErrKeySyntax, t.Value)
			}
			k.Version = t.Value
		case "k":
			k.Type = KeyType(t.Value)
		// RFC 6376 §3.2: values are case-sensitive unless a tag says otherwise, and
		// none of k=, h=, s=, t= does: "RSA" is not "rsa", "Email" not "email".
		case "h", "s", "t":
			list := colonList(t.Value)
			if len(list) == 0 {
				// RFC 6376 §3.6.1: each of these lists has at least one element
				// (key-h-tag = %x68 [FWS] "=" [FWS] key-h-tag-alg *(...)); an empty one is
				// a syntax error, which §6.1.2 says makes the verifier ignore the record.
				return nil, fmt.Errorf("%w: %s= is empty; remove the tag or give at least one value (RFC 6376 §3.6.1)", ErrKeySyntax, t.Name)
			}
			switch t.Name {
			case "h":
				k.HashAlgorithms = list
			case "s":
				k.Services = list
			default:
				k.Flags = list
			}
		case "n":
			k.Notes = t.Value
		case "p":
			p = t.Value
		}
		// RFC 6376 §3.6.1: unrecognized tags MUST be ignored (g= is one, from RFC 4871).
	}
	if !seen["p"] {
		return nil, fmt.Errorf("%w: the required p= tag (the public key) is missing (RFC 6376 §3.6.1)", ErrKeySyntax)
	}
	if k.Type != KeyRSA && k.Type != KeyEd25519 {
		if lower := KeyType(strings.ToLower(string(k.Type))); lower == KeyRSA || lower == KeyEd25519 {
			return nil, fmt.Errorf("%w: k=%s is not k=%s: tag values are case-sensitive (RFC 6376 §3.2)", ErrKeySyntax, k.Type, lower)
		}
		return nil, fmt.Errorf("%w: k=%s is not a key type verifiers know (rsa or ed25519)", ErrKeySyntax, k.Type)
	}
	for _, f := range k.Flags {
		switch f {
		case "y":
			k.Testing = true
		case "s":
			k.Strict = true
		}
	}
	// RFC 6376 §3.6.1: base64 in p= may contain folding whitespace, which is ignored.
	p = stripSpace(p)
	if p == "" {
		k.Revoked = true
		return k, nil
	}
	raw, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("%w: p= is not valid base64: %v", ErrKeySyntax, err)
	}
	if err := k.decodeMaterial(raw); err != nil {
		return nil, err
	}
	k.Data = raw
	return k, nil
}

// decodeMaterial works out what p= holds, whatever k= says, so a mismatch can be
// named instead of reported as garbage.
func (k *Key) decodeMaterial(b []byte) error {
	if pub, err := x509.ParsePKIXPublicKey(b); err == nil {
		switch pub := pub.(type) {
		case *rsa.PublicKey:
			k.Material, k.Format, k.Bits, k.PublicKey = KeyRSA, FormatSPKI, pub.N.BitLen(), pub
		case ed25519.PublicKey:
			k.Material, k.Format, k.Bits, k.PublicKey = KeyEd25519, FormatSPKI, 256, pub
		default:
			return fmt.Errorf("%w: p= holds a %T key; DKIM uses RSA and Ed25519 only", ErrKeySyntax, pub)
		}
		return nil
	}
	if pub, err := x509.ParsePKCS1PublicKey(b); err == nil {
		k.Material, k.Format, k.Bits, k.PublicKey = KeyRSA, FormatPKCS1, pub.N.BitLen(), pub
		return nil
	}
	if len(b) == ed25519.PublicKeySize {
		k.Material, k.Format, k.Bits, k.PublicKey = KeyEd25519, FormatRaw, 256, ed25519.PublicKey(b)
		return nil
	}
	if k.Type == KeyEd25519 {
		return fmt.Errorf("%w: p= is %d bytes; an Ed25519 key is exactly 32 (RFC 8463 §4.2)", ErrKeySyntax, len(b))
	}
	return fmt.Errorf("%w: p= (%d bytes) is neither a DER RSA public key (SubjectPublicKeyInfo or PKCS#1) nor a 32-byte Ed25519 key", ErrKeySyntax, len(b))
}

// LintKey parses a key record found at name (used as evidence) and reports every
// problem with it. The key is nil when the record cannot be used at all.
func LintKey(name, record string) (*Key, []Finding) {
	ev := func(detail string) *Evidence {
		return &Evidence{Name: name, Type: "TXT", Records: []string{record}, Detail: detail}
	}
	k, err := ParseKey(record)
	if err != nil {
		return nil, []Finding{{
			Code: CodeKeySyntax, Severity: finding.Error,
			Message: fmt.Sprintf("The DKIM key record at %s cannot be used: %s.", name, strings.TrimPrefix(err.Error(), ErrKeySyntax.Error()+": ")),
			Fix:     "Publish the record your mail provider gives, in the form: v=DKIM1; k=rsa; p=<base64 public key>",
			Ref:     "RFC 6376 §3.6.1", Evidence: ev(err.Error()),
		}}
	}
	var out []Finding
	add := func(code Code, sev Severity, ref, fix, format string, args ...any) {
		out = append(out, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix, Ref: ref, Evidence: ev("")})
	}
	if k.Revoked {
		add(CodeKeyRevoked, finding.Warning, "RFC 6376 §3.6.1",
			"If mail is still signed with this selector, sign with a current key or publish its public key.",
			"The DKIM key at %s is revoked (empty p=): signatures that use it fail.", name)
	}
	switch {
	case k.Revoked:
	case k.Material != k.Type:
		add(CodeKeyTypeMismatch, finding.Error, "RFC 6376 §3.6.1, RFC 8463 §4.2",
			fmt.Sprintf("Set k=%s to match the key, or publish the %s key that goes with the signer.", k.Material, k.Type),
			"The DKIM key at %s says k=%s but p= holds an %s key, so every signature fails.", name, k.Type, keyName(k.Material))
	case k.Type == KeyEd25519 && k.Format != FormatRaw:
		// RFC 8463 §4.2: the Ed25519 p= value is the base64 of the bare 32-byte key.
		add(CodeKeySyntax, finding.Error, "RFC 8463 §4.2",
			"Publish only the last 32 bytes of the SubjectPublicKeyInfo, base64-encoded (44 characters).",
			"The Ed25519 key at %s is wrapped in a SubjectPublicKeyInfo; verifiers expect the bare 32-byte key.", name)
	case k.Type == KeyRSA:
		lintRSASize(k, name, add)
		if k.Format == FormatPKCS1 {
			add(CodeKeyPKCS1, finding.Info, "RFC 6376 §3.6.1 (erratum 3017)",
				"Publishing the SubjectPublicKeyInfo form (openssl rsa -pubout) works with every verifier.",
				"The RSA key at %s is a bare PKCS#1 RSAPublicKey rather than the usual SubjectPublicKeyInfo; most verifiers accept both.", name)
		}
	}
	if len(k.HashAlgorithms) > 0 && !slices.Contains(k.HashAlgorithms, "sha256") {
		if slices.Contains(k.HashAlgorithms, "sha1") {
			// RFC 8301 §3.1: verifiers MUST NOT accept rsa-sha1 signatures.
			add(CodeKeySHA1Only, finding.Error, "RFC 8301 §3.1",
				"Remove the h= tag (or set h=sha256) and sign with rsa-sha256.",
				"The DKIM key at %s allows only sha1 (h=%s), which verifiers no longer accept.", name, strings.Join(k.HashAlgorithms, ":"))
		} else {
			add(CodeKeySyntax, finding.Error, "RFC 6376 §3.6.1",
				"Remove the h= tag or set h=sha256.",
				"The DKIM key at %s allows no hash algorithm verifiers know (h=%s).", name, strings.Join(k.HashAlgorithms, ":"))
		}
	}
	// RFC 6376 §3.6.1: s= lists the services the key is for; "email" or "*" is needed.
	if len(k.Services) > 0 && !slices.Contains(k.Services, "email") && !slices.Contains(k.Services, "*") {
		add(CodeKeyService, finding.Error, "RFC 6376 §3.6.1",
			"Remove the s= tag or set s=email.",
			"The DKIM key at %s is not for email (s=%s), so verifiers ignore it.", name, strings.Join(k.Services, ":"))
	}
	if k.Testing {
		// RFC 6376 §3.6.1: with t=y, verifiers MUST NOT treat signed mail differently
		// from unsigned mail.
		add(CodeKeyTesting, finding.Warning, "RFC 6376 §3.6.1",
			"Remove y from the t= tag once signing works.",
			"The DKIM key at %s is in testing mode (t=y): receivers treat its signatures like unsigned mail.", name)
	}
	if k.Strict {
		add(CodeKeyStrict, finding.Info, "RFC 6376 §3.6.1",
			"",
			"The DKIM key at %s has t=s: the i= domain of signatures must equal d= exactly, not a subdomain.", name)
	}
	if fixed, ok := correctKey(record, k); ok {
		for i := range out {
			if recordFixable[out[i].Code] {
				out[i].FixRecords = replaceKey(name, record, fixed)
				out[i].Fix = strings.TrimSpace(out[i].Fix + " Corrected record (p= shortened here): " + shortRecord(fixed))
			}
		}
	}
	return k, out
}

// lintRSASize applies RFC 8301 §3.2: signers MUST use at least 1024 bits and SHOULD
// use 2048; verifiers MUST NOT accept keys under 1024 bits, and need only handle up to
// 4096.
func lintRSASize(k *Key, name string, add func(code Code, sev Severity, ref, fix, format string, args ...any)) {
	// A new key pair is needed: no record can be given, only the form of one.
	const fix = "Generate a 2048-bit RSA key and publish it under a new selector: v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>"
	switch {
	case k.Bits < 1024:
		add(CodeKeyWeak, finding.Error, "RFC 8301 §3.2", fix,
			"The RSA key at %s is %d bits; verifiers reject keys under 1024 bits.", name, k.Bits)
	case k.Bits < 2048:
		add(CodeKeyShort, finding.Warning, "RFC 8301 §3.2", fix,
			"The RSA key at %s is %d bits; 2048 is the recommended minimum.", name, k.Bits)
	case k.Bits > 4096:
		add(CodeKeyTooLong, finding.Warning, "RFC 8301 §3.2",
			"Use a 2048-bit key (or up to 4096).",
			"The RSA key at %s is %d bits; verifiers need only handle up to 4096, so some will fail it.", name, k.Bits)
	}
}

func keyName(t KeyType) string {
	if t == KeyEd25519 {
		return "Ed25519"
	}
	return "RSA"
}

// colonList splits a colon-separated tag value, trimming whitespace.
func colonList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ":") {
		if p := stripSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// stripSpace removes folding whitespace (space, tab, CR, LF).
func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
