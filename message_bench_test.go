package mailcheck_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// benchMessageHeader is the header of the generated messages: From a domain of
// bulkZone, so DMARC discovery is answered from the zone (DNS cached).
const benchMessageHeader = "From: Alice <alice@d000000.example>\r\nTo: bob@example.net\r\nSubject: report\r\n" +
	"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <bench@d000000.example>\r\nMIME-Version: 1.0\r\n"

// zipMessage builds a message of about size bytes: a short text part and a base64
// zip attachment holding one stored (uncompressed) file of random bytes.
func zipMessage(tb testing.TB, size int) []byte {
	tb.Helper()
	payload := make([]byte, size*3/4-4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(payload); i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			payload[i+j] = byte(v >> (8 * j))
		}
	}
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "data/quarterly.bin", Method: zip.Store})
	if err != nil {
		tb.Fatal(err)
	}
	w.Write(payload)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	var m bytes.Buffer
	m.WriteString(benchMessageHeader)
	m.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures are attached.\r\n")
	m.WriteString("--b1\r\nContent-Type: application/zip; name=\"q.zip\"\r\nContent-Disposition: attachment; filename=\"q.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(z.Bytes())
	for len(enc) > 76 {
		m.WriteString(enc[:76])
		m.WriteString("\r\n")
		enc = enc[76:]
	}
	m.WriteString(enc + "\r\n--b1--\r\n")
	return m.Bytes()
}

// cleanMessage builds a plain-text message of about size bytes: prose lines, no
// attachment, no link.
func cleanMessage(size int) []byte {
	var m bytes.Buffer
	m.WriteString(benchMessageHeader + "Content-Type: text/plain; charset=utf-8\r\n\r\n")
	line := "The quarterly figures are in; revenue is up and costs are down, as planned.\r\n"
	for m.Len() < size {
		m.WriteString(line)
	}
	return m.Bytes()
}

// heapSampler records the largest live heap (runtime/metrics heap objects bytes,
// read every millisecond, far cheaper than ReadMemStats) until stop is called.
func heapSampler() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// BenchmarkCheckMessage checks (zip25MB) a 25 MB message with a base64 zip
// attachment and (clean100KB) a plain 100 KB message, DNS from an in-memory zone
// (NewZoneResolver: every answer cached). Besides MB/s it reports messages/s, CPU ms
// per message (getrusage), and the peak heap during the run above the heap before it
// (which holds the test messages), sampled every ms; the peak includes garbage not
// yet collected.
func BenchmarkCheckMessage(b *testing.B) {
	r := dnscheck.NewZoneResolver(bulkZone(b, 1))
	for _, c := range []struct {
		name string
		msg  []byte
	}{{"zip25MB", zipMessage(b, 25<<20)}, {"clean100KB", cleanMessage(100 << 10)}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.msg)))
			b.ReportAllocs()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc // the messages themselves, built above
			stop := heapSampler()
			cpu0 := cpuTime()
			for b.Loop() {
				rep, err := mailcheck.CheckMessage(context.Background(), bytes.NewReader(c.msg), mailcheck.WithResolver(r))
				if err != nil {
					b.Fatal(err)
				}
				if rep.Incomplete {
					b.Fatalf("incomplete: %+v", rep.Checks)
				}
			}
			cpu := cpuTime() - cpu0
			peak := stop()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/msg")
			b.ReportMetric(float64(peak-min(peak, base))/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkCheckMessageParallel is the clean 100 KB message of BenchmarkCheckMessage
// checked by GOMAXPROCS goroutines at once (a server checking messages as they come):
// messages/s over both cores, and CPU ms per message.
func BenchmarkCheckMessageParallel(b *testing.B) {
	r := dnscheck.NewZoneResolver(bulkZone(b, 1))
	msg := cleanMessage(100 << 10)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rep, err := mailcheck.CheckMessage(context.Background(), bytes.NewReader(msg), mailcheck.WithResolver(r))
			if err != nil || rep.Incomplete {
				b.Errorf("CheckMessage: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/msg")
}
