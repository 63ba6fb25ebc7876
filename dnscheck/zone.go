package dnscheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
)

// ErrNotZoneFile is returned for a file that is not text at all (an executable, an
// archive): parsing it would only report its first bytes, escaped, as a bad TTL.
var ErrNotZoneFile = errors.New("dnscheck: not a zone file")

// notZoneError says what the file looks like instead; it is ErrNotZoneFile.
type notZoneError struct{ file, what string }

func (e *notZoneError) Error() string {
	return fmt.Sprintf("%s is not a zone file: it looks like %s", e.file, e.what)
}

func (e *notZoneError) Is(target error) bool { return target == ErrNotZoneFile }

// maxCNAMEChain bounds CNAME chasing, in the zone source and in answers from the wire:
// long enough for real chains (CDN and DKIM delegation use two or three), short enough
// that a loop ends quickly.
const maxCNAMEChain = 16

// Zone is an in-memory set of records read from an RFC 1035 master file. It answers
// questions the way an authoritative server would: NXDOMAIN for a name that does not
// exist, an empty answer (NODATA) for an existing name without the asked type, CNAME
// chains followed, wildcards (RFC 4592) expanded.
//
// A Zone may hold names from several domains (use absolute names or $ORIGIN), so one
// file can describe a domain and the third parties it includes.
type Zone struct {
	records map[string][]dns.RR // by lower-case FQDN
	names   map[string]bool     // every owner name and every ancestor (empty non-terminals)
	// signed is set when the file holds RRSIGs: the zone then answers a query with the
	// DO bit as a signed zone's servers do (signatures, NSEC/NSEC3 denial proofs).
	signed bool
	nsec   []*dns.NSEC
	nsec3  []*dns.NSEC3
}

// ZoneError is a syntax error in a master file, with its position.
type ZoneError struct {
	File string
	Line int
	Err  string
}

func (e *ZoneError) Error() string {
	return fmt.Sprintf("zone file %s, line %d: %s", e.File, e.Line, e.Err)
}

// LoadZoneFile reads a master file. Relative names are relative to the root unless the
// file sets $ORIGIN.
func LoadZoneFile(path string) (*Zone, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dnscheck: reading zone: %w", err)
	}
	defer f.Close()
	return ParseZone(f, path)
}

// ParseZone reads a master file from r; name is used in error messages.
func ParseZone(r io.Reader, name string) (*Zone, error) {
	br := bufio.NewReaderSize(r, sniffLen)
	head, _ := br.Peek(sniffLen) // a short file gives what it has; a read error shows below
	if what := binaryKind(head); what != "" {
		return nil, &notZoneError{file: name, what: what}
	}
	z := &Zone{records: map[string][]dns.RR{}, names: map[string]bool{".": true}}
	zp := dns.NewZoneParser(br, ".", name)
	zp.SetIncludeAllowed(false)
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		z.Add(rr)
	}
	if err := zp.Err(); err != nil {
		var pe *dns.ParseError
		if errors.As(err, &pe) {
			return nil, &ZoneError{File: name, Line: zoneErrorLine(pe), Err: zoneErrorText(pe)}
		}
		return nil, fmt.Errorf("dnscheck: zone %s: %w", name, err)
	}
	return z, nil
}

// zoneErrorLine extracts the line number from miekg/dns's "... at line: L:C" text.
func zoneErrorLine(pe *dns.ParseError) int {
	msg := pe.Error()
	i := strings.LastIndex(msg, "at line: ")
	if i < 0 {
		return 0
	}
	var line int
	fmt.Sscanf(msg[i+len("at line: "):], "%d", &line)
	return line
}

func zoneErrorText(pe *dns.ParseError) string {
	msg := pe.Error()
	if i := strings.Index(msg, "dns: "); i >= 0 {
		msg = msg[i+len("dns: "):]
	}
	if i := strings.LastIndex(msg, " at line: "); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// Add inserts one record.
func (z *Zone) Add(rr dns.RR) {
	name := strings.ToLower(dns.Fqdn(rr.Header().Name))
	rr.Header().Name = name
	z.records[name] = append(z.records[name], rr)
	switch rr := rr.(type) {
	case *dns.RRSIG:
		z.signed = true
	case *dns.NSEC:
		z.nsec = append(z.nsec, rr)
	case *dns.NSEC3:
		z.nsec3 = append(z.nsec3, rr)
	}
	for n := name; ; {
		z.names[n] = true
		off, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[off:]
	}
}

// Answer builds the authoritative response to req's first question. For a signed zone
// and a query with the DO bit (RFC 3225) it adds what a signed zone's servers add
// (RFC 4035 §3.1): the RRSIGs of the answer, and for NXDOMAIN or NODATA the SOA and the
// NSEC or NSEC3 records (signed) that match or cover the name, its ancestors and their
// wildcards, so a validator can prove the denial.
//
// Unsigned, or without the DO bit, a negative answer (NXDOMAIN or NODATA) carries the
// SOA of the zone holding the name in its authority section, as an authoritative
// server's does (RFC 2308 §3), so a resolver caches it by the SOA's minimum (§5).
func (z *Zone) Answer(req *dns.Msg) *dns.Msg {
	resp := z.answer(req)
	if len(req.Question) == 0 || resp.Rcode == dns.RcodeServerFailure {
		return resp
	}
	if opt := req.IsEdns0(); z.signed && opt != nil && opt.Do() {
		z.addDNSSEC(resp, req.Question[0].Qtype) // adds the SOA with the proof
		return resp
	}
	z.addNegativeSOA(resp, req.Question[0].Qtype)
	return resp
}

// addNegativeSOA adds the enclosing zone's SOA to a negative answer.
func (z *Zone) addNegativeSOA(resp *dns.Msg, qtype uint16) {
	final := strings.ToLower(dns.Fqdn(resp.Question[0].Name))
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == qtype || qtype == dns.TypeANY {
			return // a positive answer
		}
		if c, ok := rr.(*dns.CNAME); ok {
			final = strings.ToLower(dns.Fqdn(c.Target))
		}
	}
	apex, ok := z.apexOf(final)
	if !ok {
		return
	}
	for _, rr := range z.records[apex] {
		if rr.Header().Rrtype == dns.TypeSOA {
			resp.Ns = append(resp.Ns, rr)
		}
	}
}

// apexOf returns the apex (the owner of the SOA) of the zone in the file that holds
// name; ok is false when no zone of the file does.
func (z *Zone) apexOf(name string) (apex string, ok bool) {
	for apex = name; !z.hasType(apex, dns.TypeSOA); apex = parentName(apex) {
		if apex == "." {
			return "", false
		}
	}
	return apex, true
}

func (z *Zone) answer(req *dns.Msg) *dns.Msg {
	resp := new(dns.Msg)
	resp.SetReply(req)
	resp.Authoritative = true
	resp.RecursionAvailable = true
	if len(req.Question) == 0 {
		resp.Rcode = dns.RcodeFormatError
		return resp
	}
	q := req.Question[0]
	name := strings.ToLower(dns.Fqdn(q.Name))
	seen := map[string]bool{}
	for hop := 0; ; hop++ {
		if seen[name] || hop > maxCNAMEChain {
			resp.Rcode = dns.RcodeServerFailure // CNAME loop: what recursive servers answer
			resp.Answer = nil
			return resp
		}
		seen[name] = true
		rrs, exists := z.lookup(name)
		if !exists {
			resp.Rcode = dns.RcodeNameError
			return resp
		}
		var cname *dns.CNAME
		found := false
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY {
				resp.Answer = append(resp.Answer, withOwner(rr, name))
				found = true
			} else if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if cname == nil || found {
			return resp
		}
		resp.Answer = append(resp.Answer, withOwner(cname, name))
		name = strings.ToLower(dns.Fqdn(cname.Target))
	}
}

// lookup returns the records at name, expanding a wildcard when the name does not exist
// (RFC 4592 §3.3.1: the source of synthesis is "*." + the closest encloser). exists
// reports whether the name (or a wildcard covering it) exists at all.
func (z *Zone) lookup(name string) (rrs []dns.RR, exists bool) {
	if z.names[name] {
		return z.records[name], true
	}
	for n := name; ; {
		off, end := dns.NextLabel(n, 0)
		if end {
			return nil, false
		}
		n = n[off:]
		if z.names[n] { // closest encloser
			wild := z.records["*."+n]
			if wild == nil {
				return nil, false
			}
			return wild, true
		}
	}
}

// withOwner copies rr with its owner set to name (for wildcard synthesis and case).
func withOwner(rr dns.RR, name string) dns.RR {
	if rr.Header().Name == name {
		return rr
	}
	c := dns.Copy(rr)
	c.Header().Name = name
	return c
}

// addDNSSEC adds signatures and denial proofs to resp (see Answer).
func (z *Zone) addDNSSEC(resp *dns.Msg, qtype uint16) {
	final := strings.ToLower(dns.Fqdn(resp.Question[0].Name))
	var sigs []dns.RR
	seen := map[string]bool{}
	found := false
	for _, rr := range resp.Answer {
		h := rr.Header()
		key := h.Name + "/" + dns.TypeToString[h.Rrtype]
		if c, ok := rr.(*dns.CNAME); ok && h.Rrtype != qtype {
			final = strings.ToLower(c.Target)
		} else {
			found = true
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		rrs, _ := z.lookup(h.Name)
		for _, s := range rrs {
			if sig, ok := s.(*dns.RRSIG); ok && sig.TypeCovered == h.Rrtype {
				sigs = append(sigs, withOwner(sig, h.Name))
			}
		}
	}
	resp.Answer = append(resp.Answer, sigs...)
	if found {
		return
	}
	// A denial: the SOA of the zone that holds final (its parent's, for DS at a cut).
	holder := final
	if qtype == dns.TypeDS {
		holder = parentName(holder)
	}
	apex, ok := z.apexOf(holder)
	if !ok {
		return
	}
	add := func(owner string, t uint16) {
		for _, rr := range z.records[owner] {
			if n, ok := rr.(*dns.NSEC); ok && t == dns.TypeNSEC {
				// At a zone cut the parent's NSEC (no SOA bit) and the child's (SOA
				// bit) share the owner: keep the one of this zone.
				if slices.Contains(n.TypeBitMap, dns.TypeSOA) == (owner == apex) {
					resp.Ns = append(resp.Ns, rr)
				}
			} else if rr.Header().Rrtype == t {
				resp.Ns = append(resp.Ns, rr)
			}
			if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == t && strings.EqualFold(sig.SignerName, apex) {
				resp.Ns = append(resp.Ns, sig)
			}
		}
	}
	add(apex, dns.TypeSOA)
	// The names a proof may need: final, its ancestors within the zone, their wildcards.
	var names []string
	for n := final; dns.IsSubDomain(apex, n); {
		names = append(names, n, "*."+n)
		off, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[off:]
	}
	added := map[string]bool{}
	for _, rr := range z.nsec {
		owner := rr.Hdr.Name
		if added[owner] || !dns.IsSubDomain(apex, owner) || !z.signedBy(owner, dns.TypeNSEC, apex) {
			continue
		}
		for _, n := range names {
			if owner == n || nsecCovers(rr, n) {
				added[owner] = true
				add(owner, dns.TypeNSEC)
				break
			}
		}
	}
	for _, rr := range z.nsec3 {
		owner := rr.Hdr.Name
		if added[owner] || !dns.IsSubDomain(apex, owner) || dns.CountLabel(owner) != dns.CountLabel(apex)+1 {
			continue
		}
		for _, n := range names {
			if rr.Match(n) || rr.Cover(n) {
				added[owner] = true
				add(owner, dns.TypeNSEC3)
				break
			}
		}
	}
}

func (z *Zone) hasType(name string, t uint16) bool {
	for _, rr := range z.records[name] {
		if rr.Header().Rrtype == t {
			return true
		}
	}
	return false
}

// signedBy reports whether the zone holds an RRSIG by signer over owner's t records:
// at a zone cut the parent's NSEC and the child's share an owner name.
func (z *Zone) signedBy(owner string, t uint16, signer string) bool {
	for _, rr := range z.records[owner] {
		if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == t && strings.EqualFold(sig.SignerName, signer) {
			return true
		}
	}
	return false
}

// sniffLen is how much of a zone file is looked at before parsing.
const sniffLen = 4096

// binaryKind says what head looks like when it is not text ("" when it is). A master
// file is text: a NUL byte, or many control bytes and invalid UTF-8 sequences, mean
// something else was given. A stray Latin-1 byte in a comment is still text.
func binaryKind(head []byte) string {
	switch {
	case len(head) == 0:
		return ""
	case bytes.HasPrefix(head, []byte("\x7fELF")), bytes.HasPrefix(head, []byte("MZ")),
		bytes.HasPrefix(head, []byte{0xfe, 0xed, 0xfa}), bytes.HasPrefix(head, []byte{0xcf, 0xfa, 0xed, 0xfe}),
		bytes.HasPrefix(head, []byte{0xce, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return "binary data (an executable?)"
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return "binary data (gzip-compressed? decompress it first)"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "binary data (a zip archive?)"
	}
	odd := 0
	for i := 0; i < len(head); {
		c, size := utf8.DecodeRune(head[i:])
		switch {
		case c == 0:
			return "binary data"
		case c == utf8.RuneError && size <= 1:
			if !utf8.FullRune(head[i:]) {
				i = len(head) // a sequence cut at the end of the sniffed bytes
				continue
			}
			odd++
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f':
			odd++
		}
		i += size
	}
	if odd*10 > len(head) {
		return "binary data"
	}
	return ""
}
