// Package smtptest runs a minimal SMTP server on 127.0.0.1 for tests of the STARTTLS
// probe: a banner, EHLO, STARTTLS with a chosen certificate and TLS versions, QUIT, and
// ways to misbehave (no STARTTLS, a hang after the banner, a refused greeting). It logs
// every command, so tests can assert that no MAIL command was ever sent.
package smtptest

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
)

// Options shape the server's behaviour.
type Options struct {
	// Cert is presented after STARTTLS; nil means STARTTLS is not offered.
	Cert *tls.Certificate
	// MinVersion and MaxVersion bound the TLS versions the server accepts (0: Go's).
	MinVersion, MaxVersion uint16
	// CipherSuites limits the TLS 1.0–1.2 suites the server accepts (nil: Go's).
	CipherSuites []uint16
	// Hang sends the banner and then never answers.
	Hang bool
	// Banner replaces the greeting line ("220 mx.test ESMTP" by default).
	Banner string
	// AcceptMail takes MAIL, RCPT and DATA, and keeps each message (Messages).
	AcceptMail bool
}

// Server is a running SMTP server.
type Server struct {
	// Addr is 127.0.0.1:port.
	Addr string
	// Port is the port number of Addr.
	Port int

	opts  Options
	ln    net.Listener
	mu    sync.Mutex
	cmds  []string
	msgs  []string
	conns []net.Conn
	wg    sync.WaitGroup
}

// Start runs a server until the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smtptest: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port, opts: opts, ln: ln}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server and drops its connections.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Commands returns the command verbs received so far, upper case ("EHLO", "STARTTLS").
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

// Messages returns the messages received so far (AcceptMail), as sent after DATA with
// the dot-stuffing undone.
func (s *Server) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	banner := s.opts.Banner
	if banner == "" {
		banner = "220 mx.test ESMTP"
	}
	w := func(lines ...string) bool {
		_, err := c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
		return err == nil
	}
	if !w(banner) {
		return
	}
	r := bufio.NewReader(c)
	if s.opts.Hang {
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
	}
	secure := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.Fields(strings.TrimSpace(line) + " x")[0])
		s.mu.Lock()
		s.cmds = append(s.cmds, verb)
		s.mu.Unlock()
		switch verb {
		case "EHLO":
			if s.opts.Cert != nil && !secure {
				w("250-mx.test", "250-PIPELINING", "250 STARTTLS")
			} else if s.opts.AcceptMail {
				w("250-mx.test", "250-8BITMIME", "250 SIZE 104857600")
			} else {
				w("250-mx.test", "250 PIPELINING")
			}
		case "HELO":
			w("250 mx.test")
		case "STARTTLS":
			if s.opts.Cert == nil || secure {
				w("502 5.5.1 not supported")
				continue
			}
			w("220 2.0.0 ready")
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{*s.opts.Cert},
				MinVersion: s.opts.MinVersion, MaxVersion: s.opts.MaxVersion, CipherSuites: s.opts.CipherSuites})
			if err := tc.Handshake(); err != nil {
				return
			}
			c, r, secure = tc, bufio.NewReader(tc), true
		case "QUIT":
			w("221 2.0.0 bye")
			return
		case "MAIL", "RCPT", "RSET", "NOOP":
			if !s.opts.AcceptMail {
				w("502 5.5.2 not implemented")
				continue
			}
			w("250 2.0.0 ok")
		case "DATA":
			if !s.opts.AcceptMail {
				w("502 5.5.2 not implemented")
				continue
			}
			w("354 go ahead")
			var msg strings.Builder
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if line == ".\r\n" {
					break
				}
				msg.WriteString(strings.TrimPrefix(line, ".")) // RFC 5321 §4.5.2
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, msg.String())
			s.mu.Unlock()
			w("250 2.0.0 queued")
		default:
			w("502 5.5.2 not implemented")
		}
	}
}
