package attachments

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineWriter breaks base64 into 76-character lines (RFC 2045 §6.8).
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		p, l.col = p[k:], l.col+k
		if l.col == 76 {
			l.w.Write([]byte("\r\n"))
			l.col = 0
		}
	}
	return n, nil
}

// writeZipMessage streams a message carrying a zip of about zipSize bytes (stored
// random 1 MiB entries, incompressible, plus a small tool.exe) to w, never holding the
// zip or the message in memory.
func writeZipMessage(t testing.TB, w io.Writer, dir string, zipSize int64) {
	t.Helper()
	zpath := filepath.Join(dir, "big.zip")
	zf, err := os.Create(zpath)
	require.NoError(t, err)
	zw := zip.NewWriter(zf)
	rng := rand.NewChaCha8([32]byte{1})
	chunk := make([]byte, 1<<20)
	for i := int64(0); i < zipSize>>20; i++ {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: "data/part" + string(rune('a'+i%26)) + ".bin", Method: zip.Store})
		require.NoError(t, err)
		rng.Read(chunk)
		fw.Write(chunk)
	}
	fw, _ := zw.Create("tools/tool.exe")
	fw.Write(peBytes())
	require.NoError(t, zw.Close())
	require.NoError(t, zf.Close())

	bw := bufio.NewWriter(w)
	bw.WriteString("Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"big\"\r\n\r\n")
	bw.WriteString("--big\r\nContent-Type: text/plain\r\n\r\nThe archive.\r\n")
	bw.WriteString("--big\r\nContent-Type: application/zip; name=\"big.zip\"\r\nContent-Disposition: attachment; filename=\"big.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	zr, err := os.Open(zpath)
	require.NoError(t, err)
	enc := base64.NewEncoder(base64.StdEncoding, &lineWriter{w: bw})
	_, err = io.Copy(enc, zr)
	require.NoError(t, err)
	enc.Close()
	zr.Close()
	bw.WriteString("\r\n--big--\r\n")
	require.NoError(t, bw.Flush())
	os.Remove(zpath)
}

// peakHeap runs f while sampling the live heap, and returns the highest HeapAlloc seen
// above the level before f started.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	return peak - base
}

// A 54 MB message carrying a 40 MiB zip: the part spills to disk past 32 MiB, the spill
// file is removed, and the heap stays well under 100 MB.
func TestLargeMessageMemory(t *testing.T) {
	dir := t.TempDir()
	msgPath := filepath.Join(dir, "big.eml")
	mf, err := os.Create(msgPath)
	require.NoError(t, err)
	writeZipMessage(t, mf, dir, 40<<20)
	require.NoError(t, mf.Close())
	fi, _ := os.Stat(msgPath)

	spill := t.TempDir()
	var res Report
	peak := peakHeap(func() {
		f, err := os.Open(msgPath)
		require.NoError(t, err)
		defer f.Close()
		res, err = Check(context.Background(), f, WithReceivers("all"), WithTempDir(spill))
		require.NoError(t, err)
	})
	t.Logf("message %d bytes, zip attachment %d bytes: peak heap %.1f MiB", fi.Size(), res.Attachments[0].Size, float64(peak)/(1<<20))
	assert.Less(t, peak, uint64(100<<20))
	assert.Contains(t, allNames(res.Attachments), "tools/tool.exe")
	assert.True(t, res.Rejected())
	left, _ := os.ReadDir(spill)
	assert.Empty(t, left, "spill files must be removed")
}

func benchMessage(b *testing.B, msg []byte) {
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(context.Background(), bytes.NewReader(msg), WithReceivers("all"), WithTempDir(b.TempDir())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanClean100KB: a text body and a 100 KB PDF, the common case.
func BenchmarkScanClean100KB(b *testing.B) {
	pdf := append(bytes.Clone(pdfBytes), bytes.Repeat([]byte("0 0 0 rg 10 10 100 100 re f\n"), 100<<10/28)...)
	benchMessage(b, []byte(message(textPart("Please find the report attached."), attachment("report.pdf", "application/pdf", pdf))))
}

// BenchmarkScan25MBZip: a message of about 25 MB carrying a zip.
func BenchmarkScan25MBZip(b *testing.B) {
	var buf bytes.Buffer
	writeZipMessage(b, &buf, b.TempDir(), 18<<20)
	benchMessage(b, buf.Bytes())
}

// BenchmarkScanFoldedHeader scans a message whose header has one field folded over
// lines of three bytes: the MB/s column stays flat from 100 KB to 8 MB because the
// header reader is linear (it used to take seconds for 13,500 lines).
func BenchmarkScanFoldedHeader(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20, 8 << 20} {
		msg := []byte("From: a@example.com\r\nX-Folded: a" + strings.Repeat("\r\n x", size/4) + "\r\n\r\nHello.\r\n")
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) { benchMessage(b, msg) })
	}
}
