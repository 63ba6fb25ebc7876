package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authFiles writes a zone (example.com sends from 192.0.2.0/24 under p=reject;
// esp.example is another provider with a DKIM key) and a message from example.com
// signed by esp.example, and returns their paths.
func authFiles(t *testing.T) (zone, signed, unsigned string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	rec := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	dir := t.TempDir()
	zone = filepath.Join(dir, "auth.zone")
	require.NoError(t, os.WriteFile(zone, []byte(""+
		"example.com. 300 IN A 192.0.2.1\n"+
		"example.com. 300 IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"+
		"_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"\n"+
		"esp.example. 300 IN TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n"+
		"s1._domainkey.esp.example. 300 IN TXT \""+rec[:200]+"\" \""+rec[200:]+"\"\n"), 0o644))
	msg := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hello\r\n" +
		"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello Bob.\r\n"
	var b bytes.Buffer
	require.NoError(t, msgauth.Sign(&b, strings.NewReader(msg), &msgauth.SignOptions{
		Domain: "esp.example", Selector: "s1", Signer: key, HeaderKeys: []string{"From", "To", "Subject", "Date"}}))
	signed, unsigned = filepath.Join(dir, "signed.eml"), filepath.Join(dir, "unsigned.eml")
	require.NoError(t, os.WriteFile(signed, b.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(unsigned, []byte(msg), 0o644))
	return zone, signed, unsigned
}

func TestMessageCommandPredictsDMARC(t *testing.T) {
	zone, signed, unsigned := authFiles(t)
	t.Run("DMARC failing under p=reject exits 1, the verdict first", func(t *testing.T) {
		code, out, errOut := runCLI(t, "--zone", zone, "message", signed, "--ip", "203.0.113.5", "--sender", "bounce@example.com", "--receiver", "gmail")
		assert.Equal(t, 1, code, errOut)
		first, _, _ := strings.Cut(out, "\n")
		assert.True(t, strings.HasPrefix(first, "would be rejected by gmail: DMARC fails under p=reject — sent through another provider's server"), out)
		assert.Contains(t, out, "dmarc.predicted-fail")
	})
	t.Run("DMARC passing through SPF exits 0 with the warning", func(t *testing.T) {
		code, out, errOut := runCLI(t, "--zone", zone, "message", unsigned, "--ip", "192.0.2.10", "--sender", "bounce@example.com")
		assert.Equal(t, 0, code, errOut)
		assert.True(t, strings.HasPrefix(out, "would be accepted by every selected receiver\n"), out)
		assert.Contains(t, out, "dmarc.spf-only")
	})
	t.Run("--format authres prints the field", func(t *testing.T) {
		code, out, errOut := runCLI(t, "--zone", zone, "message", signed, "--ip", "203.0.113.5", "--sender", "bounce@example.com",
			"--format", "authres", "--authserv-id", "mx.example.net")
		assert.Equal(t, 1, code, errOut)
		assert.Equal(t, "Authentication-Results: mx.example.net;\n\tspf=fail smtp.mailfrom=bounce@example.com;\n"+
			"\tdkim=pass header.d=esp.example header.s=s1 header.a=rsa-sha256;\n"+
			"\tdmarc=fail header.from=example.com policy.dmarc=reject\n", out)
	})
	t.Run("--sender without --ip is a usage error", func(t *testing.T) {
		code, _, errOut := runCLI(t, "--zone", zone, "message", unsigned, "--sender", "bounce@example.com")
		assert.Equal(t, 2, code)
		assert.Contains(t, errOut, "need --ip")
	})
	t.Run("authres is only a message format", func(t *testing.T) {
		code, _, _ := runCLI(t, "--zone", zone, "--format", "authres", "dmarc", "example.com")
		assert.Equal(t, 2, code)
	})
}
