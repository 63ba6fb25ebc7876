// Package netdial dials TCP connections to host names resolved through the caller's
// resolver (for mailcheck, the dnscheck.Resolver of the run, so a zone file decides
// where an HTTPS fetch or an SMTP probe goes), never through the system resolver.
//
// A Dialer can refuse addresses (Allow): with a zone file, mailcheck dials only
// loopback, so an offline run never reaches the network, whatever the zone says.
package netdial

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// AddrResolver is the lookup a Dialer needs, with *net.Resolver's shape.
type AddrResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ErrNotAllowed is wrapped when Allow refused every address of a host.
var ErrNotAllowed = errors.New("netdial: address not allowed")

// Dialer connects to host:port by the addresses its Resolver gives for host.
type Dialer struct {
	Resolver AddrResolver
	// Allow, when set, is asked before each address is dialed; a non-nil error skips
	// the address (and is returned, wrapping ErrNotAllowed, if no address is left).
	Allow func(netip.Addr) error
	// Timeout bounds each connection attempt; the context bounds them all.
	Timeout time.Duration
}

// LookupError is a failed resolution of the host: Err is the resolver's error (a
// *net.DNSError whose IsNotFound tells a missing name from a failed lookup).
type LookupError struct {
	Host string
	Err  error
}

func (e *LookupError) Error() string { return fmt.Sprintf("resolving %s: %v", e.Host, e.Err) }
func (e *LookupError) Unwrap() error { return e.Err }

// Addrs resolves host through the Resolver (an IP literal is returned as it is).
func (d *Dialer) Addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := d.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, &LookupError{Host: host, Err: err}
	}
	if len(addrs) == 0 {
		return nil, &LookupError{Host: host, Err: &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}}
	}
	return addrs, nil
}

// DialContext has net.Dialer's shape, for http.Transport: it resolves the host part of
// address and tries each address in turn.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := d.Addrs(ctx, host)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("netdial: bad port %q", port)
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.DialAddr(ctx, network, netip.AddrPortFrom(a, uint16(p)))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// DialAddr dials one address, if Allow lets it.
func (d *Dialer) DialAddr(ctx context.Context, network string, ap netip.AddrPort) (net.Conn, error) {
	if d.Allow != nil {
		if err := d.Allow(ap.Addr()); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrNotAllowed, ap.Addr(), err)
		}
	}
	nd := net.Dialer{Timeout: d.Timeout}
	return nd.DialContext(ctx, network, ap.String())
}

// LoopbackOnly is an Allow function that refuses every address outside 127.0.0.0/8
// and ::1: the guard of an offline (zone-file) run.
func LoopbackOnly(a netip.Addr) error {
	if a.Unmap().IsLoopback() {
		return nil
	}
	return errors.New("offline run (zone file): only loopback addresses are dialed")
}
