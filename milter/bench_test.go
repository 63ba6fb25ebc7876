package milter

import (
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
	"github.com/mailcheck/mailcheck"
)

// BenchmarkMilter passes clean 100 KB messages through the milter over
// loopback TCP, as an MTA does (header fields one by one, the body in 64 KB chunks),
// from `conns` MTA connections at once. DNS answers come from an in-process server,
// cached after the first message (the key, SPF and DMARC records). "signed" messages
// carry a relaxed/relaxed Ed25519 signature to verify; "unsigned" ones are what a
// submission milter sees before the MTA signs (WithExpectSigning). It reports
// messages per second and the CPU milliseconds per message of the whole process
// (the client included).
//
//	go test -run XXX -bench Milter -benchtime 3s -count 3 ./milter
func BenchmarkMilter(b *testing.B) {
	text := strings.Repeat("The quarterly figures are attached below, as promised on the phone.\r\n", 100<<10/70)
	for _, kind := range []string{"signed", "unsigned"} {
		for _, conns := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("clean100KB/%s/conns=%d", kind, conns), func(b *testing.B) {
				benchMilter(b, kind == "signed", conns, text)
			})
		}
	}
}

func benchMilter(b *testing.B, sign bool, conns int, text string) {
	cfg := Config{SendingIP: listedIP, AddAuthResults: true, AddXMailcheck: true, Logger: discardLogger()}
	msg := newMessage("", plainBody(text))
	if sign {
		msg = signed(b, msg)
	} else {
		cfg.CheckOptions = []mailcheck.Option{mailcheck.WithExpectSigning()}
	}
	h := start(b, cfg)
	if res := send(b, h.client(b), "alice@example.com", msg); res.act.Type != gomilter.ActionAccept {
		b.Fatalf("the warm-up message was not accepted: %v", res.act)
	}
	sessions := make(chan *gomilter.ClientSession, conns)
	for range conns {
		sessions <- h.client(b)
	}
	var failed atomic.Int64
	b.SetBytes(int64(len(msg)))
	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	b.SetParallelism(conns)
	b.RunParallel(func(pb *testing.PB) {
		cs := <-sessions
		defer func() { sessions <- cs }()
		for pb.Next() {
			if res := send(b, cs, "alice@example.com", msg); res.act.Type != gomilter.ActionAccept {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d messages were not accepted", failed.Load())
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/msg")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
