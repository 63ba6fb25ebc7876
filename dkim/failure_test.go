package dkim

import (
	"context"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAFailedKeyLookupIsNeverAMissingKey(t *testing.T) {
	tests := []struct {
		name  string
		fault dnstest.Fault
		rcode string
	}{
		{"a SERVFAIL at an asked-for selector", dnstest.Fault{Rcode: dns.RcodeServerFailure}, "SERVFAIL"},
		{"a REFUSED at an asked-for selector", dnstest.Fault{Rcode: dns.RcodeRefused}, "REFUSED"},
		{"a timeout at an asked-for selector", dnstest.Fault{Drop: true}, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is dkim.dns-error, not dkim.key-missing", func(t *testing.T) {
			srv, r := serve(t, "")
			srv.SetFault("mine._domainkey.example.com", dns.TypeTXT, tc.fault)
			res, err := Check(context.Background(), r, "example.com", WithSelectors("mine"), WithSelectorList(nil))
			require.NoError(t, err)
			require.Len(t, res.Keys, 1)
			assert.Equal(t, KeyDNSError, res.Keys[0].Status)
			assert.Equal(t, tc.rcode, res.Keys[0].Rcode)
			all := res.AllFindings()
			assert.Equal(t, []Code{CodeDNSError}, codes(all))
			f := all[0]
			assert.Equal(t, Severity("warning"), f.Severity)
			assert.True(t, f.Incomplete)
			assert.Equal(t, "mine._domainkey.example.com", f.Evidence.Name)
			assert.Equal(t, tc.rcode, f.Evidence.Rcode)
			assert.NotContains(t, strings.ToLower(f.Fix), "publish")
		})
	}
}

func TestProbesThatAllFailSayNothingAboutMissingKeys(t *testing.T) {
	srv, r := serve(t, "")
	for _, s := range []string{"_domainkey", "a._domainkey", "b._domainkey"} {
		srv.SetFault(s+".example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	}
	res, err := Check(context.Background(), r, "example.com", WithSelectorList([]SelectorGroup{{Provider: "test", Selectors: []string{"a", "b"}}}))
	require.NoError(t, err)
	// before: dkim.dns-error and dkim.no-selector-found ("No DKIM key was found among 2 probed common selectors")
	assert.Equal(t, []Code{CodeDNSError}, codes(res.Findings))
	f := res.Findings[0]
	assert.Equal(t, Severity("warning"), f.Severity)
	assert.Equal(t, "SERVFAIL", f.Evidence.Rcode)
	assert.Equal(t, []string{"a._domainkey.example.com", "b._domainkey.example.com"}, f.Evidence.Records)
	assert.Contains(t, f.Message, "2 probed selector names under _domainkey.example.com failed (SERVFAIL)")
}

func TestProbesThatPartlyFailCountOnlyTheAnsweredOnes(t *testing.T) {
	// A name under _domainkey, so that it exists and the selectors are probed.
	srv, r := serve(t, txt("other._domainkey.example.com.", "not a key"))
	srv.SetFault("b._domainkey.example.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	res, err := Check(context.Background(), r, "example.com", WithSelectorList([]SelectorGroup{{Provider: "test", Selectors: []string{"a", "b", "c"}}}))
	require.NoError(t, err)
	require.Equal(t, []Code{CodeDNSError, CodeNoSelectorFound}, codes(res.Findings))
	assert.Contains(t, res.Findings[1].Message, "at the 2 probed common selectors that were answered (the lookups of 1 others failed)")
}
