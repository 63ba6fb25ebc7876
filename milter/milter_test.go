package milter

import (
	"context"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	listedIP   = netip.MustParseAddr("192.0.2.10")   // in example.com's SPF
	unlistedIP = netip.MustParseAddr("203.0.113.99") // not
)

func TestCleanMessageIsAcceptedWithTheVerdictHeaders(t *testing.T) {
	h := start(t, Config{SendingIP: listedIP, AddAuthResults: true, AddXMailcheck: true})
	res := send(t, h.client(t), "alice@example.com", signed(t, newMessage("", plainBody("Hello Bob.\r\n"))))
	require.Equal(t, gomilter.ActionAccept, res.act.Type, res.act.String())

	ar, ok := res.header("Authentication-Results")
	require.True(t, ok, "an Authentication-Results field is added: %v", res.mods)
	assert.True(t, strings.HasPrefix(ar, "mta.example.com;"), "the authserv-id is the MTA's name (j macro): %q", ar)
	assert.Contains(t, ar, "spf=pass")
	assert.Contains(t, ar, "dkim=pass")
	assert.Contains(t, ar, "dmarc=pass")
	assert.NotContains(t, ar, "\r", "folds are LF for the milter protocol")

	xm, ok := res.header("X-Mailcheck")
	require.True(t, ok)
	assert.True(t, strings.HasPrefix(xm, "pass"), xm)
	assert.NotContains(t, xm, "tagged=")
	assert.Regexp(t, `queue_id=4QT3ST .*action=accept .*from_domain=example.com status=pass`, h.logs.String())
}

func TestForbiddenAttachmentIsRejectedNamingTheFileAndItsArchive(t *testing.T) {
	h := start(t, Config{SendingIP: listedIP})
	msg := signed(t, newMessage("", zipBody(t, "invoice.zip", "docs/invoice.pdf.exe")))
	res := send(t, h.client(t), "alice@example.com", msg)
	require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type, res.act.String())
	assert.Equal(t, uint16(554), res.act.SMTPCode)
	assert.Regexp(t, `^554 5\.7\.1 Attachment invoice\.zip > docs/invoice\.pdf\.exe is refused by infomaniak: "invoice\.pdf\.exe" has the listed extension \.exe$`, res.act.SMTPReply)
	assert.Contains(t, h.logs.String(), "action=reject")

	t.Run("configured to tag, it is delivered and marked", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP, Policy: Policy{Attachment: Tag}})
		res := send(t, h.client(t), "alice@example.com", msg)
		require.Equal(t, gomilter.ActionAccept, res.act.Type)
		xm, ok := res.header("X-Mailcheck")
		require.True(t, ok, "a tag adds X-Mailcheck even when it is not asked for")
		assert.Regexp(t, `(?s)^fail; tagged=attachment;\n\tcodes=.*attachments\.forbidden-in-archive`, xm)
		_, ok = res.header("Authentication-Results")
		assert.False(t, ok, "Authentication-Results was not asked for")
	})
}

func TestDMARCFailureUnderRejectTakesTheConfiguredAction(t *testing.T) {
	unsigned := newMessage("", plainBody("Hello Bob.\r\n"))
	for _, tc := range []struct {
		action Action
		check  func(t *testing.T, res result)
	}{
		{Reject, func(t *testing.T, res result) {
			require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type)
			assert.Regexp(t, `^550 5\.7\.1 DMARC will fail for example\.com under p=reject: `, res.act.SMTPReply)
		}},
		{Hold, func(t *testing.T, res result) {
			require.Equal(t, gomilter.ActionAccept, res.act.Type)
			require.True(t, res.has(gomilter.ActionQuarantine), "held: %v", res.mods)
			for _, m := range res.mods {
				if m.Type == gomilter.ActionQuarantine {
					assert.Contains(t, m.Reason, "DMARC will fail for example.com")
				}
			}
		}},
		{Tag, func(t *testing.T, res result) {
			require.Equal(t, gomilter.ActionAccept, res.act.Type)
			xm, _ := res.header("X-Mailcheck")
			assert.Contains(t, xm, "tagged=dmarc")
			assert.False(t, res.has(gomilter.ActionQuarantine))
		}},
	} {
		t.Run(string(tc.action), func(t *testing.T) {
			h := start(t, Config{SendingIP: unlistedIP, Policy: Policy{DMARC: tc.action}})
			tc.check(t, send(t, h.client(t), "alice@example.com", unsigned))
		})
	}

	t.Run("without the sending address SPF might pass, so the failure is not certain and nothing is rejected", func(t *testing.T) {
		h := start(t, Config{Policy: Policy{DMARC: Reject}, AddXMailcheck: true})
		res := send(t, h.client(t), "alice@example.com", unsigned)
		require.Equal(t, gomilter.ActionAccept, res.act.Type, res.act.String())
		xm, _ := res.header("X-Mailcheck")
		assert.Contains(t, xm, "dmarc.predicted-fail", "the prediction is still reported")
	})
	t.Run("the client's address is used with UseClientIP", func(t *testing.T) {
		h := start(t, Config{UseClientIP: true, Policy: Policy{DMARC: Reject}})
		res := send(t, h.client(t), "alice@example.com", unsigned) // 198.51.100.7 is not listed
		require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type, res.act.String())
	})
}

func TestHeaderErrorsTakeTheConfiguredAction(t *testing.T) {
	// Two From fields: RFC 5322 §3.6 allows one.
	msg := signed(t, newMessage("From: Mallory <m@example.com>\r\n", plainBody("Hi.\r\n")))
	h := start(t, Config{SendingIP: listedIP, Policy: Policy{Header: Reject}})
	res := send(t, h.client(t), "alice@example.com", msg)
	require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type, res.act.String())
	assert.Regexp(t, `^554 5\.6\.0 .*From`, res.act.SMTPReply)

	h = start(t, Config{SendingIP: listedIP})
	res = send(t, h.client(t), "alice@example.com", msg)
	require.Equal(t, gomilter.ActionAccept, res.act.Type, "tagged by default")
	xm, _ := res.header("X-Mailcheck")
	assert.Contains(t, xm, "tagged=header")
}

func TestDNSFailuresAndTimeouts(t *testing.T) {
	msg := signed(t, newMessage("", plainBody("Hello.\r\n")))
	t.Run("a DNS timeout tempfails with 451 4.4.3 when asked to", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP, Policy: Policy{DNSError: TempFail}})
		h.dns.SetFault("_dmarc.example.com.", dns.TypeTXT, dnstest.Fault{Drop: true})
		res := send(t, h.client(t), "alice@example.com", msg)
		require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type, res.act.String())
		assert.Regexp(t, `^451 4\.4\.3 DNS lookups failed`, res.act.SMTPReply)
	})
	t.Run("by default it is delivered and tagged", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP})
		h.dns.SetFault("_dmarc.example.com.", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
		res := send(t, h.client(t), "alice@example.com", msg)
		require.Equal(t, gomilter.ActionAccept, res.act.Type, res.act.String())
		xm, _ := res.header("X-Mailcheck")
		assert.Contains(t, xm, "tagged=dns")
	})
	t.Run("a check that runs out of time is a timeout, not a DNS error", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP, Timeout: 200 * time.Millisecond, Policy: Policy{Timeout: TempFail, DNSError: Accept},
			check: slowCheck(nil)})
		res := send(t, h.client(t), "alice@example.com", msg)
		require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type, res.act.String())
		assert.Regexp(t, `^451 4\.4\.3 The message could not be checked in time`, res.act.SMTPReply)
	})
	t.Run("a message waiting too long for a free slot is a timeout too", func(t *testing.T) {
		release := make(chan struct{})
		h := start(t, Config{SendingIP: listedIP, MaxConcurrent: 1, Timeout: 300 * time.Millisecond, Policy: Policy{Timeout: TempFail},
			check: func(ctx context.Context, r io.Reader, opts ...mailcheck.Option) (*mailcheck.MessageReport, error) {
				<-release // holds the only slot past its own time limit
				return mailcheck.CheckMessage(ctx, r, opts...)
			}})
		first := make(chan result, 1)
		go func() { first <- send(t, h.client(t), "alice@example.com", msg) }()
		require.Eventually(t, func() bool { return len(h.srv.slots) == 1 }, 5*time.Second, 5*time.Millisecond)
		res := send(t, h.client(t), "alice@example.com", msg)
		assert.Regexp(t, `^451 4\.4\.3 The message checker is busy`, res.act.SMTPReply)
		close(release)
		assert.Regexp(t, `^451 4\.4\.3 The message could not be checked in time`, (<-first).act.SMTPReply,
			"the first message got its slot, and ran out of time in it")
	})
}

func TestStrongestActionWins(t *testing.T) {
	// A forbidden attachment (reject) and a DNS failure (tempfail): the rejection is
	// certain whatever DNS says, so the client gets the 5xx and does not retry.
	h := start(t, Config{SendingIP: listedIP, Policy: Policy{DNSError: TempFail}})
	h.dns.SetFault("_dmarc.example.com.", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	res := send(t, h.client(t), "alice@example.com", signed(t, newMessage("", zipBody(t, "a.zip", "run.exe"))))
	require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type)
	assert.Equal(t, uint16(554), res.act.SMTPCode)
}

func TestForgedVerdictFieldsAreRemoved(t *testing.T) {
	msg := signed(t, newMessage("X-Mailcheck: pass\r\nAuthentication-Results: mta.example.com; dmarc=pass\r\n"+
		"Authentication-Results: other.example; dkim=fail\r\nX-Mailcheck: pass\r\n", plainBody("Hi.\r\n")))
	h := start(t, Config{SendingIP: listedIP, AddAuthResults: true, AddXMailcheck: true})
	res := send(t, h.client(t), "alice@example.com", msg)
	require.Equal(t, gomilter.ActionAccept, res.act.Type)
	var removed []string
	for _, m := range res.mods {
		if m.Type == gomilter.ActionChangeHeader {
			assert.Empty(t, m.HeaderValue, "a change with an empty value removes the field")
			removed = append(removed, m.HeaderName+"#"+string(rune('0'+m.HeaderIndex)))
		}
	}
	// From the last, so earlier indexes stay right; the other receiver's field stays.
	assert.Equal(t, []string{"X-Mailcheck#2", "X-Mailcheck#1", "Authentication-Results#1"}, removed)
}

func TestMessagesLargerThanMaxSizeAreNotChecked(t *testing.T) {
	h := start(t, Config{SendingIP: listedIP, MaxSize: 1000, check: func(context.Context, io.Reader, ...mailcheck.Option) (*mailcheck.MessageReport, error) {
		panic("a message over MaxSize was checked")
	}})
	res := send(t, h.client(t), "alice@example.com", newMessage("", plainBody(strings.Repeat("0123456789\r\n", 1000))))
	require.Equal(t, gomilter.ActionAccept, res.act.Type, res.act.String())
	xm, _ := res.header("X-Mailcheck")
	assert.Equal(t, "unchecked; tagged=too-large", xm)

	h = start(t, Config{SendingIP: listedIP, MaxSize: 1000, Policy: Policy{TooLarge: Reject}})
	res = send(t, h.client(t), "alice@example.com", newMessage("", plainBody(strings.Repeat("0123456789\r\n", 1000))))
	assert.Regexp(t, `^552 5\.3\.4 The message is larger than the checker's limit of 1000 bytes`, res.act.SMTPReply)
}

func TestProtocol(t *testing.T) {
	msg := signed(t, newMessage("", plainBody("Hello.\r\n")))
	t.Run("several messages on one connection, an abort between them", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP, AddXMailcheck: true})
		cs := h.client(t)
		require.Equal(t, gomilter.ActionAccept, send(t, cs, "alice@example.com", msg).act.Type)
		// The SMTP client gives up after MAIL FROM (RSET): the MTA aborts.
		_, err := cs.Mail("<alice@example.com>", "")
		require.NoError(t, err)
		require.NoError(t, cs.Abort(nil))
		res := send(t, cs, "alice@example.com", newMessage("", zipBody(t, "x.zip", "x.exe")))
		assert.Equal(t, uint16(554), res.act.SMTPCode, "the aborted message left nothing behind")
		res = send(t, cs, "", msg) // the null sender
		require.Equal(t, gomilter.ActionAccept, res.act.Type)
		assert.Equal(t, 0, h.srv.inFlight)
	})
	t.Run("a connection from a Unix socket client has no address: SPF uses SendingIP", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP, AddAuthResults: true})
		macros := gomilter.NewMacroBag()
		cs, err := gomilter.NewClient("tcp", h.addr).Session(macros)
		require.NoError(t, err)
		defer cs.Close()
		_, err = cs.Conn("localhost", gomilter.FamilyUnix, 0, "/var/run/submission.sock")
		require.NoError(t, err)
		_, err = cs.Helo("localhost")
		require.NoError(t, err)
		res := send(t, cs, "alice@example.com", msg)
		require.Equal(t, gomilter.ActionAccept, res.act.Type)
		ar, _ := res.header("Authentication-Results")
		assert.True(t, strings.HasPrefix(ar, DefaultAuthservID+";"), "no j macro: the default authserv-id: %q", ar)
		assert.Contains(t, ar, "spf=pass")
	})
	t.Run("garbage on the socket closes that connection only", func(t *testing.T) {
		h := start(t, Config{SendingIP: listedIP})
		c := h.rawConn(t)
		_, err := c.Write([]byte("\x00\x00\x00\x05Xjunk and more junk that is not a milter packet"))
		require.NoError(t, err)
		assertClosed(t, c)
		// A packet claiming 512 MB is refused, not allocated.
		c = h.rawConn(t)
		_, err = c.Write([]byte("\x20\x00\x00\x00O"))
		require.NoError(t, err)
		assertClosed(t, c)
		assert.Equal(t, gomilter.ActionAccept, send(t, h.client(t), "alice@example.com", msg).act.Type, "the server still serves")
	})
	t.Run("an MTA that disconnects mid-message leaves no spool and no message in flight", func(t *testing.T) {
		dir := t.TempDir()
		h := start(t, Config{SendingIP: listedIP, MemoryPerMessage: 100, TempDir: dir})
		cs := h.client(t)
		_, err := cs.Mail("<alice@example.com>", "")
		require.NoError(t, err)
		_, err = cs.Rcpt("<bob@example.org>", "")
		require.NoError(t, err)
		_, err = cs.DataStart()
		require.NoError(t, err)
		_, err = cs.HeaderField("From", " alice@example.com", nil)
		require.NoError(t, err)
		_, err = cs.HeaderEnd()
		require.NoError(t, err)
		_, err = cs.BodyChunk([]byte(strings.Repeat("spilled to a file\r\n", 100)))
		require.NoError(t, err)
		files, _ := os.ReadDir(dir)
		require.Len(t, files, 1, "the message spilled to a temporary file")
		require.NoError(t, cs.Close())
		require.Eventually(t, func() bool {
			files, _ := os.ReadDir(dir)
			h.srv.mu.Lock()
			defer h.srv.mu.Unlock()
			return len(files) == 0 && h.srv.inFlight == 0
		}, 5*time.Second, 10*time.Millisecond)
	})
}

func TestAPanicInACheckTempfailsThatMessageOnly(t *testing.T) {
	calls := 0
	h := start(t, Config{SendingIP: listedIP, check: func(ctx context.Context, r io.Reader, opts ...mailcheck.Option) (*mailcheck.MessageReport, error) {
		calls++
		if calls == 1 {
			var m map[string]int
			m["boom"]++ // a nil map write: a real runtime panic
		}
		return mailcheck.CheckMessage(ctx, r, opts...)
	}})
	msg := signed(t, newMessage("", plainBody("Hello.\r\n")))
	cs := h.client(t)
	res := send(t, cs, "alice@example.com", msg)
	require.Equal(t, gomilter.ActionRejectWithCode, res.act.Type)
	assert.Equal(t, "451 4.3.0 Internal error in the message checker; try again later", res.act.SMTPReply)
	assert.Contains(t, h.logs.String(), "assignment to entry in nil map")
	assert.Contains(t, h.logs.String(), "stack=", "the log has the stack to report")
	assert.Equal(t, gomilter.ActionAccept, send(t, cs, "alice@example.com", msg).act.Type, "the same connection goes on")
	assert.Equal(t, 0, h.srv.inFlight)
}

func TestShutdownFinishesMessagesInFlight(t *testing.T) {
	release := make(chan struct{})
	h := start(t, Config{SendingIP: listedIP, check: slowCheck(release)})
	msg := signed(t, newMessage("", plainBody("Hello.\r\n")))
	first := make(chan result, 1)
	go func() { first <- send(t, h.client(t), "alice@example.com", msg) }()
	idle := h.client(t) // connected, between messages
	require.Eventually(t, func() bool { return len(h.srv.slots) == 1 }, 5*time.Second, 5*time.Millisecond)

	stopped := make(chan error, 1)
	go func() { stopped <- h.srv.Shutdown(context.Background()) }()
	require.Eventually(t, h.srv.draining.Load, 5*time.Second, 5*time.Millisecond)
	// A new message while draining: 451, the client retries later.
	act, err := idle.Mail("<alice@example.com>", "")
	require.NoError(t, err)
	assert.Equal(t, "451 4.3.2 The message checker is restarting; try again in a moment", act.SMTPReply)
	select {
	case err := <-stopped:
		t.Fatalf("Shutdown returned (%v) with a message in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	assert.Equal(t, gomilter.ActionAccept, (<-first).act.Type, "the message in flight is answered")
	select {
	case err := <-stopped:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Shutdown did not return once the messages in flight were done")
	}
}

func TestListen(t *testing.T) {
	for _, spec := range []string{"inet:127.0.0.1:0", "inet:0@127.0.0.1", "inet6:[::1]:0", "inet:[::1]:0"} {
		ln, err := Listen(spec)
		if err != nil && strings.Contains(err.Error(), "cannot assign requested address") {
			continue // no IPv6 loopback here
		}
		require.NoError(t, err, spec)
		ln.Close()
	}
	sock := t.TempDir() + "/milter.sock"
	ln, err := Listen("unix:" + sock)
	require.NoError(t, err)
	_, err = Listen("unix:" + sock)
	assert.ErrorContains(t, err, "another process is listening on it")
	ln.Close()
	os.WriteFile(sock, []byte("x"), 0o600) // a leftover regular file is never removed
	_, err = Listen("unix:" + sock)
	assert.ErrorContains(t, err, "exists and is not a socket")
	for spec, msg := range map[string]string{
		"127.0.0.1:8891":      `unknown kind "127.0.0.1"`,
		"inet:":               "write inet:HOST:PORT or unix:PATH",
		"unix:relative.sock":  "must be absolute",
		"tcp:127.0.0.1:8891":  `unknown kind "tcp"`,
		"inet:8891@":          "no host after @",
		"inet:host:port:junk": "too many colons",
	} {
		_, err := Listen(spec)
		assert.ErrorContains(t, err, msg, spec)
	}
}

func TestPolicyValidate(t *testing.T) {
	_, err := NewServer(Config{Policy: Policy{DNSError: Hold}})
	assert.EqualError(t, err, `milter: "hold" is not an action for dns problems (one of: tempfail, tag, accept)`)
	_, err = NewServer(Config{Policy: Policy{Attachment: "bounce"}})
	assert.ErrorContains(t, err, `"bounce" is not an action for attachment problems`)
	_, err = NewServer(Config{SendingIP: listedIP, UseClientIP: true})
	assert.Error(t, err)
}

// assertClosed reads until the server closes c (by FIN or reset), which it must do
// without answering.
func assertClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		require.ErrorIs(t, err, syscall.ECONNRESET, "the server closed the connection, not the deadline")
	}
	assert.Empty(t, got)
}
