package dkim

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/stretchr/testify/require"
)

// Keys are generated once per test binary: RSA generation is slow.
var (
	keysOnce  sync.Once
	rsa1024   *rsa.PrivateKey
	rsa2048   *rsa.PrivateKey
	edPrivate ed25519.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
		require.NoError(t, err)
		rsa2048, err = rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		_, edPrivate, err = ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
	})
}

// spki returns the base64 SubjectPublicKeyInfo of pub.
func spki(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(der)
}

// pkcs1 returns the base64 PKCS#1 RSAPublicKey of pub.
func pkcs1(pub *rsa.PublicKey) string {
	return base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(pub))
}

// fakeRSA makes an RSA public key of exactly bits bits without generating primes:
// linting needs only the modulus length, and real 512- or 8192-bit keys are slow or
// refused by crypto/rsa.
func fakeRSA(t testing.TB, bits int) *rsa.PublicKey {
	t.Helper()
	b := make([]byte, (bits+7)/8)
	_, err := rand.Read(b)
	require.NoError(t, err)
	b[0] |= 0x80
	b[len(b)-1] |= 1
	return &rsa.PublicKey{N: new(big.Int).SetBytes(b), E: 65537}
}

// rawEd returns the base64 of the bare 32-byte Ed25519 public key.
func rawEd(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// codes lists the finding codes, in order.
func codes(fs []Finding) []Code {
	out := []Code{}
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// txt formats a zone-file TXT record, splitting value into 255-octet strings the way
// DNS publishers must (RFC 6376 §3.6.2.2: verifiers join them).
func txt(owner, value string) string {
	var parts []string
	for len(value) > 255 {
		parts = append(parts, `"`+value[:255]+`"`)
		value = value[255:]
	}
	parts = append(parts, `"`+value+`"`)
	return owner + " 300 IN TXT " + strings.Join(parts, " ") + "\n"
}

// serve starts the in-process DNS server for zone text and returns a resolver for it.
func serve(t *testing.T, zone string) (*dnstest.Server, *dnscheck.Resolver) {
	t.Helper()
	srv := dnstest.Start(t, dnstest.Zone(t, zone))
	return srv, srv.Resolver(t)
}

func rsaRecord(t testing.TB, pub *rsa.PublicKey) string {
	t.Helper()
	return "v=DKIM1; k=rsa; p=" + spki(t, pub)
}

func dnstestFault(rcode int) dnstest.Fault { return dnstest.Fault{Rcode: rcode} }
