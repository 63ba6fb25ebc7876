package reputation_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/reputation"
)

// blocklists serves the default lists' zones with one entry per return code to test.
const blocklists = `
$TTL 60
; Spamhaus ZEN: 192.0.2.0/24 would be documentation space, so test addresses are
; public ones that the zone below lists on purpose.
2.0.0.198.zen.spamhaus.org.          A 127.0.0.2
3.0.0.198.zen.spamhaus.org.          A 127.0.0.10
3.0.0.198.zen.spamhaus.org.          A 127.0.0.4
4.0.0.198.zen.spamhaus.org.          A 127.255.255.254
5.0.0.198.zen.spamhaus.org.          A 127.255.255.255
6.0.0.198.zen.spamhaus.org.          A 10.1.2.3
7.0.0.198.zen.spamhaus.org.          A 127.255.255.252
2.0.0.198.bl.spamcop.net.            A 127.0.0.2
listed.example.dbl.spamhaus.org.     A 127.0.1.4
quota.example.dbl.spamhaus.org.      A 127.255.255.255
ipquery.example.dbl.spamhaus.org.    A 127.0.1.255
listed.example.multi.surbl.org.      A 127.0.0.80
blocked.example.multi.surbl.org.     A 127.0.0.1
odd.example.multi.surbl.org.         A 127.0.0.2
`

func start(t *testing.T) (*dnstest.Server, context.Context) {
	t.Helper()
	v6 := reputation.ReverseName(netip.MustParseAddr("2600::1")) + ".zen.spamhaus.org. A 127.0.0.3\n"
	srv := dnstest.Start(t, dnstest.Zone(t, blocklists+v6))
	return srv, context.Background()
}

func resultFor(t *testing.T, rep *reputation.Report, zone string) reputation.Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Zone == zone {
			return r
		}
	}
	require.Failf(t, "no result", "no result for %s in %+v", zone, rep.Results)
	return reputation.Result{}
}

func codes(fs []finding.Finding) []finding.Code {
	var out []finding.Code
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestReverseName(t *testing.T) {
	assert.Equal(t, "1.2.0.192", reputation.ReverseName(netip.MustParseAddr("192.0.2.1")))
	assert.Equal(t, "1.2.0.192", reputation.ReverseName(netip.MustParseAddr("::ffff:192.0.2.1")))
	assert.Equal(t, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2",
		reputation.ReverseName(netip.MustParseAddr("2001:db8::1")), "RFC 5782 §2.4 nibble form")
}

func TestAddressesAgainstIPLists(t *testing.T) {
	tests := []struct {
		name      string
		ip        string
		wantState reputation.State
		wantCodes []finding.Code
		wantText  string
	}{
		{"an address Spamhaus lists in the SBL is listed, with the removal page", "198.0.0.2", reputation.StateListed,
			[]finding.Code{reputation.CodeIPListed, reputation.CodeIPListed}, "SBL"},
		{"several return codes are all read (PBL and XBL)", "198.0.0.3", reputation.StateListed,
			[]finding.Code{reputation.CodeIPListed}, "PBL"},
		{"a query through a public resolver is refused, not listed", "198.0.0.4", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "public"},
		{"over the quota is refused, not listed", "198.0.0.5", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "excessive"},
		{"a typo in the zone name is refused, not listed", "198.0.0.7", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "typing error"},
		{"an answer outside the published codes (a rewriting resolver) is refused, not listed", "198.0.0.6", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "not a return code"},
		{"an address on no list is clean", "198.0.0.9", reputation.StateNotListed, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ctx := start(t)
			rep, err := reputation.Check(ctx, srv.Resolver(t), "", reputation.WithSendingIPs(netip.MustParseAddr(tt.ip)))
			require.NoError(t, err)
			zen := resultFor(t, rep, "zen.spamhaus.org")
			assert.Equal(t, tt.wantState, zen.State)
			assert.Equal(t, tt.wantCodes, codes(rep.Findings))
			if tt.wantText != "" {
				require.NotEmpty(t, rep.Findings)
				assert.Contains(t, rep.Findings[0].Message, tt.wantText)
				assert.Contains(t, rep.Findings[0].Message, "Spamhaus ZEN")
			}
			if tt.wantState == reputation.StateListed {
				assert.True(t, zen.Major)
				assert.Contains(t, rep.Findings[0].Fix, "https://check.spamhaus.org/")
				assert.Contains(t, rep.Findings[0].Message, tt.ip)
			}
			// The other lists answered NXDOMAIN: not listed.
			assert.Equal(t, reputation.StateNotListed, resultFor(t, rep, "b.barracudacentral.org").State)
		})
	}
}

func TestIPv6IsQueriedInNibbleFormOnlyWhereTheListSupportsIt(t *testing.T) {
	srv, ctx := start(t)
	ip := netip.MustParseAddr("2600::1")
	rep, err := reputation.Check(ctx, srv.Resolver(t), "", reputation.WithMXAddresses("mx1.example.com.", ip))
	require.NoError(t, err)
	require.Len(t, rep.Results, 1, "only Spamhaus ZEN takes IPv6 among the default IP lists")
	assert.Equal(t, reputation.StateListed, rep.Results[0].State)
	assert.Equal(t, reputation.RoleMX, rep.Results[0].Target.Role)
	require.Len(t, rep.Findings, 1)
	assert.Contains(t, rep.Findings[0].Message, "MX mx1.example.com")
	assert.Equal(t, 0, srv.Count(reputation.ReverseName(ip)+".bl.spamcop.net.", "A"))
}

func TestPrivateAddressesAreNotQueried(t *testing.T) {
	srv, ctx := start(t)
	rep, err := reputation.Check(ctx, srv.Resolver(t), "", reputation.WithSendingIPs(
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("127.0.0.1")))
	require.NoError(t, err)
	assert.Empty(t, rep.Results)
	assert.Empty(t, srv.Log())
}

func TestDomainAgainstDomainLists(t *testing.T) {
	tests := []struct {
		name, domain string
		zone         string
		want         reputation.State
		wantCodes    []finding.Code
		wantText     string
	}{
		{"a phishing listing on the DBL", "listed.example", "dbl.spamhaus.org", reputation.StateListed,
			[]finding.Code{reputation.CodeDomainListed, reputation.CodeDomainListed}, "phishing"},
		{"SURBL's bitmask is read into its sub-lists", "listed.example", "multi.surbl.org", reputation.StateListed,
			[]finding.Code{reputation.CodeDomainListed, reputation.CodeDomainListed}, "MW: malware; ABUSE"},
		{"the DBL over quota is refused", "quota.example", "dbl.spamhaus.org", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "excessive"},
		{"the DBL's IP-query error is refused, not listed", "ipquery.example", "dbl.spamhaus.org", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "IP address"},
		{"SURBL's blocked-querier code is refused", "blocked.example", "multi.surbl.org", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "blocked"},
		{"a SURBL code with no published bit is refused", "odd.example", "multi.surbl.org", reputation.StateRefused,
			[]finding.Code{reputation.CodeListRefused}, "not a return code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ctx := start(t)
			rep, err := reputation.Check(ctx, srv.Resolver(t), tt.domain)
			require.NoError(t, err)
			assert.Equal(t, tt.want, resultFor(t, rep, tt.zone).State)
			assert.Equal(t, tt.wantCodes, codes(rep.Findings))
			var all string
			for _, f := range rep.Findings {
				all += f.Message
			}
			assert.Contains(t, all, tt.wantText)
		})
	}
}

func TestAFailedLookupIsUnknownNotClean(t *testing.T) {
	srv, ctx := start(t)
	srv.SetFault("9.0.0.198.zen.spamhaus.org.", dns.TypeA, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	rep, err := reputation.Check(ctx, srv.Resolver(t), "", reputation.WithSendingIPs(netip.MustParseAddr("198.0.0.9")))
	require.NoError(t, err)
	assert.Equal(t, reputation.StateDNSError, resultFor(t, rep, "zen.spamhaus.org").State)
	require.Equal(t, []finding.Code{reputation.CodeDNSError}, codes(rep.Findings))
	assert.True(t, rep.Findings[0].Incomplete)
	assert.Equal(t, "SERVFAIL", rep.Findings[0].Evidence.Rcode)
}

func TestEveryDefaultListIsDocumented(t *testing.T) {
	for _, l := range reputation.DefaultLists() {
		assert.NotEmpty(t, l.Removal, l.ID)
		assert.NotEmpty(t, l.Terms, l.ID)
		assert.True(t, len(l.Listed) > 0 || len(l.Bitmask) > 0, l.ID)
	}
}

func TestWithDomainsLooksEachDomainUpOnceInOneReport(t *testing.T) {
	srv, ctx := start(t)
	rep, err := reputation.Check(ctx, srv.Resolver(t), "", reputation.WithDomains("listed.example", "Listed.Example.", "quota.example", "clean.example"))
	require.NoError(t, err)
	n := 0
	for _, r := range rep.Results {
		if r.Target.Domain == "listed.example" {
			n++
		}
	}
	assert.Equal(t, 2, n, "one lookup per domain list (DBL, SURBL), the duplicate dropped")
	assert.ElementsMatch(t, []finding.Code{reputation.CodeDomainListed, reputation.CodeDomainListed, reputation.CodeListRefused}, codes(rep.Findings),
		"listed on both lists; DBL refusing one query is said once")
}
