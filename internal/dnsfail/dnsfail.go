// Package dnsfail is the one rule every mailcheck check follows when a DNS lookup does
// not give an answer: Classify names the failure from the error value alone, and
// Finding builds the "<area>.dns-error" finding with the same severity, wording and
// fix everywhere.
//
// A failed lookup (SERVFAIL, REFUSED, a timeout, a CNAME loop, a connection that was
// refused or closed) leaves the result unknown. It is never reported as a missing
// record and never gets a "publish" fix: the record may be there, behind servers that
// do not answer (RFC 7208 §4.4 calls it temperror; DMARC and DKIM receivers defer).
// NXDOMAIN and NODATA are answers, not failures (RFC 2308, RFC 8020).
//
// Classify works with errors from a plain *net.Resolver (a *net.DNSError with its
// IsNotFound, IsTimeout and IsTemporary fields) and, in more detail, with the
// sentinel errors declared here, which dnscheck re-exports and wraps into the
// *net.DNSError values its Lookup methods return. The protocol packages therefore
// need only this package, not dnscheck, to tell failures apart.
package dnsfail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// Kind names why a lookup gave no records, in DNS terms. It is the Evidence.Rcode of
// a dns-error finding.
type Kind string

// The kinds. NXDOMAIN, NODATA and NotFound are answers ("no such record"); every
// other kind is a failure that leaves the result unknown.
const (
	// NXDOMAIN: the name does not exist (RCODE 3).
	NXDOMAIN Kind = "NXDOMAIN"
	// NODATA: the name exists without records of the asked type (RFC 2308 §2.2).
	NODATA Kind = "NODATA"
	// NotFound: NXDOMAIN or NODATA, from a resolver that does not say which.
	NotFound Kind = "not found"

	// ServFail: the server could not answer (RCODE 2): broken DNSSEC, a lame
	// delegation, unreachable authoritative servers.
	ServFail Kind = "SERVFAIL"
	// Refused: the server will not answer this question (RCODE 5).
	Refused Kind = "REFUSED"
	// Timeout: no answer arrived in time.
	Timeout Kind = "timeout"
	// CNAMELoop: the CNAME chain comes back to a name already on it.
	CNAMELoop Kind = "CNAME loop"
	// CNAMEChainTooLong: the CNAME chain is longer than resolvers follow.
	CNAMEChainTooLong Kind = "CNAME chain too long"
	// ConnRefused: the server's port refused the connection (nothing listens there).
	ConnRefused Kind = "connection refused"
	// ConnClosed: the connection was closed or reset before an answer came.
	ConnClosed Kind = "connection closed"
	// Canceled: the caller gave up (a cancelled context) before an answer came.
	Canceled Kind = "cancelled"
	// ServerMisbehaving: an error response without a more precise rcode, as
	// *net.Resolver reports REFUSED, NOTIMP and FORMERR.
	ServerMisbehaving Kind = "server misbehaving"
	// Unknown: any other failure.
	Unknown Kind = "error"
)

// Failed reports whether k is a failure (the result is unknown), as opposed to no
// error or an answer that says the record does not exist.
func (k Kind) Failed() bool {
	switch k {
	case "", NXDOMAIN, NODATA, NotFound:
		return false
	}
	return true
}

// Sentinel errors. dnscheck re-exports them under the same names (dnscheck.ErrServFail
// is ErrServFail), so errors.Is works whichever package a caller imports.
var (
	// ErrNXDOMAIN: the name does not exist.
	ErrNXDOMAIN error = &negativeAnswer{"dnscheck: no such domain (NXDOMAIN)", true}
	// ErrNODATA: the name exists but has no record of the asked type.
	ErrNODATA error = &negativeAnswer{"dnscheck: no record of that type (NODATA)", false}
	// ErrServFail: the server failed (SERVFAIL), e.g. broken DNSSEC or a lame delegation.
	ErrServFail = errors.New("dnscheck: server failure (SERVFAIL)")
	// ErrRefused: the server refused the question (REFUSED).
	ErrRefused = errors.New("dnscheck: query refused (REFUSED)")
	// ErrCNAMELoop: the answer's CNAME chain comes back to a name already on it.
	ErrCNAMELoop = errors.New("dnscheck: CNAME loop")
	// ErrCNAMEChainTooLong: the answer's CNAME chain is longer than is followed.
	ErrCNAMEChainTooLong = errors.New("dnscheck: CNAME chain too long")
	// ErrTimeout: no server answered in time.
	ErrTimeout = errors.New("dnscheck: no answer from any server in time")
	// ErrConnRefused: every server tried refused the connection (ICMP port
	// unreachable for UDP, RST for TCP): no DNS server listens at the address.
	ErrConnRefused = errors.New("dnscheck: connection refused by every server tried")
	// ErrConnClosed: the connection was closed or reset before an answer arrived.
	ErrConnClosed = errors.New("dnscheck: connection closed before an answer")
)

// RcodeError is an error response with an rcode that has no sentinel (NOTIMP,
// FORMERR, ...).
type RcodeError struct {
	// Rcode is the mnemonic, e.g. "NOTIMP".
	Rcode string
}

func (e *RcodeError) Error() string { return "dnscheck: error response (" + e.Rcode + ")" }

// negativeAnswer is the type of ErrNXDOMAIN and ErrNODATA. Its NXDOMAIN method lets a
// package tell the two apart with errors.As and an interface{ NXDOMAIN() bool }.
type negativeAnswer struct {
	text string
	nx   bool
}

func (e *negativeAnswer) Error() string { return e.text }

// NXDOMAIN reports whether the name does not exist (RFC 8020), rather than existing
// without records of the asked type.
func (e *negativeAnswer) NXDOMAIN() bool { return e.nx }

// Classify names why a lookup failed. It returns "" for a nil error, NXDOMAIN, NODATA
// or NotFound for "no such record", and a failure kind otherwise.
func Classify(err error) Kind {
	if err == nil {
		return ""
	}
	var rc *RcodeError
	var neg interface{ NXDOMAIN() bool }
	switch {
	case errors.Is(err, ErrCNAMELoop):
		return CNAMELoop
	case errors.Is(err, ErrCNAMEChainTooLong):
		return CNAMEChainTooLong
	case errors.Is(err, ErrServFail):
		return ServFail
	case errors.Is(err, ErrRefused):
		return Refused
	case errors.As(err, &rc):
		return Kind(rc.Rcode)
	case errors.As(err, &neg):
		if neg.NXDOMAIN() {
			return NXDOMAIN
		}
		return NODATA
	// Cancelled before timed out: a waiter that gave up says nothing about the name.
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, ErrConnRefused), errors.Is(err, syscall.ECONNREFUSED):
		return ConnRefused
	case errors.Is(err, ErrConnClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return ConnClosed
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return Timeout
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		text := strings.ToLower(de.Err)
		switch {
		case de.IsTimeout:
			return Timeout
		case de.IsNotFound:
			return NotFound
		case strings.Contains(text, "servfail"):
			return ServFail
		case strings.Contains(text, "refused") && strings.Contains(text, "connection"):
			return ConnRefused
		case strings.Contains(text, "refused"):
			return Refused
		case strings.Contains(text, "server misbehaving") && de.IsTemporary:
			// net.Resolver's only temporary "server misbehaving" is RCODE 2.
			return ServFail
		case strings.Contains(text, "server misbehaving"):
			return ServerMisbehaving
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return Timeout
	}
	return Unknown
}

// IsNotFound reports whether err means "no such record" (NXDOMAIN or NODATA), the
// one case a check may report as missing.
func IsNotFound(err error) bool {
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound {
		return true
	}
	k := Classify(err)
	return k != "" && !k.Failed()
}

// Finding builds the <area>.dns-error finding for a lookup of qtype at name that
// failed with err. unknown says what the failure leaves undecided, as a clause
// ("the DMARC policy that applies to example.com"); ref is the rule that says what
// receivers do on such a failure. Every check reports DNS failures with this one
// builder, so they read and weigh the same: a warning, Incomplete, with a fix that
// asks for the name servers to answer, never to publish a record.
func Finding(code finding.Code, name, qtype string, err error, unknown, ref string) finding.Finding {
	k := Classify(err)
	if !k.Failed() {
		k = Unknown
	}
	detail := ""
	if err != nil {
		detail = err.Error()
	}
	return finding.Finding{
		Code: code, Severity: finding.Warning, Incomplete: true,
		Message: fmt.Sprintf("The %s lookup of %s failed (%s), so %s is unknown: not missing, not failed, until the name servers answer.",
			qtype, name, k, unknown),
		Fix:      Fix(k, name, qtype),
		Ref:      ref,
		Evidence: &finding.Evidence{Name: name, Type: qtype, Rcode: string(k), Detail: detail},
	}
}

// Fix says what makes a failed lookup answer; it never suggests publishing a record,
// since the record may already be there.
func Fix(k Kind, name, qtype string) string {
	switch k {
	case ServFail:
		return fmt.Sprintf("Make the name servers for %s answer %s queries: SERVFAIL usually means a broken DNSSEC chain "+
			"(expired signatures, a DS record that matches no key) or a delegation to servers that do not serve the zone; "+
			"if `dig +cd %s %s` answers where `dig %s %s` does not, it is DNSSEC.", name, qtype, name, qtype, name, qtype)
	case Refused, ServerMisbehaving:
		return fmt.Sprintf("Make the name servers for %s answer %s queries: a server refused the question, which usually means the "+
			"delegation points at servers that do not host the zone (or the resolver asked does not serve you).", name, qtype)
	case Timeout:
		return fmt.Sprintf("Make the name servers for %s answer %s queries: none answered in time. Check that they are up and "+
			"reachable on port 53 over UDP and TCP, then run the check again (with more time if the resolver is slow).", name, qtype)
	case CNAMELoop:
		return fmt.Sprintf("Correct the CNAME records from %s: the chain comes back to a name already on it, so no resolver can "+
			"answer; make it end at the name that holds the records.", name)
	case CNAMEChainTooLong:
		return fmt.Sprintf("Shorten the CNAME chain from %s: it is longer than resolvers follow; point the first alias at the "+
			"name that holds the records.", name)
	case ConnRefused:
		return "Check the resolver address (--resolver, or the nameservers in /etc/resolv.conf): nothing answers DNS there."
	case ConnClosed:
		return fmt.Sprintf("Make the name servers for %s answer %s queries over both UDP and TCP: the connection was closed "+
			"before an answer came.", name, qtype)
	case Canceled:
		return "The check was stopped before the answer came; run it again."
	}
	return fmt.Sprintf("Make the name servers for %s answer %s queries, then run the check again.", name, qtype)
}
