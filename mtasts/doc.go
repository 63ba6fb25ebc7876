// Package mtasts checks a domain's SMTP MTA Strict Transport Security (MTA-STS,
// RFC 8461) as a sending MTA sees it.
//
// A domain announces a policy with a TXT record at _mta-sts.<domain> ("v=STSv1;
// id=..."); the policy itself is a small text file served at
// https://mta-sts.<domain>/.well-known/mta-sts.txt with a certificate valid for that
// name. It lists the MX host patterns senders may deliver to over authenticated TLS and
// a mode: under "enforce", a sender that cannot match an MX host to a pattern (or cannot
// authenticate its certificate) does not deliver to it, so a policy that forgets an MX
// host loses the mail routed there. Check fetches the policy the way a sender does (no
// redirects, text/plain, at most 64 KiB, bounded time), resolving every name through the
// caller's resolver, and matches every MX host against the patterns (RFC 8461 §4.1).
//
// The package reports facts and findings; it does not score.
package mtasts
