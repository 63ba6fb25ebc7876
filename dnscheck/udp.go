package dnscheck

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Connected UDP sockets are kept for reuse: opening, connecting and closing a socket
// per query was a fifth of a bulk run's CPU. A socket serves one query at a time.
const (
	// maxIdleSockets bounds the idle sockets kept per server.
	maxIdleSockets = 256
	// socketIdle is how long an idle socket is kept: the Resolver needs no Close.
	socketIdle = 5 * time.Second
	// maxSocketUses retires a socket after this many queries, so its source port,
	// with the query ID the guess an off-path forger must make (RFC 5452 §9.2), keeps
	// changing; the dial is then a small share of the cost.
	maxSocketUses = 100
	// udpReadSize is the read buffer: an answer larger than the advertised EDNS size
	// (RFC 6891 §6.2.5 forbids it) is still read whole, up to this.
	udpReadSize = 4096
)

// udpSocket is one connected UDP socket, owned by one query at a time.
type udpSocket struct {
	conn      *net.UDPConn
	buf       []byte
	uses      int
	idleSince time.Time
}

// udpPool holds the idle sockets to one server.
type udpPool struct {
	server string
	addr   *net.UDPAddr

	mu     sync.Mutex
	idle   []*udpSocket // oldest first: taken and given back at the end
	reaper *time.Timer  // set while idle is not empty
	closed bool
}

func newUDPPool(server string) (*udpPool, error) {
	addr, err := net.ResolveUDPAddr("udp", server) // an IP:port: no lookup
	if err != nil {
		return nil, err
	}
	return &udpPool{server: server, addr: addr}, nil
}

// get returns an idle socket, or a new one: the kernel picks a random source port
// for it.
func (p *udpPool) get() (*udpSocket, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		s := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return s, nil
	}
	p.mu.Unlock()
	conn, err := net.DialUDP("udp", nil, p.addr)
	if err != nil {
		return nil, err
	}
	return &udpSocket{conn: conn, buf: make([]byte, udpReadSize)}, nil
}

// put gives back a socket whose query got its answer; a socket retired, over the
// bound, or given back after close is closed instead.
func (p *udpPool) put(s *udpSocket) {
	s.uses++
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || s.uses >= maxSocketUses || len(p.idle) >= maxIdleSockets {
		s.conn.Close()
		return
	}
	s.idleSince = time.Now()
	p.idle = append(p.idle, s)
	if p.reaper == nil {
		p.reaper = time.AfterFunc(socketIdle, p.reap)
	}
}

// reap closes the sockets idle for socketIdle, and comes back for the others.
func (p *udpPool) reap() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reaper == nil { // close ran first
		return
	}
	now := time.Now()
	n := 0
	for n < len(p.idle) && now.Sub(p.idle[n].idleSince) >= socketIdle {
		p.idle[n].conn.Close()
		n++
	}
	clear(p.idle[:n])
	p.idle = p.idle[n:]
	if len(p.idle) == 0 {
		p.idle, p.reaper = nil, nil
		return
	}
	p.reaper.Reset(socketIdle - now.Sub(p.idle[0].idleSince))
}

// close closes the idle sockets; the sockets in use are closed when given back.
func (p *udpPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, s := range p.idle {
		s.conn.Close()
	}
	p.idle = nil
	if p.reaper != nil {
		p.reaper.Stop()
		p.reaper = nil
	}
}

// exchange sends q over UDP on a pooled socket with a fresh random ID and waits for
// its answer until deadline or until ctx ends. RFC 5452 §3: an answer is accepted only
// from the server's address and port (the socket is connected, so the kernel drops
// other sources), with the query's ID and the same question; anything else is dropped
// and reading goes on. The socket goes back to the pool only after its answer, so a
// late answer to an abandoned query never meets the next one.
func (p *udpPool) exchange(ctx context.Context, q *dns.Msg, deadline time.Time) (*dns.Msg, error) {
	s, err := p.get()
	if err != nil {
		return nil, err
	}
	m := q.Copy() // packing writes to the OPT record, which other attempts share
	m.Id = dns.Id()
	out, err := m.PackBuffer(s.buf)
	if err != nil {
		s.conn.Close()
		return nil, err
	}
	if err := s.conn.SetDeadline(deadline); err != nil {
		s.conn.Close()
		return nil, err
	}
	// A cancelled attempt (another one answered) stops reading now, not at deadline.
	stop := context.AfterFunc(ctx, func() { s.conn.SetReadDeadline(time.Unix(1, 0)) })
	resp, err := s.roundTrip(out, m)
	if !stop() || err != nil {
		// Unanswered, or ctx's function has moved the deadline: not for reuse.
		s.conn.Close()
	} else {
		p.put(s)
	}
	return resp, err
}

// roundTrip writes the packed query and reads until the matching answer.
func (s *udpSocket) roundTrip(out []byte, q *dns.Msg) (*dns.Msg, error) {
	if _, err := s.conn.Write(out); err != nil {
		return nil, err
	}
	for {
		n, err := s.conn.Read(s.buf)
		if err != nil {
			// The deadline, or an ICMP error (port unreachable: connection refused),
			// ends the attempt, as with a socket per query.
			return nil, err
		}
		if n < 12 || uint16(s.buf[0])<<8|uint16(s.buf[1]) != q.Id {
			continue // not ours: too short for a header, or another ID
		}
		resp := new(dns.Msg)
		if resp.Unpack(s.buf[:n]) != nil || !resp.Response || !sameQuestion(resp, q) {
			continue
		}
		return resp, nil
	}
}

// sameQuestion reports that an answer repeats the query's question (the name in any
// case: RFC 4343 §3 makes it case-insensitive).
func sameQuestion(resp, q *dns.Msg) bool {
	if len(resp.Question) != 1 || len(q.Question) != 1 {
		return false
	}
	a, b := resp.Question[0], q.Question[0]
	return a.Qtype == b.Qtype && a.Qclass == b.Qclass && strings.EqualFold(a.Name, b.Name)
}
