package mailcheck_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
)

// ptrZone: ptr.example's MX hosts each show one reverse DNS case.
const ptrZone = `
$TTL 60
$ORIGIN ptr.example.
@       MX  10 good
@       MX  20 nop
@       MX  30 wrong
@       MX  40 isp
good    A   198.0.0.1
nop     A   198.0.0.2
wrong   A   198.0.0.3
isp     A   198.0.0.4
@       TXT "v=spf1 mx -all"
_dmarc  TXT "v=DMARC1; p=reject; rua=mailto:d@ptr.example"
$ORIGIN 0.0.198.in-addr.arpa.
1       PTR good.ptr.example.
3       PTR elsewhere.ptr.example.
4       PTR 4-0-0-198.static.isp.example.
5       PTR c6000005.isp.example.
6       PTR mail.ptr.example.
7       PTR adsl-pool.isp.example.
$ORIGIN isp.example.
4-0-0-198.static A 198.0.0.4
c6000005     A 198.0.0.5
adsl-pool    A 198.0.0.7
$ORIGIN ptr.example.
mail    A   198.0.0.6
elsewhere A 198.0.0.99
`

func ptrFindings(t *testing.T, rep *mailcheck.Report) map[string]mailcheck.Finding {
	t.Helper()
	c := rep.Check("ptr")
	require.NotNil(t, c)
	out := map[string]mailcheck.Finding{}
	for _, f := range c.Findings {
		out[f.Evidence.Name] = f
	}
	return out
}

func TestEveryMXAddressHasItsReverseDNSChecked(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, ptrZone))
	rep, err := mailcheck.CheckDomain(context.Background(), "ptr.example", mailcheck.WithResolver(srv.Resolver(t)),
		mailcheck.WithReputation(false))
	require.NoError(t, err)
	fs := ptrFindings(t, rep)
	assert.Len(t, fs, 3, "the forward-confirmed good.ptr.example has no finding")
	assert.Equal(t, mailcheck.CodePTRMissing, fs["2.0.0.198.in-addr.arpa"].Code)
	assert.Contains(t, fs["2.0.0.198.in-addr.arpa"].Message, "MX nop.ptr.example")
	assert.Equal(t, mailcheck.CodePTRNotConfirmed, fs["3.0.0.198.in-addr.arpa"].Code)
	assert.Contains(t, fs["3.0.0.198.in-addr.arpa"].Message, "elsewhere.ptr.example")
	assert.Equal(t, mailcheck.CodePTRGeneric, fs["4.0.0.198.in-addr.arpa"].Code)
	assert.Equal(t, mailcheck.Info, fs["4.0.0.198.in-addr.arpa"].Severity, "a receiving host is not judged by its name")

	it := item(t, rep, "mx.ptr-mx")
	assert.Equal(t, mailcheck.PointsHalf, it.Points, it.Reason)
	assert.Contains(t, it.Reason, "2 of 4 MX addresses")
	assert.Equal(t, mailcheck.ItemNotApplicable, item(t, rep, "mx.ptr").State, "no --ip")
}

func TestSendingIPsReverseDNS(t *testing.T) {
	tests := []struct {
		name   string
		ip     string
		code   mailcheck.Code
		points int
		why    string
	}{
		{"a specific forward-confirmed name earns full points", "198.0.0.6", "", mailcheck.PointsFull, ""},
		{"the octets embedded in the name make it generic", "198.0.0.4", mailcheck.CodePTRGeneric, mailcheck.PointsHalf, "octets"},
		{"the address in hex makes it generic", "198.0.0.5", mailcheck.CodePTRGeneric, mailcheck.PointsHalf, "hex"},
		{"a pool word makes it generic", "198.0.0.7", mailcheck.CodePTRGeneric, mailcheck.PointsHalf, `"adsl"`},
		{"no PTR earns nothing", "198.0.0.2", mailcheck.CodePTRMissing, mailcheck.PointsNone, ""},
		{"a name that does not resolve back earns nothing", "198.0.0.3", mailcheck.CodePTRNotConfirmed, mailcheck.PointsNone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dnstest.Start(t, dnstest.Zone(t, ptrZone))
			ip := netip.MustParseAddr(tt.ip)
			rep, err := mailcheck.CheckDomain(context.Background(), "ptr.example", mailcheck.WithResolver(srv.Resolver(t)),
				mailcheck.WithReputation(false), mailcheck.WithSendingIPs(ip))
			require.NoError(t, err)
			it := item(t, rep, "mx.ptr")
			assert.Equal(t, tt.points, it.Points, it.Reason)
			var found *mailcheck.Finding
			for _, f := range rep.Check("ptr").Findings {
				if strings.Contains(f.Message, "sending IP "+tt.ip) {
					found = &f
				}
			}
			if tt.code == "" {
				assert.Nil(t, found)
				return
			}
			require.NotNil(t, found)
			assert.Equal(t, tt.code, found.Code)
			assert.Equal(t, mailcheck.Warning, found.Severity)
			assert.Contains(t, found.Message, tt.why)
		})
	}
}

func TestAFailedReverseOrForwardLookupIsUnknownNotMissing(t *testing.T) {
	for _, tt := range []struct{ name, faultName string }{
		{"the PTR lookup fails", "6.0.0.198.in-addr.arpa"},
		{"the PTR name's address lookup fails", "mail.ptr.example"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := dnstest.Start(t, dnstest.Zone(t, ptrZone))
			srv.SetFault(tt.faultName, 0, dnstest.Fault{Rcode: dns.RcodeServerFailure})
			rep, err := mailcheck.CheckDomain(context.Background(), "ptr.example", mailcheck.WithResolver(srv.Resolver(t)),
				mailcheck.WithReputation(false), mailcheck.WithSendingIPs(netip.MustParseAddr("198.0.0.6")))
			require.NoError(t, err)
			it := item(t, rep, "mx.ptr")
			assert.Equal(t, mailcheck.ItemError, it.State, it.Reason)
			var codes []mailcheck.Code
			for _, f := range rep.Check("ptr").Findings {
				if strings.Contains(f.Message, "198.0.0.6") {
					codes = append(codes, f.Code)
					assert.True(t, f.Incomplete)
				}
			}
			assert.Equal(t, []mailcheck.Code{mailcheck.CodePTRDNSError}, codes)
			assert.True(t, rep.Incomplete)
		})
	}
}

func TestNoAddressToCheckSkipsThePTRCheck(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, "$ORIGIN null.example.\n@ 60 MX 0 .\n"))
	rep, err := mailcheck.CheckDomain(context.Background(), "null.example", mailcheck.WithResolver(srv.Resolver(t)),
		mailcheck.WithReputation(false))
	require.NoError(t, err)
	assert.Equal(t, mailcheck.StatusSkip, rep.Check("ptr").Status)
	assert.Equal(t, mailcheck.ItemNotApplicable, item(t, rep, "mx.ptr-mx").State)
}
