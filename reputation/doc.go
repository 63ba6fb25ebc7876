// Package reputation looks a domain's mail addresses and the domain itself up in DNS
// blocklists (DNSBLs, RFC 5782): the sending IPs and the MX hosts' addresses in IP
// lists (the address reversed, octet by octet for IPv4 and nibble by nibble for IPv6,
// RFC 5782 §2.1 and §2.4, under the list's zone), the domain in domain lists (RFC 5782
// §2.3). An NXDOMAIN answer means "not listed"; an A record in 127.0.0.0/8 is a return
// code, read with the list's own published meanings (List).
//
// Some answers are not listings at all: Spamhaus answers 127.255.255.252/254/255 to a
// query with a typo in the zone, through a public resolver, or over its free quota, and
// SURBL 127.0.0.1 to a blocked querier. They mean "this list did not answer": the
// result is StateRefused, never StateListed. A code the list does not publish is read
// the same way, since a resolver that rewrites NXDOMAIN to an advertising address would
// otherwise make every address look listed.
//
// The package reports facts (a Result per list and address) and findings; the root
// package scores them.
package reputation
