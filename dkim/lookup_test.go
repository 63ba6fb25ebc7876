package dkim

import (
	"context"
	"net"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookupKey(t *testing.T) {
	testKeys(t)
	good := rsaRecord(t, &rsa2048.PublicKey)
	zone := txt("s1._domainkey.example.com.", good) +
		"selector1._domainkey.example.com. 300 IN CNAME selector1-example-com._domainkey.tenant.example.net.\n" +
		txt("selector1-example-com._domainkey.tenant.example.net.", good) +
		txt("two._domainkey.example.com.", good) + txt("two._domainkey.example.com.", "v=DKIM1; p=") +
		txt("old._domainkey.example.com.", "v=DKIM1; p=") +
		txt("broken._domainkey.example.com.", "v=DKIM1; k=rsa") +
		txt("fail._domainkey.example.com.", good) +
		"dangling._domainkey.example.com. 300 IN CNAME dangling-example-com._domainkey.tenant.example.net.\n"
	srv, r := serve(t, zone)
	srv.SetFault("fail._domainkey.example.com.", dns.TypeTXT, dnstestFault(dns.RcodeServerFailure))

	tests := []struct {
		name     string
		selector string
		status   KeyStatus
		codes    []Code
		check    func(t *testing.T, kr *KeyResult)
	}{
		{"a published key is found and linted clean", "s1", KeyFound, []Code{}, func(t *testing.T, kr *KeyResult) {
			require.NotNil(t, kr.Key)
			assert.Equal(t, 2048, kr.Key.Bits)
			assert.Empty(t, kr.CNAME)
			assert.Equal(t, []string{good}, kr.Records)
		}},
		{"a key behind a CNAME is found and the target reported", "selector1", KeyFound, []Code{}, func(t *testing.T, kr *KeyResult) {
			assert.Equal(t, "selector1-example-com._domainkey.tenant.example.net", kr.CNAME)
			require.NotNil(t, kr.Key)
		}},
		{"two records at one name are reported", "two", KeyFound, []Code{CodeMultipleKeyRecords, CodeKeyRevoked}, nil},
		{"a revoked key is reported", "old", KeyFound, []Code{CodeKeyRevoked}, nil},
		{"an unusable record is a syntax error", "broken", KeyFound, []Code{CodeKeySyntax}, func(t *testing.T, kr *KeyResult) {
			assert.Nil(t, kr.Key)
		}},
		{"a selector without a key is missing", "nope", KeyMissing, []Code{CodeKeyMissing}, func(t *testing.T, kr *KeyResult) {
			assert.Equal(t, "NXDOMAIN", kr.Rcode)
		}},
		{"a CNAME to a name without a key is reported with its target", "dangling", KeyMissing, []Code{CodeKeyMissing}, func(t *testing.T, kr *KeyResult) {
			assert.Equal(t, "dangling-example-com._domainkey.tenant.example.net", kr.CNAME)
			assert.Contains(t, kr.Findings[0].Message, "alias (CNAME) of dangling-example-com._domainkey.tenant.example.net")
		}},
		{"a SERVFAIL is a DNS error marked incomplete", "fail", KeyDNSError, []Code{CodeDNSError}, func(t *testing.T, kr *KeyResult) {
			assert.Equal(t, "SERVFAIL", kr.Rcode)
			assert.True(t, kr.Findings[0].Incomplete)
			assert.Error(t, kr.Err())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := LookupKey(context.Background(), r, "Example.COM.", tt.selector)
			require.NoError(t, err)
			assert.Equal(t, tt.status, kr.Status)
			assert.Equal(t, tt.codes, codes(kr.Findings))
			assert.Equal(t, tt.selector+"._domainkey.example.com", kr.Name)
			if tt.check != nil {
				tt.check(t, kr)
			}
		})
	}
}

func TestLookupKeyRejectsBadNames(t *testing.T) {
	_, r := serve(t, "")
	for _, sel := range []string{"", "a..b", ".a", "a b", "a/b"} {
		_, err := LookupKey(context.Background(), r, "example.com", sel)
		assert.ErrorIs(t, err, ErrInvalidSelector, "selector %q", sel)
	}
	_, err := LookupKey(context.Background(), r, "not a domain", "s1")
	assert.Error(t, err)
}

// The standard library's resolver, pointed at the test server, works as well: the
// package needs only *net.Resolver's method shapes.
func TestLookupKeyWithNetResolver(t *testing.T) {
	testKeys(t)
	good := rsaRecord(t, &rsa2048.PublicKey)
	srv, _ := serve(t, "selector1._domainkey.example.com. 300 IN CNAME key.tenant.example.net.\n"+txt("key.tenant.example.net.", good))
	var d net.Dialer
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, srv.Addr)
	}}
	kr, err := LookupKey(context.Background(), r, "example.com", "selector1")
	require.NoError(t, err)
	assert.Equal(t, KeyFound, kr.Status)
	assert.Equal(t, "key.tenant.example.net", kr.CNAME)
	require.NotNil(t, kr.Key)
	assert.Equal(t, 2048, kr.Key.Bits)

	kr, err = LookupKey(context.Background(), r, "example.com", "nope")
	require.NoError(t, err)
	assert.Equal(t, KeyMissing, kr.Status)
	assert.Equal(t, []Code{CodeKeyMissing}, codes(kr.Findings))
}
