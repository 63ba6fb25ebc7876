package dkim

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func selectorsOf(keys []*KeyResult) []string {
	out := []string{}
	for _, k := range keys {
		out = append(out, k.Selector)
	}
	return out
}

func TestCheckDiscoversProviderSelectors(t *testing.T) {
	testKeys(t)
	good := rsaRecord(t, &rsa2048.PublicKey)
	zone := "selector1._domainkey.example.com. 300 IN CNAME selector1-example-com._domainkey.contoso.onmicrosoft.example.\n" +
		txt("selector1-example-com._domainkey.contoso.onmicrosoft.example.", good) +
		txt("google._domainkey.example.com.", good) +
		txt("k1._domainkey.example.com.", good) +
		txt("custom._domainkey.example.com.", good)
	_, r := serve(t, zone)

	res, err := Check(context.Background(), r, "example.com",
		WithSelectors("custom", "absent"),
		WithProviderHints("example-com.mail.protection.outlook.com.", "servers.mcsv.net"))
	require.NoError(t, err)
	assert.Equal(t, []string{"custom", "absent", "selector1", "k1", "google"}, selectorsOf(res.Keys),
		"asked-for selectors come first, then discoveries in probe order, hinted providers first")
	assert.Equal(t, []string{"Microsoft 365", "Mailchimp"}, res.Providers)
	assert.Equal(t, KeyMissing, res.Keys[1].Status)
	assert.Equal(t, []Code{CodeKeyMissing}, codes(res.Keys[1].Findings))
	assert.Equal(t, "selector1-example-com._domainkey.contoso.onmicrosoft.example", res.Keys[2].CNAME)
	assert.Equal(t, "Microsoft 365", res.Keys[2].Provider)
	assert.True(t, res.Keys[2].Discovered)
	assert.False(t, res.Keys[0].Discovered)
	assert.Equal(t, []Code{CodeKeyMissing}, codes(res.AllFindings()))
	assert.Greater(t, res.Probed, 20)
}

func TestCheckReportsNoSelector(t *testing.T) {
	t.Run("an NXDOMAIN at _domainkey is evidence that no key exists, and nothing else is asked", func(t *testing.T) {
		srv, r := serve(t, "example.com. 300 IN TXT \"v=spf1 -all\"\n")
		res, err := Check(context.Background(), r, "example.com")
		require.NoError(t, err)
		assert.True(t, res.DomainKeyNXDOMAIN)
		assert.Equal(t, 0, res.Probed)
		assert.Equal(t, []Code{CodeNoSelectorFound}, codes(res.Findings))
		assert.Contains(t, res.Findings[0].Message, "NXDOMAIN")
		assert.Len(t, srv.Log(), 1)
	})
	t.Run("keys under unknown selectors make the result inconclusive", func(t *testing.T) {
		testKeys(t)
		_, r := serve(t, txt("unusual2024._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey)))
		res, err := Check(context.Background(), r, "example.com")
		require.NoError(t, err)
		assert.False(t, res.DomainKeyNXDOMAIN)
		assert.Empty(t, res.Keys)
		require.Equal(t, []Code{CodeNoSelectorFound}, codes(res.Findings))
		f := res.Findings[0]
		assert.Equal(t, "warning", string(f.Severity))
		assert.Contains(t, f.Message, "inconclusive")
		assert.Contains(t, f.Message, "probed")
	})
	t.Run("a provider whose selectors cannot be guessed is explained", func(t *testing.T) {
		_, r := serve(t, "abc._domainkey.example.com. 300 IN CNAME abc.dkim.amazonses.example.\n")
		res, err := Check(context.Background(), r, "example.com", WithProviderHints("amazonses.com"))
		require.NoError(t, err)
		require.Equal(t, []Code{CodeNoSelectorFound}, codes(res.Findings))
		assert.Contains(t, res.Findings[0].Message, "Amazon SES")
	})
	t.Run("a wildcard TXT record is not taken for keys", func(t *testing.T) {
		_, r := serve(t, "*.example.com. 300 IN TXT \"v=spf1 -all\"\n")
		res, err := Check(context.Background(), r, "example.com")
		require.NoError(t, err)
		assert.Empty(t, res.Keys)
		assert.Equal(t, []Code{CodeNoSelectorFound}, codes(res.Findings))
	})
}

func TestCheckSelectorListReplacesTheBuiltinList(t *testing.T) {
	testKeys(t)
	srv, r := serve(t, txt("google._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey))+
		txt("mine._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey)))
	res, err := Check(context.Background(), r, "example.com",
		WithSelectorList([]SelectorGroup{{Provider: "in-house", Selectors: []string{"mine", "other"}}}))
	require.NoError(t, err)
	assert.Equal(t, []string{"mine"}, selectorsOf(res.Keys))
	assert.Equal(t, 2, res.Probed)
	assert.Equal(t, 0, srv.Count("google._domainkey.example.com.", ""))

	res, err = Check(context.Background(), r, "example.com", WithSelectorList(nil), WithSelectors("google"))
	require.NoError(t, err)
	assert.Equal(t, []string{"google"}, selectorsOf(res.Keys))
	assert.Equal(t, 0, res.Probed)
	assert.Empty(t, res.AllFindings())
}

func TestCheckNotesEd25519Only(t *testing.T) {
	testKeys(t)
	_, r := serve(t, txt("fm1._domainkey.example.com.", "v=DKIM1; k=ed25519; p="+rawEd(edPrivate.Public().(ed25519.PublicKey))))
	res, err := Check(context.Background(), r, "example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"fm1"}, selectorsOf(res.Keys))
	assert.Equal(t, []Code{CodeEd25519Only}, codes(res.Findings))

	_, r = serve(t, txt("fm1._domainkey.example.com.", "v=DKIM1; k=ed25519; p="+rawEd(edPrivate.Public().(ed25519.PublicKey)))+
		txt("fm2._domainkey.example.com.", rsaRecord(t, &rsa2048.PublicKey)))
	res, err = Check(context.Background(), r, "example.com")
	require.NoError(t, err)
	assert.Empty(t, res.Findings, "an RSA key alongside is what RFC 8463 asks for")
}

func TestCheckProbesUnderAShortTimeout(t *testing.T) {
	srv, r := serve(t, txt("unusual._domainkey.example.com.", "v=DKIM1; p="))
	srv.SetFault("selector2._domainkey.example.com.", dns.TypeTXT, dnstest.Fault{Drop: true})
	srv.SetFault("s1._domainkey.example.com.", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	start := time.Now()
	res, err := Check(context.Background(), r, "example.com", WithQueryTimeout(150*time.Millisecond))
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.Equal(t, []Code{CodeDNSError, CodeNoSelectorFound}, codes(res.Findings))
	assert.True(t, res.Findings[0].Incomplete)
	assert.Contains(t, strings.Join(res.Findings[0].Evidence.Records, " "), "selector2._domainkey.example.com")
}

func TestCheckThatRunsOutOfTimeIsIncomplete(t *testing.T) {
	srv, r := serve(t, "")
	srv.SetLatency(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res, err := Check(ctx, r, "example.com", WithSelectors("mine"))
	require.NoError(t, err)
	assert.Equal(t, KeyDNSError, res.Keys[0].Status)
	require.NotEmpty(t, res.AllFindings())
	assert.Equal(t, CodeDNSError, res.AllFindings()[0].Code)
	assert.True(t, res.AllFindings()[0].Incomplete)
}

func TestCheckRejectsBadInput(t *testing.T) {
	_, r := serve(t, "")
	_, err := Check(context.Background(), r, "exa mple.com")
	assert.Error(t, err)
	_, err = Check(context.Background(), r, "example.com", WithSelectors("a..b"))
	assert.ErrorIs(t, err, ErrInvalidSelector)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Check(ctx, r, "example.com")
	assert.ErrorIs(t, err, context.Canceled)
}
