package dnscheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// NormalizeDomain never panics, and its output is a fixed point.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"example.com", "Bücher.example.", "xn--bcher-kva.example", "192.0.2.1", "[::1]",
		"a..b", "_dmarc.example.com", strings.Repeat("a", 64) + ".com", "exa\x00mple", "xn--", "ﬁ.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := NormalizeDomain(s)
		if err != nil {
			return
		}
		if len(d.ASCII) > 253 || d.ASCII == "" {
			t.Fatalf("accepted %q as %q", s, d.ASCII)
		}
		again, err := NormalizeDomain(d.ASCII)
		if err != nil {
			t.Fatalf("output %q of %q is rejected: %v", d.ASCII, s, err)
		}
		if again.ASCII != d.ASCII {
			t.Fatalf("not a fixed point: %q -> %q -> %q", s, d.ASCII, again.ASCII)
		}
	})
}

// Any bytes put on the wire in a TXT string come back unchanged from TXTStrings, through
// miekg/dns's presentation escaping.
func FuzzUnescapeTXT(f *testing.F) {
	for _, s := range []string{"plain", "tab\there", `quote"and\slash`, "\x00\xff\x80", "\\", `\\\`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 255 {
			raw = raw[:255]
		}
		// \DDD for every byte is unambiguous presentation input for exactly these bytes.
		var pres strings.Builder
		for _, b := range raw {
			fmt.Fprintf(&pres, "\\%03d", b)
		}
		rr := &dns.TXT{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{pres.String()}}
		msg := new(dns.Msg)
		msg.SetQuestion("x.", dns.TypeTXT)
		msg.Answer = []dns.RR{rr}
		wire, err := msg.Pack()
		if err != nil {
			t.Fatal(err)
		}
		back := new(dns.Msg)
		if err := back.Unpack(wire); err != nil {
			t.Fatal(err)
		}
		if got := TXTStrings(back.Answer[0].(*dns.TXT))[0]; got != string(raw) {
			t.Fatalf("wire round trip of %q: got %q", raw, got)
		}
	})
}

// ParseZone never panics, and every name it loads answers without panicking.
func FuzzParseZone(f *testing.F) {
	f.Add("example.test. 300 IN TXT \"v=spf1 -all\"\n")
	f.Add("$ORIGIN a.test.\n@ IN MX 10 mx\nmx IN A 192.0.2.1\n* IN TXT \"w\"\nc IN CNAME c\n")
	f.Add("$INCLUDE /etc/passwd\n")
	f.Add("a.test. 300 IN NSEC c.test. A RRSIG NSEC\na.test. 300 IN RRSIG NSEC 13 2 300 20300101000000 20200101000000 1 test. AAAA\na.test. 300 IN SOA ns. h. 1 2 3 4 5\n")
	f.Add("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.test. 300 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG\ntest. 300 IN SOA ns. h. 1 2 3 4 5\ntest. 1 IN RRSIG SOA 13 1 300 20300101000000 20200101000000 1 test. AAAA\n")
	f.Fuzz(func(t *testing.T, text string) {
		z, err := ParseZone(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for name := range z.names {
			for _, qt := range []uint16{dns.TypeA, dns.TypeTXT, dns.TypeMX, dns.TypeCNAME, dns.TypeANY} {
				req := new(dns.Msg)
				req.SetQuestion(name, qt)
				z.Answer(req)
				req.SetQuestion("x."+name, qt)
				z.Answer(req)
				req.SetEdns0(1232, true) // a signed zone's answers, with denial proofs
				z.Answer(req)
				req.SetQuestion(name, qt)
				z.Answer(req)
			}
		}
	})
}

// ParseTrustAnchors never panics, returns only DS and DNSKEY records, and
// SetTrustAnchors accepts whatever it returns.
func FuzzParseTrustAnchors(f *testing.F) {
	f.Add(rootAnchors)
	f.Add(". IN DS 20326 8 2 E06D44B8\n")
	f.Add("example. 1 IN DNSKEY 257 3 13 AAAA\nexample. IN A 192.0.2.1\n")
	f.Fuzz(func(t *testing.T, text string) {
		rrs, err := ParseTrustAnchors(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for _, rr := range rrs {
			if t := rr.Header().Rrtype; t != dns.TypeDS && t != dns.TypeDNSKEY {
				panic(dns.TypeToString[t])
			}
		}
		r := NewZoneResolver(&Zone{records: map[string][]dns.RR{}, names: map[string]bool{}})
		if err := r.SetTrustAnchors(rrs); err != nil {
			t.Fatal(err)
		}
	})
}

// canonicalCompare is an order: antisymmetric, and 0 only for names equal ignoring case.
func FuzzCanonicalCompare(f *testing.F) {
	f.Add("a.example.", "Z.a.example.")
	f.Add("\\200.example.", "*.example.")
	f.Add("yljkjljk.a.example.", "example.")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := canonicalCompare(a, b), canonicalCompare(b, a)
		if (ab < 0) != (ba > 0) || (ab == 0) != (ba == 0) {
			t.Fatalf("compare(%q, %q) = %d but compare(b, a) = %d", a, b, ab, ba)
		}
		if canonicalCompare(a, a) != 0 {
			t.Fatalf("compare(%q, itself) != 0", a)
		}
	})
}
