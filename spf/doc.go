// Package spf implements the Sender Policy Framework, RFC 7208: parsing SPF records,
// the check_host() evaluation a receiver runs for a client IP, and a domain audit that
// explains a published policy without any IP.
//
// A domain publishes one TXT record starting with "v=spf1" that lists the hosts allowed
// to send mail using the domain in MAIL FROM (or HELO). A receiver evaluates the terms
// left to right for the connecting IP: mechanisms (ip4, ip6, a, mx, ptr, exists,
// include, all) either match, giving the result of their qualifier, or fall through;
// the redirect modifier hands the evaluation to another domain when nothing matched,
// and exp= supplies the text of a fail. To bound the work a record can cause, RFC 7208
// §4.6.4 allows at most 10 DNS-querying terms and 2 void lookups per evaluation;
// exceeding either is a permerror, which many receivers treat like a fail. The audit
// (Check) walks the whole include/redirect tree concurrently and reports, with stable
// finding codes, what a receiver would stop on.
//
// The package needs only a Resolver with the shapes of *net.Resolver's methods, so
// net.DefaultResolver works; github.com/mailcheck/mailcheck/dnscheck adds caching and
// rcode-level detail.
package spf

import "github.com/mailcheck/mailcheck/internal/finding"

// Finding is the module's diagnostic type.
type Finding = finding.Finding

// Code identifies a kind of finding (see the package's Code constants).
type Code = finding.Code

// Severity is a finding's severity.
type Severity = finding.Severity
