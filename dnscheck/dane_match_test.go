package dnscheck_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/testca"
)

func TestMatchTLSA(t *testing.T) {
	ca, other := testca.New(t), testca.New(t)
	leaf := ca.Valid(t, "mx.example.com").Leaf
	expired := ca.Expired(t, "mx.example.com").Leaf
	stranger := other.Valid(t, "mx.example.com").Leaf
	sha256Of := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	sha512Of := func(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }
	rec := func(usage, selector, mtype uint8, data string) dnscheck.TLSARecord {
		return dnscheck.TLSARecord{Usage: usage, Selector: selector, MatchingType: mtype, Data: data, Usable: true}
	}
	names := []string{"mx.example.com"}
	tests := []struct {
		name    string
		records []dnscheck.TLSARecord
		chain   []*x509.Certificate
		names   []string
		matched bool
	}{
		{"DANE-EE 3 1 1 matches the leaf's public key", []dnscheck.TLSARecord{rec(3, 1, 1, sha256Of(leaf.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{leaf, ca.Cert}, names, true},
		{"DANE-EE 3 0 1 matches the leaf certificate", []dnscheck.TLSARecord{rec(3, 0, 1, sha256Of(leaf.Raw))},
			[]*x509.Certificate{leaf}, names, true},
		{"DANE-EE 3 1 2 matches by SHA-512", []dnscheck.TLSARecord{rec(3, 1, 2, sha512Of(leaf.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{leaf}, names, true},
		{"DANE-EE 3 0 0 matches the exact certificate", []dnscheck.TLSARecord{rec(3, 0, 0, hex.EncodeToString(leaf.Raw))},
			[]*x509.Certificate{leaf}, names, true},
		{"DANE-EE ignores names and expiry", []dnscheck.TLSARecord{rec(3, 1, 1, sha256Of(expired.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{expired}, []string{"other.example.net"}, true},
		{"DANE-EE does not match another key", []dnscheck.TLSARecord{rec(3, 1, 1, sha256Of(leaf.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{stranger, other.Cert}, names, false},
		{"DANE-EE matches the leaf only, not the CA in the chain", []dnscheck.TLSARecord{rec(3, 1, 1, sha256Of(ca.Cert.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{leaf, ca.Cert}, names, false},
		{"DANE-TA 2 0 1 matches the CA in the chain", []dnscheck.TLSARecord{rec(2, 0, 1, sha256Of(ca.Cert.Raw))},
			[]*x509.Certificate{leaf, ca.Cert}, names, true},
		{"DANE-TA 2 1 1 matches the CA's key", []dnscheck.TLSARecord{rec(2, 1, 1, sha256Of(ca.Cert.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{leaf, ca.Cert}, names, true},
		{"DANE-TA needs the CA in the presented chain", []dnscheck.TLSARecord{rec(2, 0, 1, sha256Of(ca.Cert.Raw))},
			[]*x509.Certificate{leaf}, names, false},
		{"DANE-TA checks the MX host name", []dnscheck.TLSARecord{rec(2, 0, 1, sha256Of(ca.Cert.Raw))},
			[]*x509.Certificate{leaf, ca.Cert}, []string{"other.example.net"}, false},
		{"DANE-TA does not accept a leaf the anchor did not issue", []dnscheck.TLSARecord{rec(2, 0, 1, sha256Of(ca.Cert.Raw))},
			[]*x509.Certificate{stranger, ca.Cert}, names, false},
		{"DANE-TA does not match the leaf itself", []dnscheck.TLSARecord{rec(2, 1, 1, sha256Of(leaf.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{leaf, ca.Cert}, names, false},
		{"an unusable record never matches", []dnscheck.TLSARecord{{Usage: 1, Selector: 1, MatchingType: 1, Data: sha256Of(leaf.RawSubjectPublicKeyInfo)}},
			[]*x509.Certificate{leaf}, names, false},
		{"one matching record among others is enough", []dnscheck.TLSARecord{rec(3, 1, 1, sha256Of(stranger.RawSubjectPublicKeyInfo)), rec(3, 1, 1, sha256Of(leaf.RawSubjectPublicKeyInfo))},
			[]*x509.Certificate{leaf}, names, true},
		{"no presented certificate matches nothing", []dnscheck.TLSARecord{rec(3, 1, 1, sha256Of(leaf.RawSubjectPublicKeyInfo))},
			nil, names, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := dnscheck.MatchTLSA(tt.records, tt.chain, tt.names, time.Now())
			assert.Equal(t, tt.matched, m.Matched, m.Reason)
			assert.NotEmpty(t, m.Reason)
			assert.Equal(t, tt.matched, m.Record != nil)
		})
	}
}
