package dnscheck_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(fds)
}

func TestCloseLeavesNoSocketAndNoGoroutine(t *testing.T) {
	zone := "$ORIGIN example.test.\n"
	for i := range 200 {
		zone += fmt.Sprintf("n%d 300 IN TXT \"v=spf1 -all\"\n", i)
	}
	srv := dnstest.Start(t, dnstest.Zone(t, zone))
	srv.SetFault("n7.example.test", 0, dnstest.Fault{Drop: true}) // an attempt that times out
	fds := openFDs(t)

	r, err := dnscheck.New(dnscheck.Options{Servers: []string{srv.Addr}, Timeout: 100 * time.Millisecond, Attempts: 2})
	require.NoError(t, err)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	pprof.Do(context.Background(), pprof.Labels("test", t.Name()), func(ctx context.Context) {
		for i := range 200 {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				_, err := r.LookupTXT(ctx, fmt.Sprintf("n%d.example.test", i))
				if i != 7 {
					assert.NoError(t, err)
				}
			})
		}
		wg.Wait()
	})
	assert.Greater(t, openFDs(t), fds, "idle sockets are kept for the next queries")
	require.NoError(t, r.Close())
	// Other tests' queries may still be running in the background (they end with
	// their budget), so fds can only fall below the count before.
	assert.Eventually(t, func() bool { return openFDs(t) <= fds && labelled(t, t.Name()) == 0 }, 2*time.Second, 10*time.Millisecond)
	assert.LessOrEqual(t, openFDs(t), fds, "open fds after Close")
	assert.Zero(t, labelled(t, t.Name()), "goroutines of the queries after Close")

	// Still usable after Close, with no socket left behind.
	_, err = r.LookupTXT(context.Background(), "n199.example.test")
	require.NoError(t, err)
	assert.LessOrEqual(t, openFDs(t), fds)
}

// labelled counts the goroutines that carry the pprof label test=name: those started
// under pprof.Do with it, and the ones they started (other tests' goroutines, such as
// their queries still running in the background, do not count).
func labelled(t *testing.T, name string) int {
	t.Helper()
	var b strings.Builder
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(&b, 1))
	n := 0
	for _, rec := range strings.Split(b.String(), "\n\n") {
		// A record: "<count> @ <pcs>", then "# labels: {...}" when it has labels.
		if strings.Contains(rec, `"test":"`+name+`"`) {
			var c int
			fmt.Sscan(rec, &c)
			n += c
		}
	}
	return n
}

// forger answers each query on a loopback UDP socket with three forgeries before the
// real answer: another ID, the right ID for another name, and the right ID and name
// as a query (no QR bit). RFC 5452 §3: only the last may be accepted.
func forger(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			send := func(m *dns.Msg) {
				b, _ := m.Pack()
				pc.WriteTo(b, from)
			}
			answer := func(name, text string) *dns.Msg {
				m := new(dns.Msg)
				m.SetReply(q)
				m.Question[0].Name = name
				m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{text}}}
				return m
			}
			otherID := answer(q.Question[0].Name, "forged: another ID")
			otherID.Id++
			send(otherID)
			send(answer("other.example.test.", "forged: another name"))
			notReply := answer(q.Question[0].Name, "forged: not a response")
			notReply.Response = false
			send(notReply)
			send(answer(q.Question[0].Name, "real"))
		}
	}()
	return pc.LocalAddr().String()
}

func TestOnlyTheAnswerToTheQuestionAsked(t *testing.T) {
	r, err := dnscheck.New(dnscheck.Options{Servers: []string{forger(t)}, Timeout: time.Second, Attempts: 1})
	require.NoError(t, err)
	defer r.Close()
	for i := range 20 { // on reused sockets too
		txt, err := r.LookupTXT(context.Background(), fmt.Sprintf("q%d.example.test", i))
		require.NoError(t, err)
		assert.Equal(t, []string{"real"}, txt)
	}
}
