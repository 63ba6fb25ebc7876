package milter

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// Listen opens a listener for a milter socket in the forms Postfix and Sendmail
// write them:
//
//	inet:127.0.0.1:8891   inet:[::1]:8891   inet:8891@127.0.0.1 (Sendmail)
//	inet6:[::1]:8891      inet6:8891@::1
//	unix:/run/mailcheck/milter.sock       local:/path (Sendmail's name)
//
// A Unix socket left behind by an earlier run is removed first; the socket is made
// group- and world-writable (0666) so the MTA's user can connect: put it in a
// directory only the MTA can reach.
func Listen(spec string) (net.Listener, error) {
	kind, addr, ok := strings.Cut(spec, ":")
	if !ok || addr == "" {
		return nil, fmt.Errorf("milter: socket %q: write inet:HOST:PORT or unix:PATH", spec)
	}
	switch strings.ToLower(kind) {
	case "unix", "local":
		if !strings.HasPrefix(addr, "/") {
			return nil, fmt.Errorf("milter: socket %q: the Unix socket path must be absolute", spec)
		}
		if fi, err := os.Lstat(addr); err == nil {
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, fmt.Errorf("milter: socket %q: %s exists and is not a socket", spec, addr)
			}
			// A socket nothing answers on is a leftover; one that answers is in use.
			if c, err := net.Dial("unix", addr); err == nil {
				c.Close()
				return nil, fmt.Errorf("milter: socket %q: another process is listening on it", spec)
			}
			os.Remove(addr)
		}
		ln, err := net.Listen("unix", addr)
		if err != nil {
			return nil, fmt.Errorf("milter: %w", err)
		}
		if err := os.Chmod(addr, 0o666); err != nil {
			ln.Close()
			return nil, fmt.Errorf("milter: %w", err)
		}
		return ln, nil
	case "inet", "inet6":
		network := "tcp4"
		if strings.ToLower(kind) == "inet6" {
			network = "tcp6"
		}
		hostPort, err := inetAddress(addr)
		if err != nil {
			return nil, fmt.Errorf("milter: socket %q: %w", spec, err)
		}
		if strings.Contains(hostPort, "[") || strings.Count(hostPort, ":") > 1 {
			network = "tcp6"
		}
		ln, err := net.Listen(network, hostPort)
		if err != nil {
			return nil, fmt.Errorf("milter: %w", err)
		}
		return ln, nil
	}
	return nil, fmt.Errorf("milter: socket %q: unknown kind %q (inet, inet6 or unix)", spec, kind)
}

// inetAddress turns "HOST:PORT", "[V6]:PORT", "PORT@HOST" or "PORT" into
// net.Listen's "HOST:PORT"; a bare port listens on loopback only, since a milter
// open to the network lets anyone ask it to check (and hold) mail.
func inetAddress(addr string) (string, error) {
	if port, host, ok := strings.Cut(addr, "@"); ok {
		if host == "" {
			return "", errors.New("no host after @")
		}
		return net.JoinHostPort(strings.Trim(host, "[]"), port), nil
	}
	if !strings.Contains(addr, ":") {
		return net.JoinHostPort("127.0.0.1", addr), nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", err
	}
	return addr, nil
}
