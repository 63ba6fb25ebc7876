package mailcheck

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnsfail"
)

// ptrResult is the reverse DNS of one address, forward-confirmed (FCrDNS).
type ptrResult struct {
	IP netip.Addr `json:"ip"`
	// Host is the MX host the address belongs to ("" for a sending IP).
	Host      string   `json:"mx_host,omitempty"`
	Names     []string `json:"names,omitempty"`
	Confirmed bool     `json:"confirmed"`
	// ConfirmedName is the PTR name that resolves back to the address.
	ConfirmedName string `json:"confirmed_name,omitempty"`
	// Generic is set when the PTR name looks like an ISP's name for a pool of
	// customer addresses (GenericWhy says why).
	Generic    bool   `json:"generic,omitempty"`
	GenericWhy string `json:"generic_why,omitempty"`
	Err        string `json:"error,omitempty"`
	// Failed: a reverse or forward lookup failed, so the result is unknown.
	Failed bool `json:"dns_failed,omitempty"`
	// failure is the lookup error behind Failed, with the name and type asked.
	failure           error
	failName, failTyp string
}

// checkPTRs looks up each IP's PTR names and confirms one resolves back to the IP:
// Gmail and Yahoo require this of bulk senders (forward-confirmed reverse DNS). The
// addresses are looked up concurrently.
func checkPTRs(ctx context.Context, r *dnscheck.Resolver, ips []netip.Addr) []ptrResult {
	out := make([]ptrResult, len(ips))
	var wg sync.WaitGroup
	for i, ip := range ips {
		wg.Add(1)
		go func() { defer wg.Done(); out[i] = checkPTR(ctx, r, ip) }()
	}
	wg.Wait()
	return out
}

func checkPTR(ctx context.Context, r *dnscheck.Resolver, ip netip.Addr) ptrResult {
	ip = ip.Unmap()
	p := ptrResult{IP: ip}
	names, err := r.LookupAddr(ctx, ip.String())
	switch {
	case dnscheck.IsNotFound(err):
		p.Err = "no PTR record"
	case err != nil:
		p.Err, p.Failed = err.Error(), true
		p.failure, p.failName, p.failTyp = err, reverseName(ip), "PTR"
	}
	p.Names = names
	var forwardErr error
	var forwardName string
	for _, n := range names {
		addrs, err := r.LookupNetIP(ctx, "ip", n)
		if err != nil {
			if !dnscheck.IsNotFound(err) && forwardErr == nil {
				forwardErr, forwardName = err, n
			}
			continue
		}
		for _, a := range addrs {
			if a.Unmap() == ip {
				p.Confirmed = true
			}
		}
		if p.Confirmed {
			// The confirmed name is the one judged for genericness.
			p.ConfirmedName = strings.TrimSuffix(n, ".")
			p.GenericWhy, p.Generic = genericPTR(n, ip)
			break
		}
	}
	switch {
	case len(names) > 0 && !p.Confirmed && forwardErr != nil:
		// The name that failed to resolve might have been the confirming one.
		p.Err, p.Failed = fmt.Sprintf("the address lookup of %s failed: %v", strings.TrimSuffix(forwardName, "."), forwardErr), true
		p.failure, p.failName, p.failTyp = forwardErr, strings.TrimSuffix(forwardName, "."), "A/AAAA"
	case len(names) > 0 && !p.Confirmed:
		p.Err = fmt.Sprintf("%s does not resolve back to %s", names[0], ip)
	}
	return p
}

// checkMXPTRs is checkPTRs for the public addresses of the domain's MX hosts (private
// ones are mx.private-address already).
func checkMXPTRs(ctx context.Context, r *dnscheck.Resolver, domain string) []ptrResult {
	hosts, addrs := mxAddresses(ctx, r, domain)
	var ips []netip.Addr
	var owner []string
	for i, h := range hosts {
		for _, a := range addrs[i] {
			a = a.Unmap()
			if !a.IsGlobalUnicast() || a.IsPrivate() || slices.Contains(ips, a) {
				continue
			}
			ips, owner = append(ips, a), append(owner, h)
		}
	}
	out := checkPTRs(ctx, r, ips)
	for i := range out {
		out[i].Host = owner[i]
	}
	return out
}

// genericWords are the words ISPs put in the names of customer address pools.
var genericWords = []string{"dynamic", "dyn", "dhcp", "pool", "dsl", "adsl", "vdsl", "xdsl", "cable",
	"dialup", "dial", "ppp", "pppoe", "broadband", "cpe", "residential", "dynip", "ip-pool"}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)
var digitRuns = regexp.MustCompile(`[0-9]+`)

// genericPTR reports whether a PTR name looks generic, ISP-style (a heuristic, the
// one receivers such as Spamhaus's PBL and many MTAs apply): the address's IPv4
// octets embedded in the name, in either order or in hex (203-0-113-7.pool.isp.net,
// cb007107.isp.net), or a word such as dynamic, dhcp, pool or dsl as a label part.
func genericPTR(name string, ip netip.Addr) (string, bool) {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	for _, tok := range nonAlnum.Split(n, -1) {
		if slices.Contains(genericWords, tok) {
			return fmt.Sprintf("the name contains %q", tok), true
		}
	}
	if !ip.Is4() {
		return "", false
	}
	b := ip.As4()
	oct := []string{strconv.Itoa(int(b[0])), strconv.Itoa(int(b[1])), strconv.Itoa(int(b[2])), strconv.Itoa(int(b[3]))}
	rev := []string{oct[3], oct[2], oct[1], oct[0]}
	var nums []string
	for _, d := range digitRuns.FindAllString(n, -1) {
		v, err := strconv.Atoi(d)
		if err != nil {
			continue
		}
		nums = append(nums, strconv.Itoa(v)) // 007 and 7 are the same octet
	}
	for i := 0; i+4 <= len(nums); i++ {
		if slices.Equal(nums[i:i+4], oct) || slices.Equal(nums[i:i+4], rev) {
			return "the name embeds the address's octets", true
		}
	}
	if strings.Contains(n, fmt.Sprintf("%02x%02x%02x%02x", b[0], b[1], b[2], b[3])) {
		return "the name embeds the address in hex", true
	}
	return "", false
}

// ptrCheck reports the reverse DNS of the sending IPs and the MX addresses as the
// "ptr" check; skipped when there are neither.
func ptrCheck(d dnscheck.Domain, sending, mx []ptrResult) *Check {
	if len(sending) == 0 && len(mx) == 0 {
		return skipCheck("ptr", d, "No sending IP given (--ip) and no public MX address: no reverse DNS to check.")
	}
	var fs []Finding
	bad := 0
	for _, p := range append(slices.Clip(sending), mx...) {
		if f, ok := ptrIssue(p); ok {
			fs = append(fs, f)
			bad++
		}
	}
	summary := fmt.Sprintf("%d address(es): every one has forward-confirmed, specific reverse DNS.", len(sending)+len(mx))
	if bad > 0 {
		summary = fmt.Sprintf("%d of %d address(es) with a reverse DNS problem.", bad, len(sending)+len(mx))
	}
	return newCheck("ptr", d, fs, summary, &ptrDetails{Sending: sending, MX: mx})
}

// ptrDetails are the ptr check's facts.
type ptrDetails struct {
	Sending []ptrResult `json:"sending"`
	MX      []ptrResult `json:"mx"`
}

// ptrIssue is the finding for one address, if it has a problem.
func ptrIssue(p ptrResult) (Finding, bool) {
	who := fmt.Sprintf("the sending IP %s", p.IP)
	whose := "your hosting provider or ISP, whoever owns " + p.IP.String()
	name := "your mail server's name"
	if p.Host != "" {
		who = fmt.Sprintf("%s (MX %s)", p.IP, strings.TrimSuffix(p.Host, "."))
		name = strings.TrimSuffix(p.Host, ".")
	}
	ev := &Evidence{Name: reverseName(p.IP), Type: "PTR", Records: p.Names}
	switch {
	case p.Failed:
		return dnsfail.Finding(CodePTRDNSError, p.failName, p.failTyp, p.failure,
			"the forward-confirmed reverse DNS of "+who, "RFC 1912 §2.1"), true
	case len(p.Names) == 0:
		return Finding{Code: CodePTRMissing, Severity: Warning, Ref: "RFC 1912 §2.1", Evidence: ev,
			Message: fmt.Sprintf("%s has no PTR record: Gmail, Microsoft and Yahoo refuse or distrust mail from addresses without reverse DNS.", capFirst(who)),
			Fix:     fmt.Sprintf("Ask %s to publish a PTR record for %s naming %s, a name whose A/AAAA record is %s.", whose, p.IP, name, p.IP)}, true
	case !p.Confirmed:
		return Finding{Code: CodePTRNotConfirmed, Severity: Warning, Ref: "RFC 8601 §3", Evidence: ev,
			Message: fmt.Sprintf("%s has the PTR name %s, which does not resolve back to it: the reverse DNS is not forward-confirmed.", capFirst(who), strings.TrimSuffix(p.Names[0], ".")),
			Fix:     fmt.Sprintf("Publish an A/AAAA record for %s with the value %s (or have the PTR changed to a name that has it).", strings.TrimSuffix(p.Names[0], "."), p.IP)}, true
	case p.Generic:
		sev := Warning
		if p.Host != "" {
			sev = Info // an MX that only receives is not judged by its name
		}
		return Finding{Code: CodePTRGeneric, Severity: sev, Evidence: ev,
			Message: fmt.Sprintf("%s has the PTR name %s, which looks like an ISP's generic name for customer addresses (%s): receivers treat such names as end-user machines, not mail servers.",
				capFirst(who), p.ConfirmedName, p.GenericWhy),
			Fix: fmt.Sprintf("Ask %s to set the PTR of %s to %s (with an A/AAAA record of %s), a name in your own domain.", whose, p.IP, name, p.IP)}, true
	}
	return Finding{}, false
}

func capFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
