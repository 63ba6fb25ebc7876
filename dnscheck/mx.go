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

	// target is the MX record's target as published (case kept), for fix records.
	target string
}

// value is the MX record's data as FixRecord writes it: "10 mail.example.com.".
func (h MXHost) value() string { return fmt.Sprintf("%d %s", h.Preference, dns.Fqdn(h.target)) }

func mxFix(action finding.FixAction, domain, replaces, value string) finding.FixRecord {
	return finding.FixRecord{Action: action, Name: domain, Type: "MX", Replaces: replaces, Value: value}
}

// MXReport is the outcome of MX.
type MXReport struct {
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

// MX looks up the domain's MX set and each target's addresses and judges them.
// The error is only for a bad argument; DNS failures are mx.dns-error findings.
func MX(ctx context.Context, r *Resolver, domain string) (*MXReport, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, err
	}
	res := &MXReport{Domain: d.ASCII, Hosts: []MXHost{}}
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
		res.Hosts[i] = MXHost{Preference: mx.Preference, Host: strings.ToLower(mx.Mx), Addresses: []netip.Addr{}, target: mx.Mx}
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
			f := finding.Finding{
				Code: CodeMXNullConflict, Severity: finding.Error, Ref: "RFC 7505 §3",
				Message:  fmt.Sprintf("%s publishes a null MX next to %d other MX records; senders may treat the domain as accepting no mail.", d.ASCII, len(res.Hosts)-1),
				Fix:      "Delete the \"0 .\" MX record: the other MX records say the domain receives mail (if it does not, delete those instead).",
				Evidence: &finding.Evidence{Name: d.ASCII, Type: "MX", Records: rrStrings(mxs)},
			}
			for _, h := range res.Hosts {
				if h.Host == "." {
					f.FixRecords = append(f.FixRecords, mxFix(finding.Delete, d.ASCII, h.value(), ""))
				}
			}
			res.Findings = append(res.Findings, f)
		}
	}
	res.Findings = append(res.Findings, checkDuplicates(d.ASCII, res.Hosts)...)
	resolveHosts(ctx, r, res)
	return res, nil
}

// checkImplicitMX handles a domain without MX: RFC 5321 §5.1 sends to its A/AAAA.
func checkImplicitMX(ctx context.Context, r *Resolver, res *MXReport) {
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
		// No record here: which of the two the owner wants cannot be told from DNS,
		// and a null MX on a domain that sends mail gets it rejected (RFC 7505 §4.2).
		f.Severity = finding.Error
		f.Message = fmt.Sprintf("%s has no MX record and no address: it cannot receive mail, and receivers may reject mail from it.", res.Domain)
		f.Fix = fmt.Sprintf("Publish your mail server: %s. MX 10 mail.%s. — or, if the domain neither receives nor sends mail, a null MX: %s. MX 0 .", res.Domain, res.Domain, res.Domain)
	} else {
		f.Message = fmt.Sprintf("%s has no MX record; mail falls back to its address records (%s).", res.Domain, joinAddrs(addrs))
		f.Fix = fmt.Sprintf("Publish an explicit MX record for the host that receives its mail today, the domain itself: %s. MX 10 %s. (or a null MX, %s. MX 0 ., if the domain receives no mail).", res.Domain, res.Domain, res.Domain)
		public := true
		for _, a := range addrs {
			public = public && nonPublic(a) == ""
		}
		if public {
			// RFC 5321 §5.1: the implicit MX is the domain itself at preference 0;
			// naming it keeps delivery exactly as it is.
			f.FixRecords = []finding.FixRecord{mxFix(finding.Publish, res.Domain, "", "10 "+dns.Fqdn(res.Domain))}
		}
	}
	res.Findings = append(res.Findings, f)
}

func checkDuplicates(domain string, hosts []MXHost) []finding.Finding {
	best := map[string]MXHost{}
	for _, h := range hosts {
		if b, ok := best[h.Host]; !ok || h.Preference < b.Preference {
			best[h.Host] = h
		}
	}
	seen, reported := map[string]bool{}, map[string]bool{}
	var out []finding.Finding
	for _, h := range hosts {
		if seen[h.Host] && !reported[h.Host] {
			reported[h.Host] = true
			f := finding.Finding{
				Code: CodeMXDuplicate, Severity: finding.Warning, Ref: "RFC 5321 §5.1",
				Message: fmt.Sprintf("%s lists %s more than once in its MX set.", domain, h.Host),
				Fix:     fmt.Sprintf("Keep one MX record per host: keep %s. MX %s and delete the others.", domain, best[h.Host].value()),
			}
			// Keep the most preferred record; senders try it first anyway.
			for _, d := range hosts {
				if d.Host == h.Host && d.value() != best[h.Host].value() {
					f.FixRecords = append(f.FixRecords, mxFix(finding.Delete, domain, d.value(), ""))
				}
			}
			out = append(out, f)
		}
		seen[h.Host] = true
	}
	return out
}

// resolveHosts resolves every MX target concurrently and appends its findings in MX order.
func resolveHosts(ctx context.Context, r *Resolver, res *MXReport) {
	per := make([][]finding.Finding, len(res.Hosts))
	listed := map[string]bool{}
	for _, h := range res.Hosts {
		listed[h.Host] = true
	}
	var wg sync.WaitGroup
	for i := range res.Hosts {
		h := &res.Hosts[i]
		if h.Host == "." {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			per[i] = resolveHost(ctx, r, res.Domain, h, listed)
		}()
	}
	wg.Wait()
	for _, f := range per {
		res.Findings = append(res.Findings, f...)
	}
}

// resolveHost resolves one MX target and judges it; listed holds every target of the
// MX set, so a fix does not create a duplicate.
func resolveHost(ctx context.Context, r *Resolver, domain string, h *MXHost, listed map[string]bool) []finding.Finding {
	host := strings.TrimSuffix(h.Host, ".")
	// RFC 5321 §5.1: the target must be a domain name; an address literal is not allowed.
	if ip, err := netip.ParseAddr(host); err == nil {
		rrType := "A"
		if ip.Is6() {
			rrType = "AAAA"
		}
		f := finding.Finding{
			Code: CodeMXIPLiteral, Severity: finding.Error, Ref: "RFC 5321 §5.1",
			Message: fmt.Sprintf("MX target %q is an IP address written as a name; senders look it up as a host name and fail.", host),
			Fix:     fmt.Sprintf("Publish a host name with an %s record: mail.%s. %s %s, then %s. MX %d mail.%s.", rrType, domain, rrType, host, domain, h.Preference, domain),
		}
		f.FixRecords = literalFix(ctx, r, domain, h, ip, rrType)
		return []finding.Finding{f}
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
		f := finding.Finding{
			Code: CodeMXCNAME, Severity: finding.Warning, Ref: "RFC 2181 §10.3",
			Message: fmt.Sprintf("MX target %s is an alias (CNAME) for %s; some senders refuse to follow it.", host, strings.TrimSuffix(h.CNAME, ".")),
			Fix:     fmt.Sprintf("Point the MX at the canonical name: %s. MX %d %s", domain, h.Preference, dns.Fqdn(h.CNAME)),
		}
		if canonical := strings.ToLower(dns.Fqdn(h.CNAME)); listed[canonical] {
			// The canonical host is in the MX set already: the alias only repeats it.
			f.Fix = fmt.Sprintf("Delete the MX record %s. MX %s: its canonical name %s is in the MX set already.", domain, h.value(), canonical)
			f.FixRecords = []finding.FixRecord{mxFix(finding.Delete, domain, h.value(), "")}
		} else {
			f.FixRecords = []finding.FixRecord{mxFix(finding.Replace, domain, h.value(), fmt.Sprintf("%d %s", h.Preference, dns.Fqdn(h.CNAME)))}
		}
		out = append(out, f)
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

// literalFix publishes the address an MX target names as a literal under
// mail.<domain> and points the MX there, when that name is free (or already holds
// exactly that address) and the address is one senders can reach.
func literalFix(ctx context.Context, r *Resolver, domain string, h *MXHost, ip netip.Addr, rrType string) []finding.FixRecord {
	if nonPublic(ip) != "" {
		return nil // the MX would then point at an unreachable address: no safe record
	}
	name := "mail." + domain
	mx := mxFix(finding.Replace, domain, h.value(), fmt.Sprintf("%d %s", h.Preference, dns.Fqdn(name)))
	ans, err := r.Query(ctx, name, dns.StringToType[rrType])
	switch {
	case err != nil:
		return nil
	case ans.Rcode == dns.RcodeNameError:
		return []finding.FixRecord{{Action: finding.Publish, Name: name, Type: rrType, Value: ip.String()}, mx}
	case ans.Rcode != dns.RcodeSuccess || len(ans.Chain()) > 0:
		return nil
	}
	final := ans.Final()
	if len(final) == 0 {
		return nil // the name exists with other records: not ours to take
	}
	for _, rr := range final {
		if strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String())) != ip.String() {
			return nil
		}
	}
	return []finding.FixRecord{mx}
}
