// Package tlsrpt checks a domain's SMTP TLS Reporting record (TLS-RPT, RFC 8460).
//
// A TXT record at _smtp._tls.<domain> ("v=TLSRPTv1; rua=mailto:...") asks sending MTAs
// to send a daily report of the TLS connections they made, or failed to make, to the
// domain's MX hosts: the only way an owner learns that senders honouring MTA-STS or DANE
// cannot deliver. Reports go to mailto: or https: URIs. The package parses the record
// by the RFC 8460 §3 grammar, checks each URI, and reports facts and findings; it does
// not score.
package tlsrpt
