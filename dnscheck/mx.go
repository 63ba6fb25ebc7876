package dnscheck

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/miekg/dns"
)

// MXHost is one MX target and what its name resolves to.
type MXHost struct {
	Preference uint16       `json:"preference"`
	Host       string       `json:"host"`
	Addresses  []netip.Addr `json:"addresses"`
	// CNAME is the chain's end when the target is an alias (RFC 2181 §10.3 forbids it).
	CNAME string `json:"cname,omitempty"`
}

// MXResult is the outcome of CheckMX.
type MXResult struct {
	Domain string   `json:"domain"`
	Hosts  []MXHost `json:"hosts"`
	// Null reports a null MX (RFC 7505): the domain accepts no mail.
	Null bool `json:"null_mx"`
	// Implicit reports that there is no MX record, so senders use the domain's own
	// A/AAAA addresses (RFC 5321 §5.1), listed in ImplicitAddresses.
	Implicit bool `json:"implicit_mx"`
	// NXDOMAIN reports that the domain does not exist at all.
	NXDOMAIN          bool         `json:"nxdomain,omitempty"`
	ImplicitAddresses []netip.Addr `json:"implicit_addresses,omitempty"`
	// Findings are left out of JSON: the report carries them at the check level.
	Findings []finding.Finding `json:"-"`
}

// CheckMX looks up the domain's MX set and each target's addresses and judges them.
// The error is only for a bad argument; DNS failures are mx.dns-error findings.
func CheckMX(ctx context.Context, r *Resolver, domain string) (*MXResult, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	res := &MXResult{Domain: d.ASCII, Hosts: []MXHost{}}
	ans, err := r.Query(ctx, d.ASCII, dns.TypeMX)
	if f, failed := dnsFailure(d.ASCII, "MX", ans, err, "where mail for "+d.ASCII+" is delivered"); failed {
		res.Findings = append(res.Findings, f)
		return res, nil
	}
	if ans.Rcode == dns.RcodeNameError {
		res.NXDOMAIN = true
		res.Findings = append(res.Findings, finding.Finding{
			Code: CodeMXNXDOMAIN, Severity: finding.Error, Ref: "RFC 1035 §4.1.1",
			Message:  fmt.Sprintf("%s does not exist in DNS (NXDOMAIN): no mail can be sent to it, and receivers reject mail from it.", d.ASCII),
			Fix:      "Check the spelling; if it is yours, check that the domain is registered and delegated to name servers that answer for it.",
			Evidence: &finding.Evidence{Name: d.ASCII, Type: "MX", Rcode: "NXDOMAIN"},
		})
		return res, nil
	}
	var mxs []*dns.MX
	for _, rr := range ans.Final() {
		if mx, ok := rr.(*dns.MX); ok {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 0 {
		checkImplicitMX(ctx, r, res)
		return res, nil
	}
	res.Hosts = make([]MXHost, len(mxs))
	for i, mx := range mxs {
		res.Hosts[i] = MXHost{Preference: mx.Preference, Host: strings.ToLower(mx.Mx), Addresses: []netip.Addr{}}
	}
	// RFC 7505 §3: a null MX is a single MX with preference 0 and target ".".
	for _, h := range res.Hosts {
		if h.Host == "." {
			res.Null = true
		}
	}
	if res.Null {
		if len(res.Hosts) == 1 {
			res.Findings = append(res.Findings, finding.Finding{
				Code: CodeMXNull, Severity: finding.Info, Ref: "RFC 7505 §3",
				Message: fmt.Sprintf("%s publishes a null MX: it accepts no mail.", d.ASCII),
				Fix:     "Nothing to do if the domain should receive no mail; otherwise replace the null MX with your mail servers.",
			})
		} else {
			res.Findings = append(res.Findings, finding.Finding{
				Code: CodeMXNullConflict, Severity: finding.Error, Ref: "RFC 7505 §3",
				Message:  fmt.Sprintf("%s publishes a null MX next to %d other MX records; senders may treat the domain as accepting no mail.", d.ASCII, len(res.Hosts)-1),
				Fix:      "Remove the \"0 .\" MX record if the domain receives mail, or remove the other MX records if it does not.",
				Evidence: &finding.Evidence{Name: d.ASCII, Type: "MX", Records: rrStrings(mxs)},
			})
		}
	}
	res.Findings = append(res.Findings, checkDuplicates(d.ASCII, res.Hosts)...)
	resolveHosts(ctx, r, res)
	return res, nil
}

// checkImplicitMX handles a domain without MX: RFC 5321 §5.1 sends to its A/AAAA.
func checkImplicitMX(ctx context.Context, r *Resolver, res *MXResult) {
	res.Implicit = true
	addrs, err := r.LookupNetIP(ctx, "ip", res.Domain)
	if err != nil && !IsNotFound(err) {
		res.Findings = append(res.Findings, dnsErrorFinding(res.Domain, "A/AAAA", err, "whether "+res.Domain+" can receive mail at its own address (it has no MX)"))
		return
	}
	res.ImplicitAddresses = addrs
	f := finding.Finding{
		Code: CodeMXMissing, Severity: finding.Warning, Ref: "RFC 5321 §5.1",
		Evidence: &finding.Evidence{Name: res.Domain, Type: "MX", Rcode: "NODATA"},
	}
	if len(addrs) == 0 {
		f.Severity = finding.Error
		f.Message = fmt.Sprintf("%s has no MX record and no address: it cannot receive mail, and receivers may reject mail from it.", res.Domain)
		f.Fix = fmt.Sprintf("Publish your mail server: %s. MX 10 mail.%s. — or, if the domain receives no mail, a null MX: %s. MX 0 .", res.Domain, res.Domain, res.Domain)
	} else {
		f.Message = fmt.Sprintf("%s has no MX record; mail falls back to its address records (%s).", res.Domain, joinAddrs(addrs))
		f.Fix = fmt.Sprintf("Publish an explicit MX record (e.g. %s. MX 10 mail.%s.), or a null MX (%s. MX 0 .) if the domain receives no mail.", res.Domain, res.Domain, res.Domain)
	}
	res.Findings = append(res.Findings, f)
}

func checkDuplicates(domain string, hosts []MXHost) []finding.Finding {
	seen := map[string]bool{}
	var out []finding.Finding
	for _, h := range hosts {
		if seen[h.Host] {
			out = append(out, finding.Finding{
				Code: CodeMXDuplicate, Severity: finding.Warning, Ref: "RFC 5321 §5.1",
				Message: fmt.Sprintf("%s lists %s more than once in its MX set.", domain, h.Host),
				Fix:     "Keep one MX record per host.",
			})
		}
		seen[h.Host] = true
	}
	return out
}

// resolveHosts resolves every MX target concurrently and appends its findings in MX order.
func resolveHosts(ctx context.Context, r *Resolver, res *MXResult) {
	per := make([][]finding.Finding, len(res.Hosts))
	var wg sync.WaitGroup
	for i := range res.Hosts {
		h := &res.Hosts[i]
		if h.Host == "." {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			per[i] = resolveHost(ctx, r, res.Domain, h)
		}()
	}
	wg.Wait()
	for _, f := range per {
		res.Findings = append(res.Findings, f...)
	}
}

func resolveHost(ctx context.Context, r *Resolver, domain string, h *MXHost) []finding.Finding {
	host := strings.TrimSuffix(h.Host, ".")
	// RFC 5321 §5.1: the target must be a domain name; an address literal is not allowed.
	if _, err := netip.ParseAddr(host); err == nil {
		return []finding.Finding{{
			Code: CodeMXIPLiteral, Severity: finding.Error, Ref: "RFC 5321 §5.1",
			Message: fmt.Sprintf("MX target %q is an IP address written as a name; senders look it up as a host name and fail.", host),
			Fix:     fmt.Sprintf("Publish a host name with an A record: mail.%s. A %s, then %s. MX %d mail.%s.", domain, host, domain, h.Preference, domain),
		}}
	}
	var out []finding.Finding
	var a4, a6 *Answer
	var err4, err6 error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a4, err4 = r.Query(ctx, host, dns.TypeA) }()
	go func() { defer wg.Done(); a6, err6 = r.Query(ctx, host, dns.TypeAAAA) }()
	wg.Wait()
	for _, q := range []struct {
		ans  *Answer
		err  error
		name string
	}{{a4, err4, "A"}, {a6, err6, "AAAA"}} {
		if f, failed := dnsFailure(host, q.name, q.ans, q.err, "whether MX target "+host+" can be reached"); failed {
			out = append(out, f)
			continue
		}
		if chain := q.ans.Chain(); len(chain) > 0 && h.CNAME == "" {
			h.CNAME = chain[len(chain)-1]
		}
		for _, rr := range q.ans.Final() {
			switch v := rr.(type) {
			case *dns.A:
				if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
					h.Addresses = append(h.Addresses, a)
				}
			case *dns.AAAA:
				if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok {
					h.Addresses = append(h.Addresses, a)
				}
			}
		}
	}
	if h.CNAME != "" {
		out = append(out, finding.Finding{
			Code: CodeMXCNAME, Severity: finding.Warning, Ref: "RFC 2181 §10.3",
			Message: fmt.Sprintf("MX target %s is an alias (CNAME) for %s; some senders refuse to follow it.", host, strings.TrimSuffix(h.CNAME, ".")),
			Fix:     fmt.Sprintf("Point the MX at the canonical name: %s. MX %d %s", domain, h.Preference, h.CNAME),
		})
	}
	incomplete := len(out) > 0
	if len(h.Addresses) == 0 && !incomplete {
		out = append(out, finding.Finding{
			Code: CodeMXNoAddress, Severity: finding.Error, Ref: "RFC 5321 §5.1",
			Message:  fmt.Sprintf("MX target %s has no A or AAAA record: mail sent to it cannot be delivered.", host),
			Fix:      fmt.Sprintf("Publish an address for %s, or point the MX record at a host that has one.", host),
			Evidence: &finding.Evidence{Name: host, Type: "A/AAAA", Rcode: a4.RcodeText()},
		})
	}
	for _, a := range h.Addresses {
		if why := nonPublic(a); why != "" {
			out = append(out, finding.Finding{
				Code: CodeMXPrivateAddress, Severity: finding.Error, Ref: "RFC 6890",
				Message: fmt.Sprintf("MX target %s resolves to %s, a %s address that senders on the Internet cannot reach.", host, a, why),
				Fix:     fmt.Sprintf("Publish the public address of %s.", host),
			})
		}
	}
	return out
}

// nonPublic names the special-purpose range an address is in (RFC 6890), or "".
func nonPublic(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private (RFC 1918/4193)"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast():
		return "multicast"
	}
	for _, p := range documentationPrefixes {
		if p.Contains(a) {
			return "documentation (RFC 5737/3849)"
		}
	}
	if sharedPrefix.Contains(a) {
		return "carrier-grade NAT (RFC 6598)"
	}
	return ""
}

var (
	documentationPrefixes = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
		netip.MustParsePrefix("2001:db8::/32"),
	}
	sharedPrefix = netip.MustParsePrefix("100.64.0.0/10")
)

// dnsFailure turns a failed query (no response, an rcode other than NOERROR and
// NXDOMAIN, a CNAME loop or over-long chain) into an mx.dns-error finding. failed is
// false for a usable answer, NODATA and NXDOMAIN included.
func dnsFailure(name, qtype string, ans *Answer, err error, unknown string) (finding.Finding, bool) {
	if err == nil {
		de := ans.dnsError(name)
		if de == nil || de.IsNotFound {
			return finding.Finding{}, false
		}
		err = de
	}
	return dnsErrorFinding(name, qtype, err, unknown), true
}

// dnsErrorFinding reports a lookup that failed: the MX result is unknown, not missing.
func dnsErrorFinding(name, qtype string, err error, unknown string) finding.Finding {
	return dnsfail.Finding(CodeMXDNSError, name, qtype, err, unknown, "RFC 5321 §5.1")
}

func rrStrings[T dns.RR](rrs []T) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
