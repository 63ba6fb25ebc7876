// Package dmarc checks a domain's DMARC setup: it parses DMARC Policy Records, finds
// the record that applies to a domain, works out the policy receivers will apply, and
// checks where aggregate and failure reports go.
//
// DMARC (RFC 9989, which obsoletes RFC 7489) lets the owner of the domain in a
// message's From header publish, in a TXT record at _dmarc.<domain>, what receivers
// should do with mail that fails SPF and DKIM alignment (p, sp and np: none,
// quarantine or reject) and where to send reports (rua, ruf; RFC 9990 and 9991).
// A domain without its own record inherits one from its Organizational Domain or a
// Public Suffix Domain, found by a DNS Tree Walk (RFC 9989 §4.10) of at most eight
// queries. Many receivers still run RFC 7489 code, which finds the Organizational
// Domain with the Public Suffix List, requires p, reads pct, and ignores np, psd and
// t; this package gives the RFC 9989 verdict and reports where RFC 7489 receivers
// would differ.
//
// The package reports facts and findings with stable codes (dmarc.*); it does not
// score. Lookups go through a Resolver with the method shapes of *net.Resolver.
package dmarc
