package mailcheck_test

import (
	"context"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A failed lookup makes a check unknown (status error); its summary says so rather
// than calling the record missing.
func TestSummariesSayUnknownNotMissing(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, `
x.test.                  IN TXT "v=spf1 -all"
mine._domainkey.x.test.  IN TXT "v=DKIM1; p="
`))
	srv.SetFault("x.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	srv.SetFault("mine._domainkey.x.test", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	r := srv.Resolver(t)

	t.Run("an SPF record behind a SERVFAIL is not 'no usable SPF record'", func(t *testing.T) {
		c, err := mailcheck.CheckSPF(context.Background(), "x.test", mailcheck.WithResolver(r))
		require.NoError(t, err)
		assert.Equal(t, mailcheck.StatusError, c.Status)
		assert.Equal(t, "The SPF lookup did not complete.", c.Summary)
		for _, f := range c.Findings {
			assert.NotEqual(t, spf.CodeMissing, f.Code)
		}
	})
	t.Run("an asked-for selector behind a SERVFAIL is not counted as having no key", func(t *testing.T) {
		c, err := mailcheck.CheckDKIM(context.Background(), "x.test", mailcheck.WithSelectors("mine"), mailcheck.WithResolver(r))
		require.NoError(t, err)
		assert.NotContains(t, c.Summary, "have no key")
		assert.Contains(t, c.Summary, "The lookup of 1 selector(s) failed.")
		for _, f := range c.Findings {
			assert.NotEqual(t, dkim.CodeKeyMissing, f.Code)
		}
	})
}
