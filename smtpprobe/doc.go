// Package smtpprobe connects to a domain's mail servers the way a sending MTA does and
// reports how they offer TLS: per MX address, the greeting, EHLO, whether STARTTLS is
// offered (RFC 3207), the negotiated TLS version and cipher suite, and the certificate
// chain with its names checked against the MX host name (RFC 7817 §3, as MTA-STS and
// DANE senders check it) and its expiry.
//
// A probe contacts the domain's servers, and many networks block outbound port 25, so
// mailcheck runs it only when asked. It ends every session with QUIT after the TLS
// handshake and never sends MAIL: no message is ever started. Time is bounded per host
// and in all; a host that does not answer is unknown, never "insecure".
//
// Names are resolved through the caller's resolver, never the system's.
package smtpprobe
