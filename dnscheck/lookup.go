package dnscheck

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/miekg/dns"
)

// Sentinel errors, reachable with errors.Is through the *net.DNSError that the Lookup
// methods return (its UnwrapErr field). They are declared in internal/dnsfail, the
// one DNS-failure classifier, so that protocol packages taking a *net.Resolver-shaped
// interface can tell failures apart without importing dnscheck.
var (
	// ErrNXDOMAIN: the name does not exist. errors.As with an interface{ NXDOMAIN()
	// bool } tells it from ErrNODATA without importing this package.
	ErrNXDOMAIN = dnsfail.ErrNXDOMAIN
	// ErrNODATA: the name exists but has no record of the asked type.
	ErrNODATA = dnsfail.ErrNODATA
	// ErrServFail: the server failed (SERVFAIL), e.g. broken DNSSEC or a lame delegation.
	ErrServFail = dnsfail.ErrServFail
	// ErrRefused: the server refused the question (REFUSED).
	ErrRefused = dnsfail.ErrRefused
	// ErrCNAMELoop: the answer's CNAME chain comes back to a name already on it.
	ErrCNAMELoop = dnsfail.ErrCNAMELoop
	// ErrCNAMEChainTooLong: the answer's CNAME chain is longer than maxCNAMEChain.
	ErrCNAMEChainTooLong = dnsfail.ErrCNAMEChainTooLong
	// ErrTimeout: no server answered in time.
	ErrTimeout = dnsfail.ErrTimeout
	// ErrConnRefused: every server tried refused the connection.
	ErrConnRefused = dnsfail.ErrConnRefused
	// ErrConnClosed: the connection was closed or reset before an answer arrived.
	ErrConnClosed = dnsfail.ErrConnClosed
)

// IsNotFound reports whether err means the record does not exist (NXDOMAIN or NODATA),
// as opposed to a lookup that failed. It works for errors from *net.Resolver too.
func IsNotFound(err error) bool { return dnsfail.IsNotFound(err) }

// lookup runs Query and turns everything that is not a positive answer into a
// *net.DNSError shaped like the standard library's.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	ans, err := r.Query(ctx, name, qtype)
	if err != nil {
		de := &net.DNSError{Err: err.Error(), Name: name, IsTemporary: true, UnwrapErr: err}
		de.IsTimeout = dnsfail.Classify(err) == dnsfail.Timeout
		return nil, de
	}
	if de := ans.dnsError(name); de != nil {
		return nil, de
	}
	return ans.Final(), nil
}

// dnsError returns nil for an answer with records of the asked type, and otherwise
// the *net.DNSError that says why there are none: not found (NXDOMAIN, NODATA) or a
// failure (SERVFAIL, REFUSED, another rcode, a CNAME loop or an over-long chain).
func (a *Answer) dnsError(name string) *net.DNSError {
	// The common case, records of the asked type, allocates nothing.
	if a.Rcode == dns.RcodeSuccess && len(a.Records) > 0 {
		if _, _, bad := a.chase(); bad == nil && len(a.Final()) > 0 {
			return nil
		}
	}
	de := &net.DNSError{Name: name, Server: a.Server}
	switch a.Rcode {
	case dns.RcodeSuccess:
		if _, _, bad := a.chase(); bad != nil {
			de.Err, de.UnwrapErr = bad.Error(), bad
			return de
		}
		if len(a.Final()) > 0 {
			return nil
		}
		de.Err, de.UnwrapErr, de.IsNotFound = "no such host", ErrNODATA, true
	case dns.RcodeNameError:
		de.Err, de.UnwrapErr, de.IsNotFound = "no such host", ErrNXDOMAIN, true
	case dns.RcodeServerFailure:
		de.Err, de.UnwrapErr, de.IsTemporary = "server misbehaving (SERVFAIL)", ErrServFail, true
	case dns.RcodeRefused:
		de.Err, de.UnwrapErr = "server misbehaving (REFUSED)", ErrRefused
	default:
		rc := dns.RcodeToString[a.Rcode]
		de.Err, de.UnwrapErr = "server misbehaving ("+rc+")", &dnsfail.RcodeError{Rcode: rc}
	}
	return de
}

// LookupTXT returns the TXT records at name, each record's strings joined with no
// separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2) and unescaped to their real bytes.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	recs, err := r.LookupTXTStrings(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(recs))
	for i, strs := range recs {
		out[i] = strings.Join(strs, "")
	}
	return out, nil
}

// LookupTXTStrings returns the TXT records at name with each record's character-strings
// kept apart, unescaped to their real bytes.
func (r *Resolver) LookupTXTStrings(ctx context.Context, name string) ([][]string, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, TXTStrings(t))
		}
	}
	return out, nil
}

// TXTStrings returns a TXT record's character-strings as raw bytes. miekg/dns keeps them
// in presentation format (a quote as \", a tab as \009); receivers parse the bytes.
func TXTStrings(t *dns.TXT) []string {
	out := make([]string, len(t.Txt))
	for i, s := range t.Txt {
		out[i] = unescapeTXT(s)
	}
	return out
}

// unescapeTXT decodes RFC 1035 §5.1 escapes: \DDD is a byte in decimal, \X is X.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v <= 255 {
				b = append(b, byte(v))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// LookupMX returns the MX records at name sorted by preference, hosts as FQDNs with
// the trailing dot, like net.Resolver. A null MX (RFC 7505) comes back as Host ".".
func (r *Resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeMX)
	if err != nil {
		return nil, err
	}
	var out []*net.MX
	for _, rr := range rrs {
		if mx, ok := rr.(*dns.MX); ok {
			out = append(out, &net.MX{Host: mx.Mx, Pref: mx.Preference})
		}
	}
	slices.SortStableFunc(out, func(a, b *net.MX) int { return int(a.Pref) - int(b.Pref) })
	return out, nil
}

// LookupNetIP returns the addresses of host. network is "ip" (A and AAAA), "ip4" or "ip6".
// For "ip", the name is not found only when neither type exists; a failure of either
// query is returned as that failure.
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	var types []uint16
	switch network {
	case "ip":
		types = []uint16{dns.TypeA, dns.TypeAAAA}
	case "ip4":
		types = []uint16{dns.TypeA}
	case "ip6":
		types = []uint16{dns.TypeAAAA}
	default:
		return nil, &net.DNSError{Err: "unknown network " + network, Name: host}
	}
	var out []netip.Addr
	var notFound error
	for _, t := range types {
		rrs, err := r.lookup(ctx, host, t)
		if err != nil {
			if IsNotFound(err) {
				notFound = err
				continue
			}
			return nil, err
		}
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
					out = append(out, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
					out = append(out, a)
				}
			}
		}
	}
	if len(out) == 0 && notFound != nil {
		return nil, notFound
	}
	return out, nil
}

// LookupIPAddr returns the A and AAAA addresses of host, like net.Resolver.LookupIPAddr.
func (r *Resolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: a.AsSlice()}
	}
	return out, nil
}

// LookupAddr returns the PTR names of an IP address, as FQDNs with the trailing dot.
func (r *Resolver) LookupAddr(ctx context.Context, addr string) ([]string, error) {
	rev, err := dns.ReverseAddr(addr)
	if err != nil {
		return nil, &net.DNSError{Err: "unrecognized address", Name: addr}
	}
	rrs, err := r.lookup(ctx, rev, dns.TypePTR)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range rrs {
		if p, ok := rr.(*dns.PTR); ok {
			out = append(out, p.Ptr)
		}
	}
	return out, nil
}

// LookupCNAME returns the canonical name of host: the end of its CNAME chain, or host
// itself (as an FQDN) when it has no CNAME. Like net.Resolver, it fails if host does
// not exist.
func (r *Resolver) LookupCNAME(ctx context.Context, host string) (string, error) {
	ans, err := r.Query(ctx, host, dns.TypeA)
	if err == nil && ans.Rcode == dns.RcodeSuccess {
		target, _, bad := ans.chase()
		if bad == nil {
			return target, nil
		}
	}
	if _, err := r.lookup(ctx, host, dns.TypeA); err != nil {
		return "", err
	}
	return dns.Fqdn(host), nil
}

// LookupType99SPF returns the text of RR type 99 (SPF) records at name. RFC 7208 §3.1
// retired the type; receivers never read it, so its presence is only worth a note.
func (r *Resolver) LookupType99SPF(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeSPF)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range rrs {
		if s, ok := rr.(*dns.SPF); ok {
			strs := make([]string, len(s.Txt))
			for i, t := range s.Txt {
				strs[i] = unescapeTXT(t)
			}
			out = append(out, strings.Join(strs, ""))
		}
	}
	return out, nil
}
