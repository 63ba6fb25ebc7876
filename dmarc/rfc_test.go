package dmarc

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/internal/dnstest"
)

// TestParseFollowsTheRFC9989Grammar checks record syntax edge cases of RFC 9989 §4.7
// and §4.8 that decide what a receiver applies.
func TestParseFollowsTheRFC9989Grammar(t *testing.T) {
	for _, tc := range []struct {
		name, txt string
		p, sp, np Policy
		rua       []string
		testing   bool
	}{
		{"the version alone is a record with p=none", "v=DMARC1", None, None, None, nil, false},
		{"no whitespace at all is fine", "v=DMARC1;p=reject;sp=none", Reject, None, None, nil, false},
		{"whitespace around = and ; is allowed", "v = DMARC1 ;\tp = quarantine ; sp= reject ;", Quarantine, Reject, Reject, nil, false},
		{"the v tag name is case-insensitive", "V=DMARC1; p=reject", Reject, Reject, Reject, nil, false},
		{"tag names are case-insensitive", "v=DMARC1; P=reject; SP=none", Reject, None, None, nil, false},
		{"policy values are case-insensitive", "v=DMARC1; p=REJECT; sp=Quarantine; np=NoNe", Reject, Quarantine, None, nil, false},
		{"np defaults to sp", "v=DMARC1; p=reject; sp=quarantine", Reject, Quarantine, Quarantine, nil, false},
		{"np defaults to p when sp is absent", "v=DMARC1; p=quarantine", Quarantine, Quarantine, Quarantine, nil, false},
		{"an unknown tag is ignored and the rest still applies", "v=DMARC1; foo=bar; p=reject; xyz=1 2 3", Reject, Reject, Reject, nil, false},
		{"t=Y is testing, case-insensitive", "v=DMARC1; p=reject; t=Y", Reject, Reject, Reject, nil, true},
		{"a bad tag does not hide the tags after it", "v=DMARC1; adkim=x; p=reject", Reject, Reject, Reject, nil, false},
		{"rua with two URIs, spaces around the comma and a size suffix", "v=DMARC1; p=none; rua=mailto:a@example.com , mailto:b@example.net!10m",
			None, None, None, []string{"a@example.com", "b@example.net"}, false},
		{"a %-escaped mailbox is decoded", "v=DMARC1; p=none; rua=mailto:dmarc%2Breports@example.com", None, None, None, []string{"dmarc+reports@example.com"}, false},
		{"a mailto with a query keeps only the address", "v=DMARC1; p=none; rua=mailto:a@example.com?subject=dmarc", None, None, None, []string{"a@example.com"}, false},
		{"an invalid URI is skipped and the valid one kept", "v=DMARC1; p=none; rua=bogus, mailto:a@example.com", None, None, None, []string{"a@example.com"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.txt)
			require.NoError(t, err)
			assert.Equal(t, tc.p, r.Policy, "p")
			assert.Equal(t, tc.sp, r.SubdomainPolicy, "sp")
			assert.Equal(t, tc.np, r.NonexistentPolicy, "np")
			var got []string
			for _, u := range r.AggregateURIs {
				got = append(got, u.Address)
			}
			assert.Equal(t, tc.rua, got)
			assert.Equal(t, tc.testing, r.Testing)
		})
	}
}

func TestParseReadsURIDetails(t *testing.T) {
	r, err := Parse("v=DMARC1; p=none; rua=mailto:a@example.com!10m,https://reports.example.net/dmarc,mailto:b@example.org!512")
	require.NoError(t, err)
	require.Len(t, r.AggregateURIs, 3)
	assert.Equal(t, uint64(10<<20), r.AggregateURIs[0].MaxBytes, "10m is 10 MiB (RFC 7489 §6.2 unit multipliers)")
	assert.Equal(t, "mailto:a@example.com", r.AggregateURIs[0].URI)
	assert.Equal(t, "https", r.AggregateURIs[1].Scheme, "any valid URI can be given (RFC 9989 §4.7)")
	assert.Equal(t, "reports.example.net", r.AggregateURIs[1].Host)
	assert.Equal(t, uint64(512), r.AggregateURIs[2].MaxBytes, "a size without unit is bytes")
}

func TestParseRejectsWhatIsNotARecord(t *testing.T) {
	// RFC 9989 §4.7 tag v: not first, absent, or not exactly DMARC1: the whole
	// record is ignored.
	for _, tc := range []struct{ name, txt string }{
		{"v after another tag", "p=reject; v=DMARC1"},
		{"no v tag", "p=reject"},
		{"a lower-case version value", "v=dmarc1; p=reject"},
		{"a version with a suffix", "v=DMARC10; p=reject"},
		{"a different version", "v=DMARC2; p=reject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.txt)
			assert.ErrorIs(t, err, ErrNotDMARC)
			assert.False(t, IsDMARC(tc.txt))
		})
	}
}

const rfcZone = `
$TTL 300
; RFC 9989 §4.10.2 examples, starting at a.mail.example.com.
a.mail.ex1.test.          A 192.0.2.1
_dmarc.mail.ex1.test.     TXT "v=DMARC1; p=quarantine"
_dmarc.ex1.test.          TXT "v=DMARC1; p=reject"
a.mail.ex2.test.          A 192.0.2.1
_dmarc.mail.ex2.test.     TXT "v=DMARC1; p=quarantine; psd=n"
_dmarc.ex2.test.          TXT "v=DMARC1; p=reject"
a.mail.example.ex3.       A 192.0.2.1
_dmarc.ex3.               TXT "v=DMARC1; p=reject; psd=y"
; RFC 9989 §5.1.8: a psd=n record more than seven labels deep is never found.
mail.a.b.c.d.e.f.g.ex4.test. A 192.0.2.1
_dmarc.b.c.d.e.f.g.ex4.test. TXT "v=DMARC1; p=none; psd=n"
_dmarc.ex4.test.          TXT "v=DMARC1; p=reject; sp=quarantine"
; RFC 9989 §4.10.1: an invalid p, sp or np.
badp.test.                A 192.0.2.1
_dmarc.badp.test.         TXT "v=DMARC1; p=bogus"
badprua.test.             A 192.0.2.1
_dmarc.badprua.test.      TXT "v=DMARC1; p=bogus; sp=reject; rua=mailto:d@badprua.test"
badsp.test.               A 192.0.2.1
_dmarc.badsp.test.        TXT "v=DMARC1; p=reject; sp=bogus"
badsprua.test.            A 192.0.2.1
_dmarc.badsprua.test.     TXT "v=DMARC1; p=reject; np=bogus; rua=mailto:d@badsprua.test"
sub.badsprua.test.        A 192.0.2.2
; RFC 9989 §4.7 t: one step down, none stays none.
tq.test.                  A 192.0.2.1
_dmarc.tq.test.           TXT "v=DMARC1; p=quarantine; sp=reject; np=none; t=y"
sub.tq.test.              A 192.0.2.2
; RFC 9989 §4.7 p: the policy applies to the domain and its subdomains; sp at a
; subdomain's own record is ignored for deeper names.
sp.test.                  A 192.0.2.1
_dmarc.sp.test.           TXT "v=DMARC1; p=reject"
deep.sub.sp.test.         A 192.0.2.3
_dmarc.sub.sp.test.       TXT "v=DMARC1; p=none; sp=none"
; A PSD record applies to an existing registered name under it through sp, and to a
; name that does not exist through np.
_dmarc.psd.               TXT "v=DMARC1; p=none; sp=quarantine; np=reject; psd=y"
org.psd.                  A 192.0.2.1
; RFC 9989 §3.2.13: only NXDOMAIN makes a name non-existent (RFC 8020).
txtonly.psd.              TXT "a name with no address and no MX still exists"
x.ent.psd.                A 192.0.2.1
`

func TestDiscoverFollowsRFC9989(t *testing.T) {
	z := dnstest.Zone(t, rfcZone)
	srv := dnstest.Start(t, z)
	for _, tc := range []struct {
		name, domain string
		applies      bool
		policyDomain string
		org          string
		policy, sub  Policy
		nonexistent  Policy
	}{
		{"§4.10.2 the record with the fewest labels is the Organizational Domain", "a.mail.ex1.test", true, "ex1.test", "ex1.test", Reject, Reject, Reject},
		{"§4.10.2 psd=n makes its domain the Organizational Domain", "a.mail.ex2.test", true, "mail.ex2.test", "mail.ex2.test", Quarantine, Quarantine, Quarantine},
		{"§4.10.2 psd=y at the TLD makes the name below it the Organizational Domain", "a.mail.example.ex3", true, "ex3", "example.ex3", Reject, Reject, Reject},
		{"§5.1.8 a record past the seven-label shortcut is never found", "mail.a.b.c.d.e.f.g.ex4.test", true, "ex4.test", "ex4.test", Quarantine, Quarantine, Quarantine},
		{"§4.10.1 an invalid p without a valid rua means no DMARC processing", "badp.test", false, "", "", "", "", ""},
		{"§4.10.1 an invalid p with a valid rua acts as p=none", "badprua.test", true, "badprua.test", "badprua.test", None, None, None},
		{"§4.10.1 an invalid sp without a valid rua means no DMARC processing", "badsp.test", false, "", "", "", "", ""},
		{"§4.10.1 an invalid np with a valid rua acts as p=none for all", "sub.badsprua.test", true, "badsprua.test", "badsprua.test", None, None, None},
		{"§4.7 t=y lowers quarantine to none for the domain", "tq.test", true, "tq.test", "tq.test", None, Quarantine, None},
		{"§4.7 t=y lowers sp=reject to quarantine for a subdomain", "sub.tq.test", true, "tq.test", "tq.test", Quarantine, Quarantine, None},
		{"§4.7 a subdomain's own record gives p, and its sp is not used below it", "deep.sub.sp.test", true, "sp.test", "sp.test", Reject, Reject, Reject},
		{"§4.10.1 a PSD record gives sp to an existing name under it", "org.psd", true, "psd", "org.psd", Quarantine, Quarantine, Reject},
		{"§4.10.1 a PSD record gives np to a name that does not exist", "ghost.psd", true, "psd", "ghost.psd", Reject, Quarantine, Reject},
		{"§3.2.13 a name with only a TXT record exists and gets sp", "txtonly.psd", true, "psd", "txtonly.psd", Quarantine, Quarantine, Reject},
		{"§3.2.13 an empty non-terminal exists and gets sp", "ent.psd", true, "psd", "ent.psd", Quarantine, Quarantine, Reject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Discover(context.Background(), srv.Resolver(t), tc.domain)
			require.NoError(t, err)
			o := d.RFC9989
			require.Equal(t, tc.applies, o.Applies, o.Reason)
			if !tc.applies {
				assert.NotEmpty(t, o.Reason)
				return
			}
			assert.Equal(t, tc.policyDomain, o.PolicyDomain, "policy domain")
			assert.Equal(t, tc.org, o.OrganizationalDomain, "organizational domain")
			assert.Equal(t, tc.policy, o.Policy, "policy")
			assert.Equal(t, tc.sub, o.SubdomainPolicy, "subdomain policy")
			assert.Equal(t, tc.nonexistent, o.NonexistentPolicy, "non-existent subdomain policy")
		})
	}
}

func TestExternalReportAuthorization(t *testing.T) {
	// RFC 9990 §3 / RFC 7489 §7.1: <policy-domain>._report._dmarc.<host>, where a
	// wildcard counts and v=DMARC1 alone, without ";", is enough.
	srv := dnstest.Start(t, dnstest.Zone(t, `
$TTL 300
owner.test.                 MX 10 mx.owner.test.
mx.owner.test.              A 192.0.2.1
_dmarc.owner.test.          TXT "v=DMARC1; p=reject; rua=mailto:a@wild.example,mailto:b@exact.example,mailto:c@none.example,mailto:d@owner.test"
wild.example.               MX 10 mx.owner.test.
*._report._dmarc.wild.example. TXT "v=DMARC1"
exact.example.              MX 10 mx.owner.test.
owner.test._report._dmarc.exact.example. TXT "v=DMARC1;"
none.example.               MX 10 mx.owner.test.
other.test._report._dmarc.none.example. TXT "v=DMARC1"
`))
	res, err := Check(context.Background(), srv.Resolver(t), "owner.test")
	require.NoError(t, err)
	got := map[string]Authorization{}
	for _, d := range res.Destinations {
		got[d.URI.Address] = d.Authorization
	}
	assert.Equal(t, map[string]Authorization{
		"a@wild.example":  Authorized,
		"b@exact.example": Authorized,
		"c@none.example":  Unauthorized,
		"d@owner.test":    NotNeeded,
	}, got)
}

func TestAnIgnoredRecordIsReportedWithItsProblem(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, rfcZone))
	res, err := Check(context.Background(), srv.Resolver(t), "badp.test")
	require.NoError(t, err)
	assert.Empty(t, res.EffectivePolicy, "RFC 9989 §4.10.1: no DMARC processing")
	codes := findingCodes(res.Findings)
	assert.Contains(t, codes, "dmarc.missing")
	assert.Contains(t, codes, "dmarc.invalid-value", "the reason the record is ignored is shown")
}

func TestRFC7489ReceiversIgnoreAnInvalidNP(t *testing.T) {
	// np is not an RFC 7489 tag: an RFC 7489 receiver skips it as unknown (RFC 7489
	// §6.3) and applies p, while an RFC 9989 receiver treats the record as p=none.
	srv := dnstest.Start(t, dnstest.Zone(t, rfcZone))
	d, err := Discover(context.Background(), srv.Resolver(t), "badsprua.test")
	require.NoError(t, err)
	assert.Equal(t, None, d.RFC9989.Policy)
	require.True(t, d.RFC7489.Applies)
	assert.Equal(t, Reject, d.RFC7489.Policy)
}
