package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/mailcheck/mailcheck/internal/netdial"
)

// DefaultFetchTimeout bounds the policy fetch (connection, TLS and body).
const DefaultFetchTimeout = 10 * time.Second

// FailureKind says why a policy could not be fetched.
type FailureKind string

// The failure kinds. KindTimeout, KindDNS and KindNotDialed leave the outcome unknown;
// the others are what every sender would meet.
const (
	KindNoHost      FailureKind = "no-host"     // mta-sts.<domain> has no address
	KindDNS         FailureKind = "dns"         // resolving mta-sts.<domain> failed
	KindNotDialed   FailureKind = "not-dialed"  // the address was refused (an offline run)
	KindConnect     FailureKind = "connect"     // TCP connection failed (refused, unreachable)
	KindTimeout     FailureKind = "timeout"     // no answer in time
	KindCertificate FailureKind = "certificate" // the certificate does not verify for the name
	KindTLS         FailureKind = "tls"         // the TLS handshake failed otherwise
	KindRedirect    FailureKind = "redirect"    // a 3xx answer: senders do not follow redirects
	KindHTTPStatus  FailureKind = "http-status" // not 200
	KindContentType FailureKind = "content-type"
	KindTooLarge    FailureKind = "too-large"
	KindHTTP        FailureKind = "http" // any other HTTP failure
)

// Unknown reports a failure that says nothing certain about the domain.
func (k FailureKind) Unknown() bool { return k == KindTimeout || k == KindDNS || k == KindNotDialed }

// Fetch is the outcome of fetching a policy.
type Fetch struct {
	URL string `json:"url"`
	// Addresses are what mta-sts.<domain> resolved to.
	Addresses   []netip.Addr `json:"addresses,omitempty"`
	Status      int          `json:"status,omitempty"`
	ContentType string       `json:"content_type,omitempty"`
	// Location is the redirect target of a 3xx answer.
	Location string `json:"location,omitempty"`
	// Body is the policy text (at most MaxPolicySize bytes).
	Body string `json:"-"`
	// Certificate describes the server's leaf certificate, when one was seen.
	Certificate *CertInfo `json:"certificate,omitempty"`
	// Failure is empty when the policy was fetched.
	Failure FailureKind `json:"failure,omitempty"`
	Error   string      `json:"error,omitempty"`
}

// CertInfo is what a report shows of a certificate.
type CertInfo struct {
	Subject  string    `json:"subject"`
	Names    []string  `json:"names"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
}

func certInfo(c *x509.Certificate) *CertInfo {
	return &CertInfo{Subject: c.Subject.String(), Names: c.DNSNames, Issuer: c.Issuer.String(), NotAfter: c.NotAfter}
}

// PolicyHost is the name the policy is served at.
func PolicyHost(domain string) string { return "mta-sts." + domain }

// PolicyURL is the policy's well-known URL (RFC 8461 §3.3).
func PolicyURL(domain string) string {
	return "https://" + PolicyHost(domain) + "/.well-known/mta-sts.txt"
}

// FetchPolicy fetches the policy of domain as a sender does (RFC 8461 §3.3): HTTPS to
// mta-sts.<domain> resolved through the configured resolver, a certificate valid for
// that name, no redirects followed, a 200 answer of type text/plain, at most 64 KiB.
func FetchPolicy(ctx context.Context, domain string, opts ...Option) *Fetch {
	cfg := newConfig(opts)
	return fetch(ctx, cfg, domain)
}

func fetch(ctx context.Context, cfg *config, domain string) *Fetch {
	f := &Fetch{URL: PolicyURL(domain)}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	host := PolicyHost(domain)
	d := &netdial.Dialer{Resolver: cfg.resolver, Allow: cfg.allow, Timeout: cfg.timeout}
	addrs, err := d.Addrs(ctx, host)
	if err != nil {
		f.Failure, f.Error = KindDNS, err.Error()
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			f.Failure = KindNoHost
		} else if ctx.Err() != nil {
			f.Failure = KindTimeout
		}
		return f
	}
	f.Addresses = addrs
	port := strconv.Itoa(cfg.port)
	tr := &http.Transport{
		Proxy: nil, // a sender connects directly; and a proxy would take the fetch off the resolver
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var errs []error
			for _, a := range addrs {
				c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err == nil {
					return c, nil
				}
				errs = append(errs, err)
			}
			return nil, errors.Join(errs...)
		},
		TLSClientConfig:       &tls.Config{RootCAs: cfg.roots, ServerName: host, MinVersion: tls.VersionTLS12},
		DisableKeepAlives:     true,
		TLSHandshakeTimeout:   cfg.timeout,
		ResponseHeaderTimeout: cfg.timeout,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// RFC 8461 §3.3: "HTTP 3xx redirects MUST NOT be followed".
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
	if err != nil {
		f.Failure, f.Error = KindHTTP, err.Error()
		return f
	}
	resp, err := client.Do(req)
	if err != nil {
		f.Failure, f.Error = classify(ctx, err), trimURL(err)
		var cve *tls.CertificateVerificationError
		if errors.As(err, &cve) && len(cve.UnverifiedCertificates) > 0 {
			f.Certificate = certInfo(cve.UnverifiedCertificates[0])
		}
		return f
	}
	defer resp.Body.Close()
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		f.Certificate = certInfo(resp.TLS.PeerCertificates[0])
	}
	f.Status, f.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		f.Location = resp.Header.Get("Location")
		f.Failure, f.Error = KindRedirect, fmt.Sprintf("HTTP %d redirect to %q", resp.StatusCode, f.Location)
		return f
	case resp.StatusCode != http.StatusOK:
		f.Failure, f.Error = KindHTTPStatus, fmt.Sprintf("HTTP %d", resp.StatusCode)
		return f
	}
	// RFC 8461 §3.3: the media type is "text/plain"; parameters such as charset are fine.
	if mt, _, err := mime.ParseMediaType(f.ContentType); err != nil || mt != "text/plain" {
		f.Failure, f.Error = KindContentType, fmt.Sprintf("Content-Type %q, not text/plain", f.ContentType)
		return f
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		f.Failure, f.Error = classify(ctx, err), err.Error()
		return f
	}
	if len(body) > MaxPolicySize {
		f.Failure, f.Error = KindTooLarge, fmt.Sprintf("the policy is over %d bytes", MaxPolicySize)
		return f
	}
	f.Body = string(body)
	return f
}

// classify names the cause of a failed request.
func classify(ctx context.Context, err error) FailureKind {
	var cve *tls.CertificateVerificationError
	var ne net.Error
	switch {
	case errors.As(err, &cve):
		return KindCertificate
	case errors.Is(err, netdial.ErrNotAllowed):
		return KindNotDialed
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	}
	var re tls.RecordHeaderError
	var ae tls.AlertError
	var oe *net.OpError
	switch {
	case errors.As(err, &re) || errors.As(err, &ae):
		return KindTLS
	case errors.As(err, &oe) && oe.Op == "dial":
		return KindConnect
	case errors.As(err, &oe) && oe.Op == "remote error":
		return KindTLS
	}
	return KindHTTP
}

// trimURL drops the "Get \"https://...\": " prefix of *url.Error texts.
func trimURL(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}
