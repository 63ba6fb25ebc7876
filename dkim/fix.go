package dkim

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// recordFixable are the key findings a corrected record removes without a new key
// pair: the tags around p= (k=, h=, s=, t=) and the encoding of p= itself.
var recordFixable = map[Code]bool{CodeKeyTypeMismatch: true, CodeKeySyntax: true, CodeKeyPKCS1: true,
	CodeKeySHA1Only: true, CodeKeyService: true, CodeKeyTesting: true}

// correctKey returns the key record with what can be mended without a new key pair
// mended, every other tag kept as written: k= set to what p= holds, p= re-encoded
// (a wrapped Ed25519 key unwrapped, RFC 8463 §4.2; a PKCS#1 RSA key as
// SubjectPublicKeyInfo), an h= without sha256 dropped (RFC 8301 §3.1), an s= without
// email dropped, y dropped from t=. ok is false when nothing changes.
func correctKey(record string, k *Key) (string, bool) {
	if k == nil || k.Revoked {
		return "", false
	}
	segs := strings.Split(record, ";")
	var out []string
	setK := k.Material != "" && k.Material != k.Type
	hasK := false
	for _, seg := range segs {
		name, value, found := strings.Cut(seg, "=")
		lead := seg[:len(seg)-len(strings.TrimLeft(seg, " \t\r\n"))]
		name = strings.TrimSpace(name)
		if !found {
			out = append(out, seg)
			continue
		}
		switch name {
		case "k":
			hasK = true
			if setK {
				seg = lead + "k=" + string(k.Material)
			}
		case "p":
			if p, ok := reencode(k); ok {
				seg = lead + "p=" + p
			}
		case "h":
			if !slices.Contains(k.HashAlgorithms, "sha256") {
				continue
			}
		case "s":
			if !slices.Contains(k.Services, "email") && !slices.Contains(k.Services, "*") {
				continue
			}
		case "t":
			flags := slices.DeleteFunc(colonList(value), func(f string) bool { return f == "y" })
			if len(flags) == len(colonList(value)) {
				break
			}
			if len(flags) == 0 {
				continue
			}
			seg = lead + "t=" + strings.Join(flags, ":")
		}
		out = append(out, seg)
	}
	if setK && !hasK {
		// k= is absent, so rsa by default: add it after v= (RFC 6376 §3.6.1 wants v=
		// first when present).
		at := 0
		if len(out) > 0 && strings.HasPrefix(strings.TrimSpace(out[0]), "v=") {
			at = 1
		}
		out = slices.Insert(out, at, " k="+string(k.Material))
	}
	fixed := strings.TrimLeft(strings.Join(out, ";"), " \t")
	if fixed == record {
		return "", false
	}
	nk, err := ParseKey(fixed)
	if err != nil || nk.Revoked {
		return "", false
	}
	return fixed, true
}

// reencode gives p= in the form every verifier reads, when it is not in it already.
func reencode(k *Key) (string, bool) {
	switch pub := k.PublicKey.(type) {
	case ed25519.PublicKey:
		if k.Format != FormatRaw {
			return base64.StdEncoding.EncodeToString(pub), true
		}
	case *rsa.PublicKey:
		if k.Format == FormatPKCS1 {
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err == nil {
				return base64.StdEncoding.EncodeToString(der), true
			}
		}
	}
	return "", false
}

// shortRecord abbreviates p= for prose: the record is long, the change is elsewhere.
func shortRecord(record string) string {
	i := strings.Index(record, "p=")
	if i < 0 || len(record) <= 120 {
		return record
	}
	j := strings.IndexByte(record[i:], ';')
	p := record[i+2:]
	rest := ""
	if j >= 0 {
		p, rest = record[i+2:i+j], record[i+j:]
	}
	if len(p) <= 24 {
		return record
	}
	return record[:i+2] + p[:12] + "…" + p[len(p)-8:] + rest
}

func replaceKey(name, old, now string) []finding.FixRecord {
	return []finding.FixRecord{{Action: finding.Replace, Name: name, Type: "TXT", Replaces: old, Value: now}}
}
