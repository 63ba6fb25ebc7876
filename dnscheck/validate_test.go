package dnscheck_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signedTree is a small signed DNS tree served over loopback, with its own root:
//
//	.            ED25519, NSEC     the trust anchor (its DS)
//	com.         RSASHA256, NSEC
//	example.com. ECDSAP256, NSEC   secure
//	nsec3.com.   ECDSAP384, NSEC3  secure
//	unsigned.com.                  delegated without DS: insecure
//	expired.com. ED25519           signatures expired: bogus
//	wrongds.com. ECDSAP256         the DS at com is another key's: bogus
//	oldalg.com., sha1.com.         DS with algorithms 1 and 7: insecure
//	org.         ECDSAP256, NSEC3  delegates unsigned.org without DS
type signedTree struct {
	srv     *dnstest.Server
	anchors []dns.RR
	records map[string][]dns.RR // by zone, after signing
}

func buildTree(t testing.TB, edit func(zone string, rrs []dns.RR) []dns.RR) *signedTree {
	t.Helper()
	root := dnstest.NewSignedZone(".", dns.ED25519)
	com := dnstest.NewSignedZone("com.", dns.RSASHA256)
	org := dnstest.NewSignedZone("org.", dns.ECDSAP256SHA256)
	org.NSEC3 = true
	example := dnstest.NewSignedZone("example.com.", dns.ECDSAP256SHA256)
	example.Add("example.com. 3600 IN MX 10 mail.example.com.",
		"example.com. 3600 IN TXT \"v=spf1 mx -all\"",
		"mail.example.com. 3600 IN A 192.0.2.25",
		"a.b.example.com. 3600 IN A 192.0.2.26", // b.example.com is an empty non-terminal
		"alias.example.com. 3600 IN CNAME mail.example.com.")
	n3 := dnstest.NewSignedZone("nsec3.com.", dns.ECDSAP384SHA384)
	n3.NSEC3 = true
	n3.Add("nsec3.com. 3600 IN MX 10 mx.nsec3.com.", "mx.nsec3.com. 3600 IN A 192.0.2.27")
	expired := dnstest.NewSignedZone("expired.com.", dns.ED25519)
	expired.Inception, expired.Expiration = time.Now().Add(-30*24*time.Hour), time.Now().Add(-24*time.Hour)
	expired.Add("expired.com. 3600 IN MX 10 mx.expired.com.")
	wrong := dnstest.NewSignedZone("wrongds.com.", dns.ECDSAP256SHA256)
	other := dnstest.NewSignedZone("wrongds.com.", dns.ECDSAP256SHA256)

	root.Delegate("com.", com.DS())
	root.Delegate("org.", org.DS())
	com.Delegate("example.com.", example.DS())
	com.Delegate("nsec3.com.", n3.DS())
	com.Delegate("expired.com.", expired.DS())
	com.Delegate("wrongds.com.", other.DS())
	com.Delegate("unsigned.com.")
	oldDS := example.DS()
	oldDS.Algorithm = dns.RSAMD5
	com.Delegate("oldalg.com.", oldDS)
	sha1DS := example.DS()
	sha1DS.Algorithm = dns.RSASHA1NSEC3SHA1
	com.Delegate("sha1.com.", sha1DS)
	org.Delegate("unsigned.org.")

	tree := &signedTree{anchors: []dns.RR{root.DS()}, records: map[string][]dns.RR{}}
	var all [][]dns.RR
	for _, z := range []*dnstest.SignedZone{root, com, org, example, n3, expired, wrong} {
		rrs := z.Sign()
		if edit != nil {
			rrs = edit(z.Name, rrs)
		}
		tree.records[z.Name] = rrs
		all = append(all, rrs)
	}
	unsigned := dnstest.Zone(t, `
unsigned.com. 3600 IN SOA ns1.unsigned.com. h.unsigned.com. 1 7200 3600 1209600 300
unsigned.com. 3600 IN MX 10 mx.unsigned.com.
unsigned.org. 3600 IN SOA ns1.unsigned.org. h.unsigned.org. 1 7200 3600 1209600 300
unsigned.org. 3600 IN MX 10 mx.unsigned.org.
oldalg.com. 3600 IN MX 10 mx.oldalg.com.
sha1.com. 3600 IN MX 10 mx.sha1.com.
`)
	z := dnstest.SignedZones(all...)
	for _, name := range []string{"unsigned.com.", "unsigned.org.", "oldalg.com.", "sha1.com."} {
		for _, qt := range []uint16{dns.TypeSOA, dns.TypeMX} {
			req := new(dns.Msg)
			req.SetQuestion(name, qt)
			for _, rr := range unsigned.Answer(req).Answer {
				z.Add(rr)
			}
		}
	}
	tree.srv = dnstest.Start(t, z)
	return tree
}

func (tr *signedTree) resolver(t testing.TB) *dnscheck.Resolver {
	t.Helper()
	r := tr.srv.Resolver(t)
	require.NoError(t, r.SetTrustAnchors(tr.anchors))
	return r
}

func TestValidate(t *testing.T) {
	tree := buildTree(t, nil)
	cases := []struct {
		name   string
		qname  string
		qtype  uint16
		state  dnscheck.ValidationState
		reason string
	}{
		{"a signed MX chains to the anchor through two zone cuts", "example.com", dns.TypeMX, dnscheck.Secure, "signed by example.com."},
		{"a signed SOA is secure", "example.com", dns.TypeSOA, dnscheck.Secure, "SOA records of example.com."},
		{"a name below the apex is secure", "mail.example.com", dns.TypeA, dnscheck.Secure, "signed by example.com."},
		{"a CNAME is followed and both links checked", "alias.example.com", dns.TypeA, dnscheck.Secure, "A records of mail.example.com."},
		{"an NXDOMAIN is proved by NSEC", "nope.example.com", dns.TypeTXT, dnscheck.Secure, "does not exist: proved by signed NSEC records of example.com."},
		{"a NODATA is proved by NSEC", "mail.example.com", dns.TypeTXT, dnscheck.Secure, "has no TXT record: proved by signed NSEC"},
		{"an empty non-terminal is proved by the NSEC that covers it", "b.example.com", dns.TypeTXT, dnscheck.Secure, "has no TXT record"},
		{"an NSEC3 zone's answer is secure", "nsec3.com", dns.TypeMX, dnscheck.Secure, "signed by nsec3.com."},
		{"an NXDOMAIN is proved by NSEC3", "nope.nsec3.com", dns.TypeA, dnscheck.Secure, "does not exist: proved by signed NSEC3 records of nsec3.com."},
		{"a NODATA is proved by NSEC3", "nsec3.com", dns.TypeTXT, dnscheck.Secure, "proved by signed NSEC3"},
		{"a delegation without DS proved by NSEC is insecure", "unsigned.com", dns.TypeMX, dnscheck.Insecure, "unsigned.com. is delegated from com. without a DS record: a signed proof (NSEC)"},
		{"a delegation without DS proved by NSEC3 is insecure", "unsigned.org", dns.TypeMX, dnscheck.Insecure, "a signed proof (NSEC3)"},
		{"expired signatures are bogus", "expired.com", dns.TypeMX, dnscheck.Bogus, "expired on"},
		{"a DS matching no key is bogus", "wrongds.com", dns.TypeMX, dnscheck.Bogus, "no DNSKEY of wrongds.com. matches the DS at com."},
		{"a DS with algorithm 1 only is insecure", "oldalg.com", dns.TypeMX, dnscheck.Insecure, "algorithm 1 (RSAMD5), which validators must not use"},
		{"a DS with algorithm 7 only is insecure", "sha1.com", dns.TypeMX, dnscheck.Insecure, "algorithm 7 (RSASHA1-NSEC3-SHA1), deprecated"},
		{"a TLD's own DS is checked in the root", "com", dns.TypeDS, dnscheck.Secure, "DS records of com."},
	}
	r := tree.resolver(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := r.Validate(context.Background(), c.qname, c.qtype)
			assert.Equal(t, c.state, v.State, v.Reason)
			assert.Contains(t, v.Reason, c.reason)
		})
	}
}

func TestValidateBrokenProofs(t *testing.T) {
	// Drop every NSEC3 record that covers the next closer name of nope.nsec3.com,
	// as a server with a broken chain would.
	tree := buildTree(t, func(zone string, rrs []dns.RR) []dns.RR {
		if zone != "nsec3.com." {
			return rrs
		}
		var out []dns.RR
		for _, rr := range rrs {
			if n, ok := rr.(*dns.NSEC3); ok && n.Cover("nope.nsec3.com.") {
				continue
			}
			out = append(out, rr)
		}
		return out
	})
	r := tree.resolver(t)
	v := r.Validate(context.Background(), "nope.nsec3.com", dns.TypeA)
	assert.Equal(t, dnscheck.Bogus, v.State, v.Reason)
	assert.Contains(t, v.Reason, "nope.nsec3.com. does not exist (NXDOMAIN), but the proof of it is broken: no NSEC3 record")

	t.Run("a NODATA whose NSEC lists the asked type is bogus", func(t *testing.T) {
		tree := buildTree(t, func(zone string, rrs []dns.RR) []dns.RR {
			if zone != "example.com." {
				return rrs
			}
			var out []dns.RR
			for _, rr := range rrs {
				if rr.Header().Rrtype == dns.TypeTXT { // the NSEC still says TXT is there
					continue
				}
				out = append(out, rr)
			}
			return out
		})
		v := tree.resolver(t).Validate(context.Background(), "example.com", dns.TypeTXT)
		assert.Equal(t, dnscheck.Bogus, v.State, v.Reason)
		assert.Contains(t, v.Reason, "the NSEC record at example.com. lists TXT")
	})
}

func TestValidateIndeterminate(t *testing.T) {
	tree := buildTree(t, nil)
	tree.srv.SetFault("example.com", dns.TypeDNSKEY, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	v := tree.resolver(t).Validate(context.Background(), "example.com", dns.TypeMX)
	assert.Equal(t, dnscheck.Indeterminate, v.State, v.Reason)
	assert.Contains(t, v.Reason, "example.com. DNSKEY was answered SERVFAIL")

	t.Run("without an anchor that covers the name", func(t *testing.T) {
		r := tree.srv.Resolver(t)
		require.NoError(t, r.SetTrustAnchors([]dns.RR{tree.anchors[0]}))
		ds := dns.Copy(tree.anchors[0]).(*dns.DS)
		ds.Hdr.Name = "net."
		require.NoError(t, r.SetTrustAnchors([]dns.RR{ds}))
		v := r.Validate(context.Background(), "example.com", dns.TypeMX)
		assert.Equal(t, dnscheck.Indeterminate, v.State)
		assert.Equal(t, "no trust anchor covers example.com.", v.Reason)
	})
}

func TestValidateQueriesEachZoneOnce(t *testing.T) {
	tree := buildTree(t, nil)
	r := tree.resolver(t)
	for _, qt := range []uint16{dns.TypeSOA, dns.TypeMX, dns.TypeTXT} {
		v := r.Validate(context.Background(), "example.com", qt)
		require.Equal(t, dnscheck.Secure, v.State, v.Reason)
	}
	for _, q := range []struct{ name, qtype string }{{".", "DNSKEY"}, {"com", "DS"}, {"com", "DNSKEY"}, {"example.com", "DS"}, {"example.com", "DNSKEY"}} {
		assert.Equal(t, 1, tree.srv.Count(q.name, q.qtype), "%s %s", q.name, q.qtype)
	}
}

func TestRootTrustAnchor(t *testing.T) {
	var ds *dns.DS
	var key *dns.DNSKEY
	dss := map[uint16]*dns.DS{}
	for _, rr := range dnscheck.RootTrustAnchors() {
		switch rr := rr.(type) {
		case *dns.DS:
			dss[rr.KeyTag] = rr
		case *dns.DNSKEY:
			key = rr
		}
	}
	require.NotNil(t, key)
	require.Len(t, dss, 2, "KSK-2017 and KSK-2024: the root rolled to KSK-2024 on 2026-10-11")
	require.Contains(t, dss, uint16(38696))
	assert.Equal(t, uint8(dns.RSASHA256), dss[38696].Algorithm)
	ds = dss[20326]
	require.NotNil(t, ds)
	assert.Equal(t, uint16(20326), key.KeyTag(), "the published key has the published tag")
	assert.Equal(t, uint8(dns.RSASHA256), ds.Algorithm)
	assert.Equal(t, uint16(257), key.Flags)
	assert.True(t, strings.EqualFold(ds.Digest, key.ToDS(dns.SHA256).Digest), "the published DS digests the published key")
}

func TestParseTrustAnchors(t *testing.T) {
	rrs, err := dnscheck.ParseTrustAnchors(strings.NewReader(". 3600 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"), "anchor")
	require.NoError(t, err)
	require.Len(t, rrs, 1)

	_, err = dnscheck.ParseTrustAnchors(strings.NewReader("example.com. 3600 IN A 192.0.2.1\n"), "anchor")
	require.ErrorIs(t, err, dnscheck.ErrTrustAnchor)
	assert.Contains(t, err.Error(), "A record for example.com.: want DS or DNSKEY")

	_, err = dnscheck.ParseTrustAnchors(strings.NewReader("; nothing\n"), "anchor")
	require.ErrorIs(t, err, dnscheck.ErrTrustAnchor)
}

// A zone file that holds signed zones validates offline, from the anchor given.
func ExampleResolver_Validate() {
	root := dnstest.NewSignedZone(".", dns.ED25519)
	example := dnstest.NewSignedZone("example.", dns.ECDSAP256SHA256)
	example.Add("example. 3600 IN MX 10 mail.example.")
	root.Delegate("example.", example.DS())
	root.Delegate("unsigned.") // no DS: the NSEC of the root proves it

	r := dnscheck.NewZoneResolver(dnstest.SignedZones(root.Sign(), example.Sign()))
	if err := r.SetTrustAnchors([]dns.RR{root.DS()}); err != nil {
		panic(err)
	}
	ctx := context.Background()
	fmt.Println(r.Validate(ctx, "example.", dns.TypeMX).State)
	fmt.Println(r.Validate(ctx, "nowhere.example.", dns.TypeMX).State)
	v := r.Validate(ctx, "unsigned.", dns.TypeMX)
	fmt.Println(v.State, "-", v.Reason)
	// Output:
	// secure
	// secure
	// insecure - unsigned. is delegated from . without a DS record: a signed proof (NSEC) shows it has no DS, so its answers are unsigned
}

func TestValidateTamperedRecord(t *testing.T) {
	tree := buildTree(t, func(zone string, rrs []dns.RR) []dns.RR {
		for _, rr := range rrs {
			if mx, ok := rr.(*dns.MX); ok && zone == "example.com." {
				mx.Preference = 20 // changed after signing
			}
		}
		return rrs
	})
	v := tree.resolver(t).Validate(context.Background(), "example.com", dns.TypeMX)
	assert.Equal(t, dnscheck.Bogus, v.State, v.Reason)
	assert.Contains(t, v.Reason, "does not verify")
}

func TestValidateThroughAnUpstreamWithoutDNSSEC(t *testing.T) {
	srv := dnstest.Start(t, dnstest.Zone(t, "example.com. 3600 IN MX 10 mx.example.com.\n"))
	v := srv.Resolver(t).Validate(context.Background(), "example.com", dns.TypeMX)
	assert.Equal(t, dnscheck.Indeterminate, v.State)
	assert.True(t, v.NoDNSSEC, "no root DNSKEY: the path strips DNSSEC, nothing is judged")
	assert.Contains(t, v.Reason, "returned no DNSKEY for .")
}

// After a root key rollover the anchors name two keys and the root signs its key set
// with only one of them (KSK-2024 since 2026-10-11): the chain must start from the
// one that signed, whichever comes first.
func TestAnAnchorForARetiredKeyBesideTheSigningOneStillValidates(t *testing.T) {
	tree := buildTree(t, nil)
	retired := dnstest.NewSignedZone(".", dns.RSASHA256) // a root key that signs nothing now
	r := tree.srv.Resolver(t)
	require.NoError(t, r.SetTrustAnchors([]dns.RR{retired.DS(), tree.anchors[0]}))
	v := r.Validate(context.Background(), "example.com", dns.TypeMX)
	assert.Equal(t, dnscheck.Secure, v.State, v.Reason)

	only := tree.srv.Resolver(t)
	require.NoError(t, only.SetTrustAnchors([]dns.RR{retired.DS()}))
	v = only.Validate(context.Background(), "example.com", dns.TypeMX)
	assert.Equal(t, dnscheck.Bogus, v.State, "an anchor that matches no signing key proves nothing: %s", v.Reason)
}
