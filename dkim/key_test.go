package dkim

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLintKey(t *testing.T) {
	testKeys(t)
	rsa2048pub := spki(t, &rsa2048.PublicKey)
	ed := rawEd(edPrivate.Public().(ed25519.PublicKey))
	tests := []struct {
		name   string
		record string
		want   []Code
		check  func(t *testing.T, k *Key)
	}{
		{"a 2048-bit RSA key in SubjectPublicKeyInfo form is clean", "v=DKIM1; k=rsa; p=" + rsa2048pub, []Code{}, func(t *testing.T, k *Key) {
			assert.Equal(t, KeyRSA, k.Material)
			assert.Equal(t, FormatSPKI, k.Format)
			assert.Equal(t, 2048, k.Bits)
		}},
		{"a record without v= and k= defaults to RSA", "p=" + rsa2048pub, []Code{}, func(t *testing.T, k *Key) {
			assert.Equal(t, KeyRSA, k.Type)
		}},
		{"a PKCS#1 RSA key is accepted and noted", "v=DKIM1; p=" + pkcs1(&rsa2048.PublicKey), []Code{CodeKeyPKCS1}, func(t *testing.T, k *Key) {
			assert.Equal(t, FormatPKCS1, k.Format)
			assert.Equal(t, 2048, k.Bits)
		}},
		{"base64 folded over several lines is joined", "v=DKIM1; p=" + rsa2048pub[:40] + "\r\n\t" + rsa2048pub[40:], []Code{}, nil},
		{"a 1024-bit key is short", "v=DKIM1; k=rsa; p=" + spki(t, &rsa1024.PublicKey), []Code{CodeKeyShort}, func(t *testing.T, k *Key) {
			assert.Equal(t, 1024, k.Bits)
		}},
		{"a 512-bit key is weak", "v=DKIM1; p=" + spki(t, fakeRSA(t, 512)), []Code{CodeKeyWeak}, nil},
		{"a 4096-bit key passes", "v=DKIM1; p=" + spki(t, fakeRSA(t, 4096)), []Code{}, nil},
		{"a 4608-bit key is too long", "v=DKIM1; p=" + spki(t, fakeRSA(t, 4608)), []Code{CodeKeyTooLong}, nil},
		{"an Ed25519 key of 32 bytes is clean", "v=DKIM1; k=ed25519; p=" + ed, []Code{}, func(t *testing.T, k *Key) {
			assert.Equal(t, KeyEd25519, k.Material)
			assert.Equal(t, FormatRaw, k.Format)
		}},
		{"an Ed25519 key of 31 bytes is a syntax error", "v=DKIM1; k=ed25519; p=" + rawEd(edPrivate.Public().(ed25519.PublicKey)[:31]), []Code{CodeKeySyntax}, nil},
		{"an Ed25519 key wrapped in SubjectPublicKeyInfo is a syntax error", "v=DKIM1; k=ed25519; p=" + spki(t, edPrivate.Public()), []Code{CodeKeySyntax}, nil},
		{"an Ed25519 key published as k=rsa is a type mismatch", "v=DKIM1; k=rsa; p=" + ed, []Code{CodeKeyTypeMismatch}, func(t *testing.T, k *Key) {
			assert.Equal(t, KeyEd25519, k.Material)
		}},
		{"an RSA key published as k=ed25519 is a type mismatch", "v=DKIM1; k=ed25519; p=" + rsa2048pub, []Code{CodeKeyTypeMismatch}, nil},
		{"an empty p= is a revoked key", "v=DKIM1; p=", []Code{CodeKeyRevoked}, func(t *testing.T, k *Key) {
			assert.True(t, k.Revoked)
		}},
		{"h=sha1 alone is sha1-only", "v=DKIM1; h=sha1; p=" + rsa2048pub, []Code{CodeKeySHA1Only}, nil},
		{"h=sha1:sha256 is fine", "v=DKIM1; h=sha1:sha256; p=" + rsa2048pub, []Code{}, nil},
		{"h= without a known hash is a syntax error", "v=DKIM1; h=md5; p=" + rsa2048pub, []Code{CodeKeySyntax}, nil},
		{"s=email is fine", "v=DKIM1; s=email; p=" + rsa2048pub, []Code{}, nil},
		{"s=* is fine", "v=DKIM1; s=*; p=" + rsa2048pub, []Code{}, nil},
		{"a service list without email is ignored by verifiers", "v=DKIM1; s=tlsrpt; p=" + rsa2048pub, []Code{CodeKeyService}, nil},
		{"t=y is testing mode", "v=DKIM1; t=y; p=" + rsa2048pub, []Code{CodeKeyTesting}, func(t *testing.T, k *Key) {
			assert.True(t, k.Testing)
		}},
		{"t=s is noted", "v=DKIM1; t=s; p=" + rsa2048pub, []Code{CodeKeyStrict}, nil},
		{"t=y:s is both", "v=DKIM1; t=y:s; p=" + rsa2048pub, []Code{CodeKeyTesting, CodeKeyStrict}, nil},
		{"unknown tags such as g= are ignored", "v=DKIM1; g=*; x=1; p=" + rsa2048pub, []Code{}, nil},
		{"v= not first is a syntax error", "k=rsa; v=DKIM1; p=" + rsa2048pub, []Code{CodeKeySyntax}, nil},
		{"v=DKIM2 is a syntax error", "v=DKIM2; p=" + rsa2048pub, []Code{CodeKeySyntax}, nil},
		{"a missing p= is a syntax error", "v=DKIM1; k=rsa", []Code{CodeKeySyntax}, nil},
		{"a repeated tag is a syntax error", "v=DKIM1; p=" + rsa2048pub + "; p=" + rsa2048pub, []Code{CodeKeySyntax}, nil},
		{"an unknown key type is a syntax error", "v=DKIM1; k=dsa; p=" + rsa2048pub, []Code{CodeKeySyntax}, nil},
		{"bad base64 is a syntax error", "v=DKIM1; p=MIIB!!", []Code{CodeKeySyntax}, nil},
		{"bytes that are no key are a syntax error", "v=DKIM1; p=AAAAAAAA", []Code{CodeKeySyntax}, nil},
		{"a broken tag list is a syntax error", "v=DKIM1; p", []Code{CodeKeySyntax}, nil},
		{"an SPF record is a syntax error", "v=spf1 -all", []Code{CodeKeySyntax}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, fs := LintKey("s._domainkey.example.com", tt.record)
			assert.Equal(t, tt.want, codes(fs))
			for _, f := range fs {
				assert.NotEmpty(t, f.Message)
				assert.NotEmpty(t, f.Ref)
				require.NotNil(t, f.Evidence)
				assert.Equal(t, "s._domainkey.example.com", f.Evidence.Name)
			}
			if tt.check != nil {
				require.NotNil(t, k)
				tt.check(t, k)
			}
		})
	}
}

func TestParseKeyErrorsWrapTheSentinel(t *testing.T) {
	_, err := ParseKey("v=DKIM1")
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrKeySyntax))
	assert.Contains(t, err.Error(), "p=")
}

func TestParseKeyReadsTheRFC8463Records(t *testing.T) {
	// RFC 8463 Appendix A.2.
	k, err := ParseKey("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	require.NoError(t, err)
	assert.Equal(t, KeyEd25519, k.Material)
	assert.Equal(t, 256, k.Bits)

	k, err = ParseKey("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR" +
		"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC" +
		"DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3" +
		"Ip3G+2kryOTIKT+l/K4w3QIDAQAB")
	require.NoError(t, err)
	assert.Equal(t, 1024, k.Bits)
	assert.Equal(t, FormatSPKI, k.Format)
}

// TestLintKeyRFC6376EdgeCases covers key records that are valid by RFC 6376 §3.6.1
// in their less common shapes, and the tag-list errors of §3.2.
func TestLintKeyRFC6376EdgeCases(t *testing.T) {
	testKeys(t)
	p := spki(t, &rsa2048.PublicKey)
	tests := []struct {
		name   string
		record string
		want   []Code
		check  func(t *testing.T, k *Key)
	}{
		{"p= with spaces, a tab and a fold inside is one key (base64string allows FWS)",
			"v=DKIM1; k=rsa; p=" + p[:50] + " " + p[50:100] + "\t" + p[100:200] + "\r\n\t" + p[200:300] + " \r\n " + p[300:], []Code{},
			func(t *testing.T, k *Key) { assert.Equal(t, 2048, k.Bits) }},
		{"whitespace inside the base64 padding is ignored", "v=DKIM1; k=ed25519; p=" + strings.TrimSuffix(rawEd(edPrivate.Public().(ed25519.PublicKey)), "=") + " =", []Code{},
			func(t *testing.T, k *Key) { assert.Equal(t, KeyEd25519, k.Material) }},
		{"whitespace around = and ; is ignored", " v = DKIM1 ;k = rsa ; p = " + p + " ", []Code{}, nil},
		// RFC 6376 §3.2: tag values are case-sensitive unless the tag says otherwise.
		{"k=RSA in upper case is not rsa (RFC 6376 §3.2)", "v=DKIM1; k=RSA; p=" + p, []Code{CodeKeySyntax}, nil},
		{"h=SHA256 in upper case names no hash verifiers know", "v=DKIM1; h=SHA256; p=" + p, []Code{CodeKeySyntax}, nil},
		{"s=Email in upper case is not the email service", "v=DKIM1; s=Email; p=" + p, []Code{CodeKeyService}, nil},
		{"t=Y in upper case is an unknown flag, not testing", "v=DKIM1; t=Y; p=" + p, []Code{},
			func(t *testing.T, k *Key) { assert.False(t, k.Testing) }},
		{"an unknown hash next to sha256 in h= is ignored", "v=DKIM1; h=sha512:sha256; p=" + p, []Code{}, nil},
		{"an unknown hash next to sha1 in h= is still sha1-only", "v=DKIM1; h=sha1:sha512; p=" + p, []Code{CodeKeySHA1Only}, nil},
		{"only unknown hashes in h= leave nothing usable", "v=DKIM1; h=sha512:sha3-256; p=" + p, []Code{CodeKeySyntax}, nil},
		{"an unknown flag in t= is ignored", "v=DKIM1; t=x:y; p=" + p, []Code{CodeKeyTesting}, nil},
		{"g= from RFC 4871 is an unknown tag now and ignored", "v=DKIM1; g=nobody; p=" + p, []Code{}, nil},
		{"an empty g= from RFC 4871 is ignored too", "v=DKIM1; g=; p=" + p, []Code{}, nil},
		{"a trailing semicolon is allowed", "v=DKIM1; k=rsa; p=" + p + ";", []Code{}, nil},
		{"a trailing semicolon and whitespace are allowed", "v=DKIM1; k=rsa; p=" + p + "; \t", []Code{}, nil},
		{"an unknown k= is unusable", "v=DKIM1; k=ecdsa; p=" + p, []Code{CodeKeySyntax}, nil},
		{"an empty k= is unusable", "v=DKIM1; k=; p=" + p, []Code{CodeKeySyntax}, nil},
		{"an empty h= is a syntax error: the tag needs one algorithm", "v=DKIM1; h=; p=" + p, []Code{CodeKeySyntax}, nil},
		{"an empty s= is a syntax error: the tag needs one service", "v=DKIM1; s=; p=" + p, []Code{CodeKeySyntax}, nil},
		{"an empty t= is a syntax error: the tag needs one flag", "v=DKIM1; t=; p=" + p, []Code{CodeKeySyntax}, nil},
		{"a repeated unknown tag makes the record invalid (RFC 6376 §3.2)", "v=DKIM1; g=*; g=*; p=" + p, []Code{CodeKeySyntax}, nil},
		{"a repeated n= makes the record invalid", "v=DKIM1; n=one; n=two; p=" + p, []Code{CodeKeySyntax}, nil},
		{"a repeated k= makes the record invalid even with the same value", "v=DKIM1; k=rsa; k=rsa; p=" + p, []Code{CodeKeySyntax}, nil},
		{"a repeated v= makes the record invalid", "v=DKIM1; v=DKIM1; p=" + p, []Code{CodeKeySyntax}, nil},
		{"tag names are case-sensitive: P= is not p=", "v=DKIM1; P=" + p, []Code{CodeKeySyntax}, nil},
		{"v=dkim1 in lower case is not the version (its ABNF is case-sensitive)", "v=dkim1; p=" + p, []Code{CodeKeySyntax}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, fs := LintKey("s._domainkey.example.com", tt.record)
			assert.Equal(t, tt.want, codes(fs))
			if tt.check != nil {
				require.NotNil(t, k)
				tt.check(t, k)
			}
		})
	}
}
