package mailcheck

import (
	"context"
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
		codes     []string
		summary   string
	}{
		{"keys behind provider selectors are found, the MX's provider first", "example.com", nil, StatusPass, []string{},
			"2 DKIM key(s): selector1 (RSA 2048), google (RSA 2048)."},
		{"a weak testing key and a short key fail the check", "broken.example", nil, StatusFail,
			[]string{dkim.CodeKeyShort, dkim.CodeKeyWeak, dkim.CodeKeySHA1Only, dkim.CodeKeyTesting},
			"2 DKIM key(s): s1 (RSA 1024), mail (RSA 512)."},
		{"an asked-for revoked key is reported", "broken.example", []string{"old"}, StatusFail,
			[]string{dkim.CodeKeyRevoked, dkim.CodeKeyShort, dkim.CodeKeyWeak, dkim.CodeKeySHA1Only, dkim.CodeKeyTesting},
			"3 DKIM key(s): old (revoked), s1 (RSA 1024), mail (RSA 512)."},
		{"an Ed25519-only domain gets a note", "modern.example", nil, StatusPass, []string{dkim.CodeEd25519Only},
			"1 DKIM key(s): fm1 (Ed25519)."},
		{"a domain without _domainkey warns", "nokeys.example", nil, StatusWarn, []string{dkim.CodeNoSelectorFound},
			"No DKIM key: nothing exists under _domainkey.nokeys.example."},
		{"a missing asked-for selector fails", "example.com", []string{"missing"}, StatusFail, []string{dkim.CodeKeyMissing},
			"2 DKIM key(s): selector1 (RSA 2048), google (RSA 2048). 1 selector(s) asked for have no key."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CheckDKIM(context.Background(), tt.domain, tt.selectors, dkimDemo(t))
			require.NoError(t, err)
			assert.Equal(t, "dkim", c.ID)
			assert.Equal(t, tt.status, c.Status)
			got := []string{}
			for _, f := range c.Findings {
				got = append(got, f.Code)
			}
			assert.Equal(t, tt.codes, got)
			assert.Equal(t, tt.summary, c.Summary)
			assert.IsType(t, &dkim.Result{}, c.Details)
		})
	}
}

func TestCheckDKIMRejectsBadInput(t *testing.T) {
	_, err := CheckDKIM(context.Background(), "exa mple.com", nil, dkimDemo(t))
	assert.Error(t, err)
	_, err = CheckDKIM(context.Background(), "example.com", []string{"bad..selector"}, dkimDemo(t))
	assert.ErrorIs(t, err, dkim.ErrInvalidSelector)
}
