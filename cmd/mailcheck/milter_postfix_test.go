package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/smtptest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMilterInPostfix runs `mailcheck milter` behind a real Postfix: a private
// instance (its own config, queue and log in a temporary directory, smtpd on a
// loopback port, relaying everything to an in-process SMTP sink), DNS from an
// in-process server. It needs the Debian package postfix and root (Postfix's master
// runs as root and its daemons as the postfix user); .ci/run installs the package.
// Without Postfix the test fails and says how to get it; MAILCHECK_SKIP_POSTFIX=1
// skips it, saying so.
func TestMilterInPostfix(t *testing.T) {
	if os.Getenv("MAILCHECK_SKIP_POSTFIX") == "1" {
		t.Skip("MAILCHECK_SKIP_POSTFIX=1: the milter's Postfix end-to-end test is NOT run")
	}
	postfix := requirePostfix(t)

	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	dnsSrv := dnstest.Start(t, dnstest.Zone(t, `$ORIGIN example.com.
@              IN MX  10 mx
@              IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc         IN TXT "v=DMARC1; p=reject"
pf._domainkey  IN TXT "v=DKIM1; k=ed25519; p=`+base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))+`"
mx             IN A   192.0.2.25
$ORIGIN slow.example.
@              IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc         IN TXT "v=DMARC1; p=reject"
`))
	// Every lookup of slow.example's DMARC record goes unanswered.
	dnsSrv.SetFault("_dmarc.slow.example.", dns.TypeTXT, dnstest.Fault{Drop: true})
	sink := smtptest.Start(t, smtptest.Options{AcceptMail: true})

	dir, err := os.MkdirTemp("", "mailcheck-postfix-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // the postfix user reaches the socket and its data directory

	// The milter, through the CLI as a user runs it.
	sock := filepath.Join(dir, "milter.sock")
	ctx, stopMilter := context.WithCancel(context.Background())
	var milterLog syncBuffer
	milterDone := make(chan int, 1)
	go func() {
		milterDone <- run([]string{"mailcheck", "milter", "--listen", "unix:" + sock, "--resolver", dnsSrv.Addr,
			"--ip", "192.0.2.10", "--timeout", "3s", "--on-timeout", "tempfail", "--on-dns-error", "tempfail",
			"--on-dmarc", "hold", "--receiver", "all"},
			&env{stdout: &milterLog, stderr: &milterLog, getenv: os.Getenv, ctx: ctx})
	}()
	t.Cleanup(func() {
		stopMilter()
		select {
		case code := <-milterDone:
			assert.Equal(t, 0, code, "the milter stops cleanly on its signal")
		case <-time.After(10 * time.Second):
			t.Error("the milter did not stop")
		}
		if t.Failed() {
			t.Logf("milter log:\n%s", milterLog.String())
		}
	})
	require.Eventually(t, func() bool { _, err := os.Stat(sock); return err == nil }, 10*time.Second, 20*time.Millisecond,
		"the milter did not start: %s", &milterLog)

	smtpAddr := startPostfix(t, postfix, dir, sock, sink.Addr)

	sign := func(msg string) string {
		var b bytes.Buffer
		require.NoError(t, msgauth.Sign(&b, strings.NewReader(msg), &msgauth.SignOptions{Domain: "example.com", Selector: "pf", Signer: key}))
		return b.String()
	}
	msg := func(from, id, body string) string {
		return "From: Alice <alice@" + from + ">\r\nTo: bob@example.org\r\nSubject: Figures " + id + "\r\n" +
			"Date: Sat, 05 Dec 2026 10:00:00 +0000\r\nMessage-ID: <" + id + "@" + from + ">\r\nMIME-Version: 1.0\r\n" + body
	}

	t.Run("a clean message is delivered with the verdict fields", func(t *testing.T) {
		require.NoError(t, sendSMTP(smtpAddr, "alice@example.com", sign(msg("example.com", "clean-1", "Content-Type: text/plain\r\n\r\nHello Bob.\r\n"))))
		var got string
		require.Eventually(t, func() bool { got = delivered(sink, "clean-1"); return got != "" }, 30*time.Second, 50*time.Millisecond,
			"the message did not reach the sink; Postfix log:\n%s", readFile(dir, "maillog"))
		hdr, _, _ := strings.Cut(got, "\r\n\r\n")
		assert.Regexp(t, `(?m)^Authentication-Results: mta\.example\.com;\r\n\tspf=pass .*\r\n\tdkim=pass .*\r\n\tdmarc=pass`, hdr)
		assert.Regexp(t, `(?m)^X-Mailcheck: pass`, hdr)
		assert.Regexp(t, `queue_id=\w+ client=127\.0\.0\.1 mail_from=alice@example\.com .*action=accept .*from_domain=example\.com status=pass`, milterLog.String())
	})

	t.Run("a zip holding an .exe is refused with 554 5.7.1 naming the file", func(t *testing.T) {
		err := sendSMTP(smtpAddr, "alice@example.com", sign(msg("example.com", "zip-1", zipAttachment(t, "invoice.zip", "invoice.pdf.exe"))))
		var te *textproto.Error
		require.ErrorAs(t, err, &te, "Postfix refused the message: %v", err)
		assert.Equal(t, 554, te.Code)
		assert.Regexp(t, `^5\.7\.1 Attachment invoice\.zip > invoice\.pdf\.exe is refused by \w+: "invoice\.pdf\.exe" has the listed extension \.exe$`, te.Msg)
	})

	t.Run("a DNS timeout gives 451 4.4.3, so the client retries", func(t *testing.T) {
		err := sendSMTP(smtpAddr, "alice@slow.example", msg("slow.example", "slow-1", "Content-Type: text/plain\r\n\r\nHello.\r\n"))
		var te *textproto.Error
		require.ErrorAs(t, err, &te, "Postfix refused the message: %v", err)
		assert.Equal(t, 451, te.Code)
		assert.Regexp(t, `^4\.4\.3 `, te.Msg)
	})

	t.Run("a certain DMARC failure is held in Postfix's hold queue", func(t *testing.T) {
		// Unsigned, and sent with another domain's MAIL FROM: neither DKIM nor SPF aligns.
		require.NoError(t, sendSMTP(smtpAddr, "bounces@mailer.example.net", msg("example.com", "held-1", "Content-Type: text/plain\r\n\r\nHi.\r\n")))
		require.Eventually(t, func() bool {
			out, _ := exec.Command(filepath.Join(filepath.Dir(postfix), "postqueue"), "-c", filepath.Join(dir, "conf"), "-j").Output()
			return strings.Contains(string(out), `"queue_name": "hold"`)
		}, 30*time.Second, 100*time.Millisecond, "no message in the hold queue; Postfix log:\n%s", readFile(dir, "maillog"))
		assert.Empty(t, delivered(sink, "held-1"), "a held message is not delivered")
	})
}

// requirePostfix returns the postfix command, or fails the test saying what is missing.
func requirePostfix(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("postfix")
	if err != nil {
		for _, p := range []string{"/usr/sbin/postfix", "/usr/local/sbin/postfix"} {
			if _, err := os.Stat(p); err == nil {
				path = p
			}
		}
	}
	if path == "" {
		t.Fatal("Postfix is not installed, so the milter's end-to-end test cannot run. Install it " +
			"(Debian: DEBIAN_FRONTEND=noninteractive apt-get install -y postfix; .ci/run does this), " +
			"or set MAILCHECK_SKIP_POSTFIX=1 to skip this one test knowingly.")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the milter's Postfix test must run as root: Postfix's master starts as root and runs its daemons as the postfix user " +
			"(or set MAILCHECK_SKIP_POSTFIX=1 to skip this one test knowingly)")
	}
	if _, err := user.Lookup("postfix"); err != nil {
		t.Fatalf("Postfix is installed but its user is missing (%v): reinstall the postfix package", err)
	}
	return path
}

// startPostfix runs a private Postfix instance in dir: smtpd on a free loopback port
// with the milter, everything relayed to sink. It returns smtpd's address and stops
// the instance when the test ends.
func startPostfix(t *testing.T, postfix, dir, sock, sink string) string {
	t.Helper()
	conf := filepath.Join(dir, "conf")
	for _, d := range []string{conf, filepath.Join(dir, "queue"), filepath.Join(dir, "data")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	pf, err := user.Lookup("postfix")
	require.NoError(t, err)
	uid, _ := strconv.Atoi(pf.Uid)
	gid, _ := strconv.Atoi(pf.Gid)
	require.NoError(t, os.Chown(filepath.Join(dir, "data"), uid, gid))

	port := freePort(t)
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.example.com
mydomain = example.com
myorigin = example.com
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = %[2]s
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtputf8_enable = no
smtpd_milters = unix:%[3]s
non_smtpd_milters =
milter_protocol = 6
milter_default_action = tempfail
milter_content_timeout = 60s
`, dir, relayTo(sink), sock)
	// Only the services this test needs, none chrooted (no copies of /etc inside).
	masterCF := fmt.Sprintf(`127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
`, port)
	require.NoError(t, os.WriteFile(filepath.Join(conf, "main.cf"), []byte(mainCF), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(conf, "master.cf"), []byte(masterCF), 0o644))

	if out, err := postfixCommand(postfix, conf, "start"); err != nil {
		t.Fatalf("Postfix did not start (%v):\n%s\nPostfix log:\n%s", err, out, readFile(dir, "maillog"))
	}
	t.Cleanup(func() {
		if out, err := postfixCommand(postfix, conf, "stop"); err != nil {
			t.Logf("stopping Postfix: %v\n%s", err, out)
		}
		if t.Failed() {
			t.Logf("Postfix log:\n%s", readFile(dir, "maillog"))
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 20*time.Second, 50*time.Millisecond, "Postfix's smtpd does not listen on %s; Postfix log:\n%s", addr, readFile(dir, "maillog"))
	return addr
}

// postfixCommand runs `postfix -c conf verb`. Postfix reports its errors on stderr
// only when that is a terminal (else to syslog, which a test machine may not run), so
// it runs under script(1), which gives it one, when that is installed.
func postfixCommand(postfix, conf, verb string) (string, error) {
	cmd := exec.Command(postfix, "-c", conf, verb)
	if script, err := exec.LookPath("script"); err == nil {
		cmd = exec.Command(script, "-qec", postfix+" -c "+conf+" "+verb, "/dev/null")
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func readFile(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b)
}

// sendSMTP sends one message as a mail client does; Postfix's reply to the end of
// DATA (where the milter decides) comes back as a *textproto.Error.
func sendSMTP(addr, from, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example.org"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt("bob@example.org"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// delivered returns the message the sink got whose Message-ID starts with id.
func delivered(sink *smtptest.Server, id string) string {
	for _, m := range sink.Messages() {
		if strings.Contains(m, "Message-ID: <"+id+"@") {
			return m
		}
	}
	return ""
}

func zipAttachment(t *testing.T, name string, files ...string) string {
	t.Helper()
	var z bytes.Buffer
	w := zip.NewWriter(&z)
	for _, f := range files {
		fw, err := w.Create(f)
		require.NoError(t, err)
		fw.Write([]byte("MZ\x90\x00 not really a program"))
	}
	require.NoError(t, w.Close())
	return "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe invoice.\r\n" +
		"--b1\r\nContent-Type: application/zip; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(z.Bytes()) + "\r\n--b1--\r\n"
}

// relayTo writes HOST:PORT as Postfix's relayhost, bracketed so no MX is looked up.
func relayTo(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	return "[" + host + "]:" + port
}

// syncBuffer is a bytes.Buffer the milter's goroutines write while the test reads.
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
