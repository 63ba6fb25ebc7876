// Package testca makes a certificate authority and leaf certificates for tests, so
// HTTPS and SMTP servers on 127.0.0.1 can present chains that verify (or, on purpose,
// do not: expired, for another name, from another CA).
package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a self-signed root.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// PEM is the root certificate, PEM-encoded.
	PEM []byte
}

var serial int64 = 1

func key(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("testca: %v", err)
	}
	return k
}

// New makes a root valid from an hour ago for a year.
func New(tb testing.TB) *CA {
	tb.Helper()
	k := key(tb)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "mailcheck test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		tb.Fatalf("testca: %v", err)
	}
	c, _ := x509.ParseCertificate(der)
	return &CA{Cert: c, Key: k, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// Pool is a pool holding only this root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// WriteFile writes the root as PEM to a file in the test's temporary directory.
func (ca *CA) WriteFile(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "ca.pem")
	if err := os.WriteFile(path, ca.PEM, 0o600); err != nil {
		tb.Fatalf("testca: %v", err)
	}
	return path
}

// Leaf issues a server certificate for names, valid from notBefore to notAfter.
func (ca *CA) Leaf(tb testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	tb.Helper()
	k := key(tb)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &k.PublicKey, ca.Key)
	if err != nil {
		tb.Fatalf("testca: %v", err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}
}

// Valid issues a certificate for names valid from an hour ago for 90 days.
func (ca *CA) Valid(tb testing.TB, names ...string) tls.Certificate {
	tb.Helper()
	return ca.Leaf(tb, names, time.Now().Add(-time.Hour), time.Now().Add(90*24*time.Hour))
}

// Expired issues a certificate for names that expired yesterday.
func (ca *CA) Expired(tb testing.TB, names ...string) tls.Certificate {
	tb.Helper()
	return ca.Leaf(tb, names, time.Now().Add(-90*24*time.Hour), time.Now().Add(-24*time.Hour))
}
