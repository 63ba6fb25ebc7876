package dnstest

import (
	"crypto"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/miekg/dns"
)

// SignedZone is a zone that a test (or an Example) builds and signs itself with miekg/dns: one
// key (flags 257, a combined signing key) signs every authoritative RRset, and an NSEC
// or NSEC3 chain (built here, RFC 4034 §4 and RFC 5155 §7.1) proves what is absent.
// Tests chain zones with Delegate and trust the top one through its DS.
type SignedZone struct {
	Name string
	Key  *dns.DNSKEY
	priv crypto.Signer
	rrs  []dns.RR

	// NSEC3 selects an NSEC3 chain (SHA-1, no salt, 0 iterations: RFC 9276) instead
	// of NSEC; OptOut sets the opt-out flag and leaves unsigned delegations out.
	NSEC3, OptOut bool
	// Inception and Expiration bound the signatures (default: an hour ago, a week on).
	Inception, Expiration time.Time
}

// NewSignedZone returns a zone named name with an SOA, an NS and a fresh key of
// algorithm alg (dns.RSASHA256, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519).
// Like the other builders here it panics on a mistake in the test's own data.
func NewSignedZone(name string, alg uint8) *SignedZone {
	name = strings.ToLower(dns.Fqdn(name))
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: alg}
	bits := map[uint8]int{dns.RSASHA256: 1024, dns.RSASHA512: 1024, dns.ECDSAP256SHA256: 256, dns.ECDSAP384SHA384: 384, dns.ED25519: 256}[alg]
	priv, err := k.Generate(bits)
	if err != nil {
		panic(fmt.Sprintf("dnstest: key for %s: %v", name, err))
	}
	z := &SignedZone{Name: name, Key: k, priv: priv.(crypto.Signer),
		Inception: time.Now().Add(-time.Hour), Expiration: time.Now().Add(7 * 24 * time.Hour)}
	ns := "ns1." + name
	if name == "." {
		ns = "ns1.root-servers.test."
	}
	z.Add(name+" 3600 IN SOA "+ns+" hostmaster."+strings.TrimPrefix(name, ".")+" 1 7200 3600 1209600 300",
		name+" 3600 IN NS "+ns)
	z.rrs = append(z.rrs, k)
	return z
}

// Add adds records in master-file form (absolute names).
func (z *SignedZone) Add(lines ...string) {
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			panic(fmt.Sprintf("dnstest: %q: %v", l, err))
		}
		rr.Header().Name = strings.ToLower(rr.Header().Name)
		z.rrs = append(z.rrs, rr)
	}
}

// DS returns the DS record (SHA-256) for the zone's key.
func (z *SignedZone) DS() *dns.DS { return z.Key.ToDS(dns.SHA256) }

// Delegate adds child's delegation (NS) and its DS records: child's own DS unless
// others are given (a wrong DS, an unsupported algorithm).
func (z *SignedZone) Delegate(child string, ds ...*dns.DS) {
	child = strings.ToLower(dns.Fqdn(child))
	z.Add(child + " 3600 IN NS ns1." + child)
	for _, d := range ds {
		d := dns.Copy(d).(*dns.DS)
		d.Hdr = dns.RR_Header{Name: child, Rrtype: dns.TypeDS, Class: dns.ClassINET, Ttl: 3600}
		z.rrs = append(z.rrs, d)
	}
}

// Sign returns the zone's records with the NSEC or NSEC3 chain and every RRSIG.
func (z *SignedZone) Sign() []dns.RR {
	type set struct {
		name  string
		qtype uint16
	}
	sets := map[set][]dns.RR{}
	types := map[string][]uint16{}
	cuts := map[string]bool{}
	for _, rr := range z.rrs {
		h := rr.Header()
		if h.Rrtype == dns.TypeNS && h.Name != z.Name {
			cuts[h.Name] = true
		}
	}
	below := func(n string) bool { // under a cut: glue, not this zone's data
		for c := range cuts {
			if n != c && dns.IsSubDomain(c, n) {
				return true
			}
		}
		return false
	}
	for _, rr := range z.rrs {
		h := rr.Header()
		if below(h.Name) {
			continue
		}
		k := set{h.Name, h.Rrtype}
		if len(sets[k]) == 0 {
			types[h.Name] = append(types[h.Name], h.Rrtype)
		}
		sets[k] = append(sets[k], rr)
	}
	var out []dns.RR
	for _, rr := range z.rrs {
		out = append(out, rr) // glue too: the zone file serves it
	}
	signed := func(name string, t uint16) bool { return !cuts[name] || t == dns.TypeDS || t == dns.TypeNSEC }
	hasSigned := func(name string) bool {
		for _, t := range types[name] {
			if signed(name, t) {
				return true
			}
		}
		return false
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	var chain []dns.RR
	if !z.NSEC3 {
		slices.SortFunc(names, canonicalCompare)
		for i, n := range names {
			bm := append([]uint16{dns.TypeNSEC, dns.TypeRRSIG}, types[n]...)
			slices.Sort(bm)
			chain = append(chain, &dns.NSEC{Hdr: dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
				NextDomain: names[(i+1)%len(names)], TypeBitMap: slices.Compact(bm)})
		}
	} else {
		// Empty non-terminals get an NSEC3 of their own (RFC 5155 §7.1).
		all := map[string]bool{}
		for _, n := range names {
			if z.OptOut && cuts[n] && len(sets[set{n, dns.TypeDS}]) == 0 {
				continue
			}
			for a := n; dns.IsSubDomain(z.Name, a); a = parent(a) {
				all[a] = true
				if a == z.Name {
					break
				}
			}
		}
		type h3 struct{ hash, name string }
		var hs []h3
		for n := range all {
			hs = append(hs, h3{dns.HashName(n, dns.SHA1, 0, ""), n})
		}
		slices.SortFunc(hs, func(a, b h3) int { return strings.Compare(a.hash, b.hash) })
		flags := uint8(0)
		if z.OptOut {
			flags = 1
		}
		for i, h := range hs {
			bm := slices.Clone(types[h.name])
			if hasSigned(h.name) {
				bm = append(bm, dns.TypeRRSIG)
			}
			if h.name == z.Name {
				bm = append(bm, dns.TypeNSEC3PARAM)
			}
			slices.Sort(bm)
			chain = append(chain, &dns.NSEC3{Hdr: dns.RR_Header{Name: strings.ToLower(h.hash) + "." + z.Name, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 300},
				Hash: dns.SHA1, Flags: flags, Iterations: 0, SaltLength: 0, Salt: "",
				HashLength: 20, NextDomain: hs[(i+1)%len(hs)].hash, TypeBitMap: bm})
		}
		param := &dns.NSEC3PARAM{Hdr: dns.RR_Header{Name: z.Name, Rrtype: dns.TypeNSEC3PARAM, Class: dns.ClassINET, Ttl: 300}, Hash: dns.SHA1}
		out = append(out, param)
		sets[set{z.Name, dns.TypeNSEC3PARAM}] = []dns.RR{param}
	}
	for _, rr := range chain {
		out = append(out, rr)
		sets[set{rr.Header().Name, rr.Header().Rrtype}] = []dns.RR{rr}
	}
	for k, rrset := range sets {
		if !signed(k.name, k.qtype) {
			continue
		}
		out = append(out, z.SignRRset(rrset))
	}
	return out
}

// SignRRset signs one RRset with the zone's key and validity period.
func (z *SignedZone) SignRRset(rrset []dns.RR) *dns.RRSIG {
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: rrset[0].Header().Ttl}, Algorithm: z.Key.Algorithm, KeyTag: z.Key.KeyTag(),
		SignerName: z.Name, Inception: uint32(z.Inception.Unix()), Expiration: uint32(z.Expiration.Unix())}
	if err := sig.Sign(z.priv, rrset); err != nil {
		panic(fmt.Sprintf("dnstest: signing %s %s: %v", rrset[0].Header().Name, dns.TypeToString[rrset[0].Header().Rrtype], err))
	}
	return sig
}

// SignedZones puts the records of signed zones (and any others) into one Zone, to serve.
func SignedZones(rrsets ...[]dns.RR) *dnscheck.Zone {
	z, _ := dnscheck.ParseZone(strings.NewReader(""), "signed")
	seen := map[string]bool{} // a zone cut's NS comes from the parent and the child
	for _, rrs := range rrsets {
		for _, rr := range rrs {
			if s := strings.ToLower(rr.String()); !seen[s] {
				seen[s] = true
				z.Add(dns.Copy(rr))
			}
		}
	}
	return z
}

func parent(n string) string {
	off, end := dns.NextLabel(n, 0)
	if end {
		return "."
	}
	return n[off:]
}

// canonicalCompare is RFC 4034 §6.1 order for the plain lower-case names tests use.
func canonicalCompare(a, b string) int {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(strings.ToLower(la[i]), strings.ToLower(lb[j])); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}
