package dnscheck

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// ApplyFixRecords returns a copy of the zone with the changes applied in order: the
// round-trip proof that a fix does what it says (publish it, re-run the check, and the
// finding is gone). It fails when a replace or delete names a record the zone does not
// hold, since such a fix could not be followed by the domain's owner either.
func (z *Zone) ApplyFixRecords(changes []finding.FixRecord) (*Zone, error) {
	out := &Zone{records: map[string][]dns.RR{}, names: map[string]bool{".": true}}
	for _, rrs := range z.records {
		for _, rr := range rrs {
			out.Add(dns.Copy(rr))
		}
	}
	for _, c := range changes {
		name := dns.Fqdn(strings.ToLower(c.Name))
		qtype, ok := dns.StringToType[strings.ToUpper(c.Type)]
		if !ok {
			return nil, fmt.Errorf("dnscheck: fix record %s: unknown type %q", c.Name, c.Type)
		}
		if c.Action == finding.Replace || c.Action == finding.Delete {
			if !out.remove(name, qtype, c.Replaces) {
				return nil, fmt.Errorf("dnscheck: fix record %s %s: no record %q to %s", c.Name, c.Type, c.Replaces, c.Action)
			}
		}
		if c.Action == finding.Publish || c.Action == finding.Replace {
			rr, err := fixRR(name, qtype, c.Value)
			if err != nil {
				return nil, err
			}
			out.Add(rr)
		}
	}
	return out, nil
}

// remove deletes the record of the type at name whose value is value.
func (z *Zone) remove(name string, qtype uint16, value string) bool {
	rrs := z.records[name]
	for i, rr := range rrs {
		if rr.Header().Rrtype == qtype && rrValue(rr) == value {
			z.records[name] = append(rrs[:i:i], rrs[i+1:]...)
			return true
		}
	}
	return false
}

// rrValue is a record's value as FixRecord writes it: TXT (and the retired SPF type,
// RFC 7208 §3.1, which has TXT's form) as its text joined, others in presentation form
// without the owner, TTL and class.
func rrValue(rr dns.RR) string {
	switch t := rr.(type) {
	case *dns.TXT:
		return strings.Join(TXTStrings(t), "")
	case *dns.SPF:
		return strings.Join(TXTStrings(&dns.TXT{Txt: t.Txt}), "")
	}
	hdr := rr.Header().String()
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), hdr))
}

// fixRR builds the record a FixRecord publishes. TXT values are split into strings of
// at most 255 octets (RFC 1035 §3.3.14), as a DNS host's panel does.
func fixRR(name string, qtype uint16, value string) (dns.RR, error) {
	hdr := dns.RR_Header{Name: name, Rrtype: qtype, Class: dns.ClassINET, Ttl: 3600}
	if qtype == dns.TypeTXT {
		t := &dns.TXT{Hdr: hdr}
		for len(value) > 255 {
			t.Txt = append(t.Txt, escapeTXT(value[:255]))
			value = value[255:]
		}
		t.Txt = append(t.Txt, escapeTXT(value))
		return t, nil
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s 3600 IN %s %s", name, dns.TypeToString[qtype], value))
	if err != nil {
		return nil, fmt.Errorf("dnscheck: fix record %s %s %q: %w", name, dns.TypeToString[qtype], value, err)
	}
	return rr, nil
}

// escapeTXT writes s in miekg/dns's TXT string form, the inverse of unescapeTXT.
func escapeTXT(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < ' ' || c > '~':
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
