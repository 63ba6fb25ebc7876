package dnscheck_test

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
)

// A zone file answers a negative question as its authoritative servers would: with
// the SOA of the zone holding the name (RFC 2308 §3), also at the end of a CNAME chain.
func TestZoneNegativeAnswersCarryTheSOA(t *testing.T) {
	z, err := dnscheck.ParseZone(strings.NewReader(`$ORIGIN example.com.
@      300 IN SOA ns hostmaster 1 3600 600 86400 120
@          IN TXT "v=spf1 -all"
alias      IN CNAME target.example.org.
$ORIGIN example.org.
@      300 IN SOA ns hostmaster 1 3600 600 86400 60
target     IN A 192.0.2.1
`), "t")
	require.NoError(t, err)
	ask := func(name string, qtype uint16) *dns.Msg {
		q := new(dns.Msg)
		q.SetQuestion(name, qtype)
		return z.Answer(q)
	}
	soa := func(m *dns.Msg) string {
		for _, rr := range m.Ns {
			if s, ok := rr.(*dns.SOA); ok {
				return s.Hdr.Name
			}
		}
		return ""
	}
	tests := []struct {
		name, qname string
		qtype       uint16
		rcode       int
		soa         string
	}{
		{"NXDOMAIN", "nothing.example.com.", dns.TypeTXT, dns.RcodeNameError, "example.com."},
		{"NODATA", "example.com.", dns.TypeMX, dns.RcodeSuccess, "example.com."},
		{"NODATA at the end of a CNAME chain: the target's zone", "alias.example.com.", dns.TypeTXT, dns.RcodeSuccess, "example.org."},
		{"a positive answer has none", "example.com.", dns.TypeTXT, dns.RcodeSuccess, ""},
		{"nor does one through a CNAME", "alias.example.com.", dns.TypeA, dns.RcodeSuccess, ""},
		{"a name in no zone of the file has none", "x.example.net.", dns.TypeA, dns.RcodeNameError, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ask(tc.qname, tc.qtype)
			assert.Equal(t, tc.rcode, m.Rcode)
			assert.Equal(t, tc.soa, soa(m))
		})
	}
}
