package dnscheck

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Authenticated denial of existence: NSEC (RFC 4035 §5.4, RFC 7129) and NSEC3
// (RFC 5155 §8). Every NSEC or NSEC3 record used is first verified with the zone's keys.

// denialRecords returns the authority section's NSEC and NSEC3 records of zone, each
// verified with keys.
func (r *Resolver) denialRecords(ans *Answer, zone string, keys []*dns.DNSKEY) ([]*dns.NSEC, []*dns.NSEC3, error) {
	var nsecs []*dns.NSEC
	var nsec3s []*dns.NSEC3
	for _, rr := range ans.Authority {
		h := rr.Header()
		if h.Rrtype != dns.TypeNSEC && h.Rrtype != dns.TypeNSEC3 || !dns.IsSubDomain(zone, strings.ToLower(h.Name)) {
			continue
		}
		if err := r.verifyRRset([]dns.RR{rr}, ans.Authority, zone, keys); err != nil {
			return nil, nil, &denialError{msg: fmt.Sprintf("the %s record at %s: %v", dns.TypeToString[h.Rrtype], h.Name, err)}
		}
		switch rr := rr.(type) {
		case *dns.NSEC:
			nsecs = append(nsecs, rr)
		case *dns.NSEC3:
			if rr.Hash != dns.SHA1 {
				return nil, nil, &denialError{msg: fmt.Sprintf("the NSEC3 record at %s uses hash algorithm %d, which is not defined", rr.Hdr.Name, rr.Hash)}
			}
			if rr.Iterations > maxNSEC3Iterations {
				// RFC 9276 §3.2: a validator may treat such a proof as insecure.
				return nil, nil, &denialError{insecure: true, msg: fmt.Sprintf("the NSEC3 records of %s use %d iterations, more than %d (RFC 9276 §3.2)", zone, rr.Iterations, maxNSEC3Iterations)}
			}
			nsec3s = append(nsec3s, rr)
		}
	}
	if len(nsecs) == 0 && len(nsec3s) == 0 {
		return nil, nil, &denialError{msg: fmt.Sprintf("the answer holds no signed NSEC or NSEC3 record of %s", zone)}
	}
	return nsecs, nsec3s, nil
}

// proveNoData proves that name exists without a qtype record. For DS, cut reports a
// delegation (NS without SOA in the bitmap) and optOut an NSEC3 opt-out span: both
// mean an unsigned child.
func (r *Resolver) proveNoData(ans *Answer, name string, qtype uint16, zone string, keys []*dns.DNSKEY) (cut, optOut bool, err error) {
	nsecs, nsec3s, err := r.denialRecords(ans, zone, keys)
	if err != nil {
		return false, false, err
	}
	tname := dns.TypeToString[qtype]
	bitmapSays := func(kind string, bm []uint16) (bool, error) {
		switch {
		case slices.Contains(bm, qtype):
			return false, &denialError{msg: fmt.Sprintf("the %s record at %s lists %s, which the answer lacks", kind, name, tname)}
		case slices.Contains(bm, dns.TypeCNAME):
			return false, &denialError{msg: fmt.Sprintf("the %s record at %s lists a CNAME, which the answer lacks", kind, name)}
		case qtype == dns.TypeDS && name != zone && slices.Contains(bm, dns.TypeSOA):
			return false, &denialError{msg: fmt.Sprintf("the %s record at %s is the child zone's (it lists SOA), not %s's", kind, name, zone)}
		}
		return qtype == dns.TypeDS && slices.Contains(bm, dns.TypeNS), nil
	}
	for _, n := range nsecs {
		if strings.EqualFold(n.Hdr.Name, name) {
			cut, err := bitmapSays("NSEC", n.TypeBitMap)
			return cut, false, err
		}
	}
	for _, n := range nsecs {
		// RFC 4035 §3.1.3.2 and RFC 7129 §3.2: an empty non-terminal has no NSEC of its
		// own; the NSEC that covers it points to a name below it.
		if nsecCovers(n, name) && dns.IsSubDomain(name, strings.ToLower(n.NextDomain)) {
			return false, false, nil
		}
	}
	if len(nsecs) > 0 {
		return false, false, &denialError{msg: fmt.Sprintf("no NSEC record at %s shows which types it has", name)}
	}
	for _, n := range nsec3s {
		if n.Match(name) {
			cut, err := bitmapSays("NSEC3", n.TypeBitMap)
			return cut, false, err
		}
	}
	if qtype == dns.TypeDS {
		// RFC 5155 §8.6: no matching NSEC3 for a DS question is fine only when the
		// next closer name is covered by an opt-out NSEC3.
		_, _, cover, err := closestEncloser(name, nsec3s, zone)
		if err != nil {
			return false, false, err
		}
		if cover.Flags&1 == 1 {
			return false, true, nil
		}
		return false, false, &denialError{msg: fmt.Sprintf("no NSEC3 record matches %s, and the one covering it is not opt-out", name)}
	}
	return false, false, &denialError{msg: fmt.Sprintf("no NSEC3 record matches %s (hash %s)", name, dns.HashName(name, nsec3s[0].Hash, nsec3s[0].Iterations, nsec3s[0].Salt))}
}

// proveNXDOMAIN proves that name does not exist, nor a wildcard that would cover it.
func (r *Resolver) proveNXDOMAIN(ans *Answer, name, zone string, keys []*dns.DNSKEY) error {
	nsecs, nsec3s, err := r.denialRecords(ans, zone, keys)
	if err != nil {
		return err
	}
	if len(nsecs) > 0 {
		// RFC 4035 §5.4: an NSEC covers the name, and one covers the wildcard at the
		// closest encloser.
		var cover *dns.NSEC
		for _, n := range nsecs {
			if strings.EqualFold(n.Hdr.Name, name) {
				return &denialError{msg: fmt.Sprintf("the NSEC record at %s says the name exists", name)}
			}
			if nsecCovers(n, name) {
				cover = n
			}
		}
		if cover == nil {
			return &denialError{msg: fmt.Sprintf("no NSEC record covers %s", name)}
		}
		ce := name
		for ce != zone && !dns.IsSubDomain(ce, strings.ToLower(cover.Hdr.Name)) && !dns.IsSubDomain(ce, strings.ToLower(cover.NextDomain)) {
			ce = parentName(ce)
		}
		wild := "*." + ce
		for _, n := range nsecs {
			if strings.EqualFold(n.Hdr.Name, wild) {
				return &denialError{msg: fmt.Sprintf("the wildcard %s exists, so %s should have been answered from it", wild, name)}
			}
		}
		for _, n := range nsecs {
			if nsecCovers(n, wild) {
				return nil
			}
		}
		return &denialError{msg: fmt.Sprintf("no NSEC record proves that the wildcard %s does not exist", wild)}
	}
	// RFC 5155 §8.4: the closest encloser proof, and an NSEC3 covering its wildcard.
	for _, n := range nsec3s {
		if n.Match(name) {
			return &denialError{msg: fmt.Sprintf("the NSEC3 record at %s matches %s: the name exists", n.Hdr.Name, name)}
		}
	}
	ce, _, _, err := closestEncloser(name, nsec3s, zone)
	if err != nil {
		return err
	}
	wild := "*." + ce
	for _, n := range nsec3s {
		if n.Cover(wild) {
			return nil
		}
	}
	return &denialError{msg: fmt.Sprintf("no NSEC3 record proves that the wildcard %s does not exist", wild)}
}

// proveWildcardAnswer proves that name, answered from a wildcard whose RRSIG has
// labels labels, does not exist itself (RFC 4035 §5.3.4, RFC 5155 §8.8).
func (r *Resolver) proveWildcardAnswer(ans *Answer, name string, labels uint8, zone string, keys []*dns.DNSKEY) error {
	nsecs, nsec3s, err := r.denialRecords(ans, zone, keys)
	if err != nil {
		return err
	}
	for _, n := range nsecs {
		if nsecCovers(n, name) {
			return nil
		}
	}
	// The next closer name has one label more than the wildcard's closest encloser.
	nc := name
	for dns.CountLabel(nc) > int(labels)+1 {
		nc = parentName(nc)
	}
	for _, n := range nsec3s {
		if n.Cover(nc) {
			return nil
		}
	}
	return &denialError{msg: fmt.Sprintf("no NSEC or NSEC3 record covers %s", nc)}
}

// closestEncloser finds the closest encloser proof of RFC 5155 §7.2.1: an NSEC3
// matching an ancestor of name, and one covering the next closer name below it.
func closestEncloser(name string, nsec3s []*dns.NSEC3, zone string) (ce, nc string, cover *dns.NSEC3, err error) {
	prev := ""
	for n := name; dns.IsSubDomain(zone, n); n = parentName(n) {
		for _, m := range nsec3s {
			if !m.Match(n) {
				continue
			}
			if prev == "" {
				return "", "", nil, &denialError{msg: fmt.Sprintf("an NSEC3 record matches %s itself", name)}
			}
			for _, c := range nsec3s {
				if c.Cover(prev) {
					return n, prev, c, nil
				}
			}
			return "", "", nil, &denialError{msg: fmt.Sprintf("no NSEC3 record covers %s, the next closer name below %s", prev, n)}
		}
		if n == zone || n == "." {
			break
		}
		prev = n
	}
	return "", "", nil, &denialError{msg: fmt.Sprintf("no NSEC3 record matches an ancestor of %s (no closest encloser proof)", name)}
}

// nsecCovers reports whether name falls strictly between n's owner and next name in
// canonical order (RFC 4034 §6.1), the last NSEC of a zone wrapping to the apex.
func nsecCovers(n *dns.NSEC, name string) bool {
	owner, next := n.Hdr.Name, n.NextDomain
	if canonicalCompare(owner, next) < 0 {
		return canonicalCompare(owner, name) < 0 && canonicalCompare(name, next) < 0
	}
	return canonicalCompare(owner, name) < 0 || canonicalCompare(name, next) < 0
}

// canonicalCompare orders names as RFC 4034 §6.1 does: label by label from the
// right, each label's bytes compared with upper case folded to lower case.
func canonicalCompare(a, b string) int {
	la, lb := wireLabels(a), wireLabels(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := bytes.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// wireLabels returns name's labels as lower-cased wire bytes (escapes decoded).
func wireLabels(name string) [][]byte {
	buf := make([]byte, 256)
	off, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return [][]byte{asciiLower([]byte(name))}
	}
	var out [][]byte
	for i := 0; i < off && buf[i] != 0; i += int(buf[i]) + 1 {
		out = append(out, asciiLower(buf[i+1:i+1+int(buf[i])]))
	}
	return out
}

// asciiLower folds A-Z only: canonical order leaves other bytes alone.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// proofKind names the denial records in an authority section.
func proofKind(auth []dns.RR) string {
	for _, rr := range auth {
		if rr.Header().Rrtype == dns.TypeNSEC3 {
			return "NSEC3"
		}
	}
	return "NSEC"
}
