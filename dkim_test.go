package mailcheck

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dkimDemo(t *testing.T) Option {
	t.Helper()
	z, err := dnscheck.LoadZoneFile("testdata/zones/dkim-demo.zone")
	require.NoError(t, err)
	return WithResolver(dnscheck.NewZoneResolver(z))
}

func TestCheckDKIM(t *testing.T) {
	tests := []struct {
		name      string
		domain    string
		selectors []string
		status    Status
		codes     []dkim.Code
		summary   string
	}{
		{"keys behind provider selectors are found, the MX's provider first", "example.com", nil, StatusPass, []dkim.Code{},
			"2 DKIM key(s): selector1 (RSA 2048), google (RSA 2048)."},
		{"a weak testing key and a short key fail the check", "broken.example", nil, StatusFail,
			[]dkim.Code{dkim.CodeKeyShort, dkim.CodeKeyWeak, dkim.CodeKeySHA1Only, dkim.CodeKeyTesting},
			"2 DKIM key(s): s1 (RSA 1024), mail (RSA 512)."},
		{"an asked-for revoked key is reported", "broken.example", []string{"old"}, StatusFail,
			[]dkim.Code{dkim.CodeKeyRevoked, dkim.CodeKeyShort, dkim.CodeKeyWeak, dkim.CodeKeySHA1Only, dkim.CodeKeyTesting},
			"3 DKIM key(s): old (revoked), s1 (RSA 1024), mail (RSA 512)."},
		{"an Ed25519-only domain gets a note", "modern.example", nil, StatusPass, []dkim.Code{dkim.CodeEd25519Only},
			"1 DKIM key(s): fm1 (Ed25519)."},
		{"a domain without _domainkey warns", "nokeys.example", nil, StatusWarn, []dkim.Code{dkim.CodeNoSelectorFound},
			"No DKIM key: nothing exists under _domainkey.nokeys.example."},
		{"a missing asked-for selector fails", "example.com", []string{"missing"}, StatusFail, []dkim.Code{dkim.CodeKeyMissing},
			"2 DKIM key(s): selector1 (RSA 2048), google (RSA 2048). 1 selector(s) asked for have no key."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CheckDKIM(context.Background(), tt.domain, dkimDemo(t), WithSelectors(tt.selectors...))
			require.NoError(t, err)
			assert.Equal(t, "dkim", c.ID)
			assert.Equal(t, tt.status, c.Status)
			got := []dkim.Code{}
			for _, f := range c.Findings {
				got = append(got, f.Code)
			}
			assert.Equal(t, tt.codes, got)
			assert.Equal(t, tt.summary, c.Summary)
			assert.IsType(t, &dkim.Report{}, c.Details)
		})
	}
}

func TestCheckDKIMAsksEachSelectorOnce(t *testing.T) {
	c, err := CheckDKIM(context.Background(), "broken.example", dkimDemo(t), WithSelectors("old"), WithSelectors("old", "nope"))
	require.NoError(t, err)
	res := c.Details.(*dkim.Report)
	assert.Equal(t, "old", res.Keys[0].Selector)
	assert.Equal(t, "nope", res.Keys[1].Selector)
	assert.False(t, res.Keys[2].Discovered && res.Keys[2].Selector == "old")
}

func TestCheckDKIMRejectsBadInput(t *testing.T) {
	_, err := CheckDKIM(context.Background(), "exa mple.com", dkimDemo(t))
	assert.Error(t, err)
	_, err = CheckDKIM(context.Background(), "example.com", dkimDemo(t), WithSelectors("bad..selector"))
	assert.ErrorIs(t, err, dkim.ErrInvalidSelector)
}

func TestCheckDKIMMessage(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("testdata/zones/dkim-rfc8463.zone")
	require.NoError(t, err)
	r := WithResolver(dnscheck.NewZoneResolver(z))
	msg, err := os.ReadFile("testdata/dkim/rfc8463-a3.eml")
	require.NoError(t, err)

	c, err := CheckDKIMMessage(context.Background(), strings.NewReader(string(msg)), r)
	require.NoError(t, err)
	assert.Equal(t, StatusWarn, c.Status, "the RFC's RSA test key is 1024 bits")
	assert.Equal(t, "2 signature(s): d=football.example.com s=brisbane pass (aligned); d=football.example.com s=test pass (aligned).", c.Summary)
	assert.Empty(t, c.Domain)

	strict := func(from, d string) bool { return from == "example.org" }
	c, err = CheckDKIMMessage(context.Background(), strings.NewReader(string(msg)), WithAlignment(strict), r)
	require.NoError(t, err)
	assert.Contains(t, c.Summary, "pass (not aligned)")

	tampered := strings.Replace(string(msg), "We lost the game.", "We won the game.", 1)
	c, err = CheckDKIMMessage(context.Background(), strings.NewReader(tampered), r)
	require.NoError(t, err)
	assert.Equal(t, StatusFail, c.Status)
	assert.Contains(t, c.Summary, "fail (body-hash-mismatch)")

	c, err = CheckDKIMMessage(context.Background(), strings.NewReader("From: a@example.com\r\n\r\nhi\r\n"), r)
	require.NoError(t, err)
	assert.Equal(t, "The message is not DKIM-signed.", c.Summary)
	assert.Equal(t, StatusWarn, c.Status)
}
