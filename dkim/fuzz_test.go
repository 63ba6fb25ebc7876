package dkim

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseKey checks that any input parses or fails cleanly, that LintKey never
// panics, and that a parsed key survives a round trip through Record.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
		"v=DKIM1; h=sha1:sha256; s=email; t=y:s; n=notes here; p=",
		"p=MIGJAoGBALVI635dLK4cJJAH3Lx6upo3X/Lm1tQz3mezcWTA3BUBnyIsdnRf57aD5BtNmhPrYYDlWlzw3UgnKisIxktkk5+iMQMlFtAS10JB8L3YadXNJY+JBcbeSi5TgJe4WFzNgW95FWDAuSTRXSWZfA/8xjflbTLDx0euFZOM7C4T0GwLAgMBAAE=",
		"k=rsa; v=DKIM1; p=AAAA",
		"v=DKIM1;;",
		"v=DKIM1; p=11qYAYKxCrfVS/7TyW\r\n QHOg7hcvPapiMlrwIaaPcHURo=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		LintKey("x._domainkey.example.com", s)
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		again, err := ParseKey(k.Record())
		require.NoError(t, err, "record %q", k.Record())
		assert.Equal(t, k.Type, again.Type)
		assert.Equal(t, k.Material, again.Material)
		assert.Equal(t, k.Format, again.Format)
		assert.Equal(t, k.Bits, again.Bits)
		assert.Equal(t, k.Revoked, again.Revoked)
		assert.Equal(t, k.HashAlgorithms, again.HashAlgorithms)
		assert.Equal(t, k.Services, again.Services)
		assert.Equal(t, k.Flags, again.Flags)
		assert.Equal(t, k.Data, again.Data)
	})
}

// FuzzVerifyMessage feeds arbitrary messages to the verifier (header splitting,
// DKIM-Signature tag parsing, go-msgauth) against the RFC 8463 keys, offline. It must
// never fail to run, and every signature must get an outcome with a reason unless it
// passed.
func FuzzVerifyMessage(f *testing.F) {
	rfc, err := os.ReadFile("../testdata/dkim/rfc8463-a3.eml")
	require.NoError(f, err)
	f.Add(string(rfc))
	f.Add(strings.ReplaceAll(string(rfc), "\r\n", "\n"))
	f.Add("From: a@example.com\r\nDKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; h=from; bh=; b=\r\n\r\nbody")
	f.Add("DKIM-Signature: v=1; l=5; x=1; t=2; i=@sub.example.com; d=example.com\r\n\r\n")
	f.Add("")
	zone, err := dnscheck.LoadZoneFile("../testdata/zones/dkim-rfc8463.zone")
	require.NoError(f, err)
	r := dnscheck.NewZoneResolver(zone)
	f.Fuzz(func(t *testing.T, msg string) {
		res, err := VerifyMessage(context.Background(), r, strings.NewReader(msg))
		require.NoError(t, err)
		for _, s := range res.Signatures {
			require.NotEmpty(t, s.Result)
			require.Equal(t, s.Result == Pass, s.Reason == "", "result %s reason %s", s.Result, s.Reason)
		}
	})
}
