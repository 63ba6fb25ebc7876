package milter

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/stretchr/testify/require"
)

// The world of these tests: example.com sends from 192.0.2.0/24, signs with the
// Ed25519 key at mc._domainkey, and publishes p=reject.
var signingKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func testZone() string {
	pub := base64.StdEncoding.EncodeToString(signingKey.Public().(ed25519.PublicKey))
	return `$ORIGIN example.com.
@              3600 IN MX  10 mx
@              3600 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc         3600 IN TXT "v=DMARC1; p=reject"
mc._domainkey  3600 IN TXT "v=DKIM1; k=ed25519; p=` + pub + `"
mx             3600 IN A   192.0.2.25
`
}

// harness is a milter Server on a loopback port, its DNS from an in-process server.
type harness struct {
	srv  *Server
	addr string
	dns  *dnstest.Server
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start serves cfg (its CheckOptions get the test resolver first) until the test ends.
func start(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{dns: dnstest.Start(t, dnstest.Zone(t, testZone())), logs: &syncBuffer{}}
	cfg.CheckOptions = append([]mailcheck.Option{mailcheck.WithResolver(h.dns.Resolver(t))}, cfg.CheckOptions...)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(h.logs, nil))
	}
	var err error
	h.srv, err = NewServer(cfg)
	require.NoError(t, err)
	ln, err := Listen("inet:127.0.0.1:0")
	require.NoError(t, err)
	h.addr = ln.Addr().String()
	go h.srv.Serve(ln)
	t.Cleanup(func() { h.srv.Close() })
	return h
}

// client opens one MTA connection, announced as an SMTP client at 198.51.100.7.
func (h *harness) client(t testing.TB) *gomilter.ClientSession {
	t.Helper()
	macros := gomilter.NewMacroBag()
	macros.Set(gomilter.MacroMTAFQDN, "mta.example.com")
	macros.Set(gomilter.MacroQueueId, "4QT3ST")
	cs, err := gomilter.NewClient("tcp", h.addr, gomilter.WithReadTimeout(30*time.Second)).Session(macros)
	require.NoError(t, err)
	t.Cleanup(func() { cs.Close() })
	act, err := cs.Conn("client.example.org", gomilter.FamilyInet, 40000, "198.51.100.7")
	require.NoError(t, err)
	require.Equal(t, gomilter.ActionContinue, act.Type)
	act, err = cs.Helo("client.example.org")
	require.NoError(t, err)
	require.Equal(t, gomilter.ActionContinue, act.Type)
	return cs
}

// result is what the milter answered for one message.
type result struct {
	mods []gomilter.ModifyAction
	act  *gomilter.Action
}

// send passes one message through the session as an MTA does: envelope, each header
// field with its value as sent (the space after the colon kept), the body in chunks.
func send(t testing.TB, cs *gomilter.ClientSession, mailFrom, msg string) result {
	t.Helper()
	act, err := cs.Mail("<"+mailFrom+">", "")
	require.NoError(t, err)
	if act.Type != gomilter.ActionContinue {
		return result{act: act}
	}
	act, err = cs.Rcpt("<bob@example.org>", "")
	require.NoError(t, err)
	require.Equal(t, gomilter.ActionContinue, act.Type)
	act, err = cs.DataStart()
	require.NoError(t, err)
	require.Equal(t, gomilter.ActionContinue, act.Type)
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	for _, f := range splitFields(head) {
		name, value, _ := strings.Cut(f, ":")
		act, err = cs.HeaderField(name, value, nil)
		require.NoError(t, err)
		require.Equal(t, gomilter.ActionContinue, act.Type)
	}
	act, err = cs.HeaderEnd()
	require.NoError(t, err)
	require.Equal(t, gomilter.ActionContinue, act.Type)
	mods, act, err := cs.BodyReadFrom(strings.NewReader(body))
	require.NoError(t, err)
	return result{mods, act}
}

// splitFields splits a header into its fields, each with its folds (LF, as MTAs
// hand them to milters).
func splitFields(head string) []string {
	var fields []string
	for _, line := range strings.Split(head, "\r\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += "\n" + line
			continue
		}
		fields = append(fields, line)
	}
	return fields
}

func (r result) header(name string) (string, bool) {
	for _, m := range r.mods {
		if (m.Type == gomilter.ActionInsertHeader || m.Type == gomilter.ActionAddHeader) && m.HeaderName == name {
			// The client negotiates SMFIP_HDR_LEADSPC: the value carries its space.
			v, ok := strings.CutPrefix(m.HeaderValue, " ")
			if !ok {
				return "(no leading space: " + m.HeaderValue + ")", true
			}
			return v, true
		}
	}
	return "", false
}

func (r result) has(typ gomilter.ModifyActionType) bool {
	for _, m := range r.mods {
		if m.Type == typ {
			return true
		}
	}
	return false
}

// newMessage builds a message from alice@example.com with the given extra header
// lines and body; sign it with signed().
func newMessage(extra, body string) string {
	return "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Quarterly figures\r\n" +
		"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <q4-2026@example.com>\r\n" + extra +
		"MIME-Version: 1.0\r\n" + body
}

func plainBody(text string) string {
	return "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text
}

// signed DKIM-signs msg for example.com (relaxed/relaxed, selector mc).
func signed(t testing.TB, msg string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, msgauth.Sign(&b, strings.NewReader(msg), &msgauth.SignOptions{
		Domain: "example.com", Selector: "mc", Signer: signingKey,
		HeaderCanonicalization: msgauth.CanonicalizationRelaxed, BodyCanonicalization: msgauth.CanonicalizationRelaxed,
	}))
	return b.String()
}

// zipBody is a multipart body with a zip attachment holding the named files.
func zipBody(t testing.TB, zipName string, files ...string) string {
	t.Helper()
	var z bytes.Buffer
	w := zip.NewWriter(&z)
	for _, f := range files {
		fw, err := w.Create(f)
		require.NoError(t, err)
		_, err = fw.Write([]byte("MZ\x90\x00 not really a program"))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	enc := base64.StdEncoding.EncodeToString(z.Bytes())
	return "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe figures are attached.\r\n" +
		"--b1\r\nContent-Type: application/zip; name=\"" + zipName + "\"\r\nContent-Disposition: attachment; filename=\"" + zipName + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + enc + "\r\n--b1--\r\n"
}

// slowCheck blocks until its context ends or release is closed, then runs the real check.
func slowCheck(release <-chan struct{}) func(context.Context, io.Reader, ...mailcheck.Option) (*mailcheck.MessageReport, error) {
	return func(ctx context.Context, r io.Reader, opts ...mailcheck.Option) (*mailcheck.MessageReport, error) {
		select {
		case <-ctx.Done():
		case <-release:
		}
		return mailcheck.CheckMessage(ctx, r, opts...)
	}
}

// rawConn dials the milter without the client library (malformed input).
func (h *harness) rawConn(t testing.TB) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", h.addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
