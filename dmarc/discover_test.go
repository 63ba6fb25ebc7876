package dmarc

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTreeWalkFollowsTheRFCExample(t *testing.T) {
	// RFC 9989 §4.10: the eight queries for a.b.c.d.e.f.g.h.i.j.mail.example.com.
	assert.Equal(t, []string{
		"a.b.c.d.e.f.g.h.i.j.mail.example.com",
		"g.h.i.j.mail.example.com",
		"h.i.j.mail.example.com",
		"i.j.mail.example.com",
		"j.mail.example.com",
		"mail.example.com",
		"example.com",
		"com",
	}, TreeWalk("a.b.c.d.e.f.g.h.i.j.mail.example.com"))
	assert.Equal(t, []string{"mail.example.com", "example.com", "com"}, TreeWalk("mail.example.com"))
	assert.Equal(t, []string{"com"}, TreeWalk("com"))
	assert.Len(t, TreeWalk("a.b.c.d.e.f.g.h"), 8, "eight labels: the name and its seven parents")
}

func TestDiscover(t *testing.T) {
	srv := startZone(t, "dmarc-discovery.zone")
	tests := []struct {
		name                string
		domain              string
		source              Source
		policyDomain, org   string
		policy, sub, nonsub Policy
		exists              bool
		legacyPolicyDomain  string // "" when RFC 7489 receivers find no policy
	}{
		{"a record at the domain applies p", "example.com", AtDomain, "example.com", "example.com", Reject, Quarantine, Reject, true, "example.com"},
		{"a subdomain inherits sp from the organizational domain", "mail.example.com", AtOrganizationalDomain, "example.com", "example.com", Quarantine, Quarantine, Reject, true, "example.com"},
		{"a subdomain's own record applies to it but not to its subdomains", "own.example.com", AtDomain, "own.example.com", "example.com", None, Quarantine, Reject, true, "own.example.com"},
		{"a name deeper than eight labels is shortened to seven", "a.b.c.d.e.f.g.h.i.deep.example.net", AtOrganizationalDomain, "deep.example.net", "deep.example.net", Quarantine, Quarantine, Quarantine, true, ""},
		{"a record below a psd=y domain is the organizational domain's", "giant.bank", AtDomain, "giant.bank", "giant.bank", Quarantine, Quarantine, Quarantine, true, "giant.bank"},
		{"a subdomain of a registered name under a PSD inherits from that name", "mail.giant.bank", AtOrganizationalDomain, "giant.bank", "giant.bank", Quarantine, Quarantine, Quarantine, true, "giant.bank"},
		{"a name under a PSD without its own record gets the PSD policy", "mega.bank", AtPublicSuffixDomain, "bank", "mega.bank", Reject, Reject, Reject, true, ""},
		{"a deeper name under a PSD gets the PSD policy too", "mail.mega.bank", AtPublicSuffixDomain, "bank", "mega.bank", Reject, Reject, Reject, true, ""},
		{"a non-existent subdomain gets np", "ghost.npdomain.org", AtOrganizationalDomain, "npdomain.org", "npdomain.org", Reject, Quarantine, Reject, false, "npdomain.org"},
		{"an existing subdomain gets sp", "real.npdomain.org", AtOrganizationalDomain, "npdomain.org", "npdomain.org", Quarantine, Quarantine, Reject, true, "npdomain.org"},
		{"psd=n stops the walk at its domain", "team.corp.example.org", AtOrganizationalDomain, "corp.example.org", "corp.example.org", Quarantine, Quarantine, Quarantine, true, "example.org"},
		{"a record reached through a CNAME applies", "cname.org", AtDomain, "cname.org", "cname.org", Reject, Reject, Reject, true, "cname.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Discover(context.Background(), srv.Resolver(t), tt.domain)
			require.NoError(t, err)
			o := d.RFC9989
			require.True(t, o.Applies, o.Reason)
			assert.Equal(t, tt.source, o.Source)
			assert.Equal(t, tt.policyDomain, o.PolicyDomain)
			assert.Equal(t, tt.org, o.OrganizationalDomain)
			assert.Equal(t, tt.policy, o.Policy, "policy")
			assert.Equal(t, tt.sub, o.SubdomainPolicy, "subdomain policy")
			assert.Equal(t, tt.nonsub, o.NonexistentPolicy, "non-existent subdomain policy")
			assert.Equal(t, tt.exists, d.Exists)
			assert.False(t, d.Incomplete)
			assert.Equal(t, tt.legacyPolicyDomain != "", d.RFC7489.Applies, d.RFC7489.Reason)
			assert.Equal(t, tt.legacyPolicyDomain, d.RFC7489.PolicyDomain)
		})
	}
}

func TestDiscoverMakesAtMostEightWalkQueries(t *testing.T) {
	srv := startZone(t, "dmarc-discovery.zone")
	domain := "a.b.c.d.e.f.g.h.i.deep.example.net"
	_, err := Discover(context.Background(), srv.Resolver(t), domain)
	require.NoError(t, err)
	var asked []string
	for _, q := range srv.Log() {
		if q.Type == "TXT" && strings.HasPrefix(q.Name, "_dmarc.") {
			asked = append(asked, strings.TrimSuffix(strings.TrimPrefix(q.Name, "_dmarc."), "."))
		}
	}
	assert.Equal(t, TreeWalk(domain), asked)
}

func TestDiscoverStopsAtPSD(t *testing.T) {
	srv := startZone(t, "dmarc-discovery.zone")
	d, err := Discover(context.Background(), srv.Resolver(t), "mail.mega.bank")
	require.NoError(t, err)
	var names []string
	for _, l := range d.Lookups {
		names = append(names, l.Domain)
	}
	assert.Equal(t, []string{"mail.mega.bank", "mega.bank", "bank"}, names)
}

func TestDiscoverFollowsCNAME(t *testing.T) {
	srv := startZone(t, "dmarc-discovery.zone")
	d, err := Discover(context.Background(), srv.Resolver(t), "cname.org")
	require.NoError(t, err)
	l := d.Lookup("cname.org")
	require.NotNil(t, l)
	assert.Equal(t, "cname-org.policies.provider.net", l.CNAME)
	assert.Equal(t, Reject, d.RFC9989.Policy)
}

func TestDiscoverAppliesTestingDowngrade(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	d, err := Discover(context.Background(), srv.Resolver(t), "testing.example")
	require.NoError(t, err)
	assert.Equal(t, Quarantine, d.RFC9989.Policy, "t=y lowers reject one step")
	assert.Equal(t, Reject, d.RFC7489.Policy, "RFC 7489 receivers do not know t")
}

func TestDiscoverTreatsAnInvalidPolicyAsNone(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	d, err := Discover(context.Background(), srv.Resolver(t), "badvalue.example")
	require.NoError(t, err)
	assert.Equal(t, None, d.RFC9989.Policy)
	assert.True(t, d.RFC7489.Applies, "rua is valid, so RFC 7489 receivers act as p=none")
	assert.Equal(t, None, d.RFC7489.Policy)
}

func TestAligned(t *testing.T) {
	tests := []struct {
		from, auth string
		mode       AlignmentMode
		want       bool
	}{
		{"example.com", "example.com", Strict, true},
		{"example.com", "mail.example.com", Strict, false},
		{"example.com", "mail.example.com", Relaxed, true},
		{"news.example.com", "mail.example.com", Relaxed, true},
		{"Example.COM.", "example.com", Strict, true},
		{"example.co.uk", "mail.example.co.uk", Relaxed, true},
		{"example.co.uk", "other.co.uk", Relaxed, false},
		{"example.com", "example.net", Relaxed, false},
		{"example.com", "", Relaxed, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s and %s in mode %s give %v", tt.from, tt.auth, tt.mode, tt.want), func(t *testing.T) {
			assert.Equal(t, tt.want, Aligned(tt.from, tt.auth, tt.mode))
		})
	}
}

func ExampleAligned() {
	fmt.Println(Aligned("example.com", "mail.example.com", Relaxed))
	fmt.Println(Aligned("example.com", "mail.example.com", Strict))
	fmt.Println(OrganizationalDomain("mail.example.co.uk"))
	// Output:
	// true
	// false
	// example.co.uk
}

func TestDiscoverSkipsALevelWithMultipleRecords(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	d, err := Discover(context.Background(), srv.Resolver(t), "multi.parent.example")
	require.NoError(t, err)
	l := d.Lookup("multi.parent.example")
	require.NotNil(t, l)
	assert.Len(t, l.DMARC, 2)
	assert.Nil(t, l.Record, "two records at one name: none is usable")
	assert.Equal(t, "parent.example", d.RFC9989.PolicyDomain, "RFC 9989 walks on to the valid parent")
	assert.Equal(t, Quarantine, d.RFC9989.Policy)
	assert.False(t, d.RFC7489.Applies, "RFC 7489 stops at the domain")
	assert.Contains(t, d.RFC7489.Reason, "2 DMARC records")
}
