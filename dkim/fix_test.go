package dkim

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// TestKeyFixes checks the fix_records of key findings that a corrected record can
// remove, then applies them to the zone and looks the key up again: the finding is
// gone and no new warning or error appears. Findings that need a new key pair, and
// keys behind a provider's CNAME, get no records.
func TestKeyFixes(t *testing.T) {
	rsaKey := spki(t, fakeRSA(t, 2048))
	rsaPKCS1 := pkcs1(fakeRSA(t, 2048))
	weak := spki(t, fakeRSA(t, 1024))
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edRaw, edSPKI := rawEd(edPub), spki(t, edPub)
	const d = "fix.example"
	name := func(s string) string { return s + "._domainkey." + d }

	var zone strings.Builder
	zone.WriteString(d + ". 300 IN A 192.0.2.1\n")
	add := func(sel, value string) { zone.WriteString(txt(name(sel)+".", value)) }
	add("testing", "v=DKIM1; k=rsa; t=y; p="+rsaKey)
	add("teststrict", "v=DKIM1; t=y:s; p="+rsaKey)
	add("sha1", "v=DKIM1; k=rsa; h=sha1; p="+rsaKey)
	add("service", "v=DKIM1; s=other; p="+rsaKey)
	add("mismatch", "v=DKIM1; p="+edRaw)
	add("wrapped", "v=DKIM1; k=ed25519; p="+edSPKI)
	add("pkcs1", "v=DKIM1; k=rsa; p="+rsaPKCS1)
	add("two", "v=DKIM1; k=rsa; p="+rsaKey)
	add("two", "v=DKIM1; k=rsa; p=not-base64!")
	add("weak", "v=DKIM1; k=rsa; p="+weak)
	zone.WriteString(name("aliased") + ". 300 IN CNAME key.provider.example.\n")
	zone.WriteString(txt("key.provider.example.", "v=DKIM1; k=rsa; t=y; p="+rsaKey))
	z, err := dnscheck.ParseZone(strings.NewReader(zone.String()), "fix")
	require.NoError(t, err)

	for _, tc := range []struct {
		name, selector string
		code           Code
		want           []finding.FixRecord
		fix            string
	}{
		{"t=y is dropped from the key record", "testing", CodeKeyTesting,
			[]finding.FixRecord{{Action: finding.Replace, Name: name("testing"), Type: "TXT", Replaces: "v=DKIM1; k=rsa; t=y; p=" + rsaKey, Value: "v=DKIM1; k=rsa; p=" + rsaKey}}, "Corrected record"},
		{"t=y:s keeps s", "teststrict", CodeKeyTesting,
			[]finding.FixRecord{{Action: finding.Replace, Name: name("teststrict"), Type: "TXT", Replaces: "v=DKIM1; t=y:s; p=" + rsaKey, Value: "v=DKIM1; t=s; p=" + rsaKey}}, "t=s"},
		{"h=sha1 is dropped", "sha1", CodeKeySHA1Only,
			[]finding.FixRecord{{Action: finding.Replace, Name: name("sha1"), Type: "TXT", Replaces: "v=DKIM1; k=rsa; h=sha1; p=" + rsaKey, Value: "v=DKIM1; k=rsa; p=" + rsaKey}}, "rsa-sha256"},
		{"an s= without email is dropped", "service", CodeKeyService,
			[]finding.FixRecord{{Action: finding.Replace, Name: name("service"), Type: "TXT", Replaces: "v=DKIM1; s=other; p=" + rsaKey, Value: "v=DKIM1; p=" + rsaKey}}, "s=email"},
		{"k= is set to what p= holds", "mismatch", CodeKeyTypeMismatch,
			[]finding.FixRecord{{Action: finding.Replace, Name: name("mismatch"), Type: "TXT", Replaces: "v=DKIM1; p=" + edRaw, Value: "v=DKIM1; k=ed25519; p=" + edRaw}}, "k=ed25519"},
		{"a wrapped Ed25519 key is unwrapped", "wrapped", CodeKeySyntax,
			[]finding.FixRecord{{Action: finding.Replace, Name: name("wrapped"), Type: "TXT", Replaces: "v=DKIM1; k=ed25519; p=" + edSPKI, Value: "v=DKIM1; k=ed25519; p=" + edRaw}}, "32 bytes"},
		{"a PKCS#1 RSA key is republished as SubjectPublicKeyInfo", "pkcs1", CodeKeyPKCS1, nil, "SubjectPublicKeyInfo"},
		{"of two records, the one that is no key is deleted", "two", CodeMultipleKeyRecords,
			[]finding.FixRecord{{Action: finding.Delete, Name: name("two"), Type: "TXT", Replaces: "v=DKIM1; k=rsa; p=not-base64!"}}, "keeping"},
		{"a short key needs a new key pair: no records", "weak", CodeKeyShort, nil, "Generate a 2048-bit RSA key"},
		{"a key behind a provider's CNAME is not the owner's to edit", "aliased", CodeKeyTesting, nil, "ask that provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			before, err := LookupKey(ctx, dnscheck.NewZoneResolver(z), d, tc.selector)
			require.NoError(t, err)
			var f *Finding
			for i := range before.Findings {
				if before.Findings[i].Code == tc.code {
					f = &before.Findings[i]
				}
			}
			require.NotNil(t, f, "codes: %v", codes(before.Findings))
			assert.Contains(t, f.Fix, tc.fix)
			if tc.code == CodeKeyPKCS1 {
				require.Len(t, f.FixRecords, 1)
				assert.Equal(t, "v=DKIM1; k=rsa; p=", f.FixRecords[0].Value[:len("v=DKIM1; k=rsa; p=")])
			} else {
				assert.Equal(t, tc.want, f.FixRecords)
			}
			if f.FixRecords == nil {
				return
			}
			fixed, err := z.ApplyFixRecords(f.FixRecords)
			require.NoError(t, err)
			after, err := LookupKey(ctx, dnscheck.NewZoneResolver(fixed), d, tc.selector)
			require.NoError(t, err)
			had := map[Code]bool{}
			for _, b := range before.Findings {
				had[b.Code] = true
			}
			for _, a := range after.Findings {
				assert.NotEqual(t, tc.code, a.Code, "the finding is gone: %s", a.Message)
				if a.Severity.Rank() >= finding.Warning.Rank() {
					assert.True(t, had[a.Code], "new %s after the fix: %s", a.Code, a.Message)
				}
			}
			require.NotNil(t, after.Key, "the key still verifies signatures")
			type equaler interface{ Equal(crypto.PublicKey) bool }
			assert.True(t, before.Key.PublicKey.(equaler).Equal(after.Key.PublicKey), "the same public key")
		})
	}
}
