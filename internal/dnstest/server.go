// Package dnstest runs a real DNS server on 127.0.0.1 for tests: it serves a zone over
// UDP and TCP on one port, can be told to misbehave per name and type (latency,
// SERVFAIL, REFUSED, silence, truncation), and logs every query it receives. Tests talk
// to it through a real dnscheck.Resolver, so they exercise the wire, not a mock.
package dnstest

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/miekg/dns"
)

// Fault is how the server misbehaves for one name and type.
type Fault struct {
	// Latency delays the answer.
	Latency time.Duration
	// Rcode, when non-zero, replaces the answer with this response code and no records
	// (dns.RcodeServerFailure, dns.RcodeRefused, ...).
	Rcode int
	// Drop sends no answer at all, so the client times out.
	Drop bool
	// Truncate answers UDP queries with the TC bit and no records, forcing TCP.
	Truncate bool
}

// Query is one logged question.
type Query struct {
	Name  string // lower-case FQDN
	Type  string // "TXT", "A", ...
	Proto string // "udp" or "tcp"
}

// Timed is a logged question with its timing: Start is when it arrived, End when the
// answer was sent (zero while pending, or when it was dropped). A benchmark's timeline.
type Timed struct {
	Query
	Start, End time.Time
}

// Server is a running in-process DNS server.
type Server struct {
	// Addr is 127.0.0.1:port, for both UDP and TCP.
	Addr string

	zone *dnscheck.Zone
	udp  *dns.Server
	tcp  *dns.Server

	mu      sync.Mutex
	faults  map[faultKey]Fault
	latency time.Duration
	log     []Timed
	gen     int // bumped by ResetLog, so a late answer does not stamp a new log
}

type faultKey struct {
	name  string
	qtype uint16 // 0: every type
}

// Zone parses master-file text for a test, failing the test on a syntax error.
func Zone(tb testing.TB, text string) *dnscheck.Zone {
	tb.Helper()
	z, err := dnscheck.ParseZone(strings.NewReader(text), tb.Name())
	if err != nil {
		tb.Fatalf("dnstest: bad zone: %v", err)
	}
	return z
}

// Start runs a server for zone and stops it when the test ends.
func Start(tb testing.TB, zone *dnscheck.Zone) *Server {
	tb.Helper()
	s, err := Listen(zone)
	if err != nil {
		tb.Fatalf("dnstest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Listen starts a server for zone on a free loopback port (UDP and TCP). Close stops it.
func Listen(zone *dnscheck.Zone) (*Server, error) {
	s := &Server{zone: zone, faults: map[faultKey]Fault{}}
	var lastErr error
	for try := 0; try < 20; try++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil { // the port is taken for TCP: pick another
			pc.Close()
			lastErr = err
			continue
		}
		// A burst of queries (a bulk benchmark at 64 or more at once) overflowed the
		// default 208 KiB receive buffer while the server, sharing the cores with its
		// client, fell behind: /proc/net/udp counted the drops on this socket alone.
		// The kernel caps the request at net.core.rmem_max.
		if uc, ok := pc.(*net.UDPConn); ok {
			uc.SetReadBuffer(4 << 20)
		}
		s.Addr = pc.LocalAddr().String()
		s.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve("udp"))}
		s.tcp = &dns.Server{Listener: l, Handler: dns.HandlerFunc(s.serve("tcp"))}
		udpUp, tcpUp := make(chan struct{}), make(chan struct{})
		s.udp.NotifyStartedFunc = func() { close(udpUp) }
		s.tcp.NotifyStartedFunc = func() { close(tcpUp) }
		go s.udp.ActivateAndServe()
		go s.tcp.ActivateAndServe()
		<-udpUp
		<-tcpUp
		return s, nil
	}
	return nil, fmt.Errorf("no free port for UDP and TCP: %v", lastErr)
}

// Close stops the server.
func (s *Server) Close() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

// SetFault makes the server misbehave for name and qtype (0 for every type).
func (s *Server) SetFault(name string, qtype uint16, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[faultKey{strings.ToLower(dns.Fqdn(name)), qtype}] = f
}

// SetLatency delays every answer, e.g. to measure round trips in benchmarks.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Log returns the queries received so far.
func (s *Server) Log() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Query, len(s.log))
	for i, t := range s.log {
		out[i] = t.Query
	}
	return out
}

// Timeline returns the queries received so far with their arrival and answer times.
func (s *Server) Timeline() []Timed {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Timed(nil), s.log...)
}

// Count returns how many queries for name and type ("" for any type) arrived.
func (s *Server) Count(name, qtype string) int {
	name = strings.ToLower(dns.Fqdn(name))
	n := 0
	for _, q := range s.Log() {
		if q.Name == name && (qtype == "" || q.Type == qtype) {
			n++
		}
	}
	return n
}

// ResetLog forgets the logged queries.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
	s.gen++
}

// Resolver returns a fresh dnscheck.Resolver (empty cache) that asks only this server,
// with a short per-attempt timeout so fault tests run quickly.
func (s *Server) Resolver(tb testing.TB) *dnscheck.Resolver {
	tb.Helper()
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{s.Addr}, Timeout: 300 * time.Millisecond, Attempts: 2})
	if err != nil {
		tb.Fatalf("dnstest: %v", err)
	}
	return r
}

func (s *Server) serve(proto string) func(dns.ResponseWriter, *dns.Msg) {
	return func(w dns.ResponseWriter, req *dns.Msg) {
		if len(req.Question) == 0 {
			return
		}
		q := req.Question[0]
		name := strings.ToLower(dns.Fqdn(q.Name))
		s.mu.Lock()
		s.log = append(s.log, Timed{Query: Query{Name: name, Type: dns.TypeToString[q.Qtype], Proto: proto}, Start: time.Now()})
		at, gen := len(s.log)-1, s.gen
		f, ok := s.faults[faultKey{name, q.Qtype}]
		if !ok {
			f = s.faults[faultKey{name, 0}]
		}
		latency := s.latency + f.Latency
		s.mu.Unlock()

		if latency > 0 {
			time.Sleep(latency)
		}
		if f.Drop {
			return
		}
		var resp *dns.Msg
		switch {
		case f.Rcode != 0:
			resp = new(dns.Msg)
			resp.SetRcode(req, f.Rcode)
		case f.Truncate && proto == "udp":
			resp = new(dns.Msg)
			resp.SetReply(req)
			resp.Truncated = true
		default:
			resp = s.zone.Answer(req)
		}
		if opt := req.IsEdns0(); opt != nil {
			resp.SetEdns0(opt.UDPSize(), opt.Do()) // RFC 3225 §3: the DO bit is echoed
		}
		if proto == "udp" {
			resp.Truncate(udpSize(req)) // RFC 6891 §7: honour the client's buffer size
		}
		s.mu.Lock()
		if s.gen == gen && at < len(s.log) {
			s.log[at].End = time.Now()
		}
		s.mu.Unlock()
		w.WriteMsg(resp)
	}
}

func udpSize(req *dns.Msg) int {
	if opt := req.IsEdns0(); opt != nil && opt.UDPSize() > dns.MinMsgSize {
		return int(opt.UDPSize())
	}
	return dns.MinMsgSize
}
