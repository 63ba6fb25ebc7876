package dkim

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
)

func BenchmarkLintKey(b *testing.B) {
	testKeys(b)
	rec := rsaRecord(b, &rsa2048.PublicKey)
	for b.Loop() {
		LintKey("s._domainkey.example.com", rec)
	}
}

// BenchmarkVerifyMessage verifies the two RFC 8463 signatures; the zone resolver's
// cache answers the key lookups after the first round, so this measures parsing,
// linting and cryptography.
func BenchmarkVerifyMessage(b *testing.B) {
	zone, err := dnscheck.LoadZoneFile("../testdata/zones/dkim-rfc8463.zone")
	if err != nil {
		b.Fatal(err)
	}
	r := dnscheck.NewZoneResolver(zone)
	msg, err := os.ReadFile("../testdata/dkim/rfc8463-a3.eml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := VerifyMessage(context.Background(), r, bytes.NewReader(msg))
		if err != nil || res.Signatures[0].Result != Pass {
			b.Fatal("verification failed")
		}
	}
}
