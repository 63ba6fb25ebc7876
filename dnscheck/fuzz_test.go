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
			}
		}
	})
}
