package message

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// Size is a message's size as receivers count it, against each selected receiver's
// published maximum (attachments.Policy.MaxMessageBytes, dated data beside the
// attachment lists).
type Size struct {
	// Bytes is the size of the message as given.
	Bytes int64 `json:"bytes"`
	// WireBytes is the size once sent: SMTP sends every line ending as CRLF
	// (RFC 5321 §2.3.8), so each bare LF grows by a byte. This is what a receiver
	// compares with its limit (RFC 1870 SIZE).
	WireBytes int64 `json:"wire_bytes"`
	// Limits are the selected receivers' maxima, in policy order; receivers that
	// publish none are left out.
	Limits []SizeLimit `json:"limits"`
	// Findings are message.too-large, one per receiver that refuses the message.
	Findings []finding.Finding `json:"findings"`
}

// SizeLimit is one receiver's maximum message size.
type SizeLimit struct {
	Receiver string `json:"receiver"`
	MaxBytes int64  `json:"max_bytes"`
	Source   string `json:"source"`
	Date     string `json:"date"`
	// Exceeded reports that the message is larger than MaxBytes.
	Exceeded bool `json:"exceeded"`
}

var (
	lf   = []byte("\n")
	crlf = []byte("\r\n")
	// sizeBufs recycles CheckSize's read buffers: one per message checked adds up.
	sizeBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
)

// CheckSize measures the message read from r and compares it with the maximum message
// size of each policy that publishes one. Time is linear in the message size; memory
// is constant. The error is set only when r fails or ctx is done.
func CheckSize(ctx context.Context, r io.Reader, policies []attachments.Policy) (*Size, error) {
	res := &Size{Limits: []SizeLimit{}, Findings: []finding.Finding{}}
	bp := sizeBufs.Get().(*[]byte)
	defer sizeBufs.Put(bp)
	buf := *bp
	var prev byte
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("message: size: %w", err)
		}
		n, err := r.Read(buf)
		if b := buf[:n]; n > 0 {
			// Each bare LF gains the CR SMTP adds: the LFs less those after a CR,
			// counted with bytes.Count (SIMD) rather than byte by byte.
			bare := bytes.Count(b, lf) - bytes.Count(b, crlf)
			if b[0] == '\n' && prev == '\r' { // a CRLF split between two reads
				bare--
			}
			res.WireBytes += int64(bare)
			prev = b[n-1]
		}
		res.Bytes += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("message: size: %w", err)
		}
	}
	res.WireBytes += res.Bytes
	for _, p := range policies {
		if p.MaxMessageBytes <= 0 {
			continue
		}
		l := SizeLimit{Receiver: p.Name, MaxBytes: p.MaxMessageBytes, Source: p.SizeSource, Date: p.SizeDate, Exceeded: res.WireBytes > p.MaxMessageBytes}
		res.Limits = append(res.Limits, l)
		if !l.Exceeded {
			continue
		}
		res.Findings = append(res.Findings, finding.Finding{
			Code: CodeTooLarge, Severity: finding.Error, Ref: "RFC 1870 §4",
			Message: fmt.Sprintf("The message is %s as sent; %s accepts at most %s, so it refuses the message (552 5.3.4 message size exceeds the limit).",
				sizeWords(res.WireBytes), p.Title, sizeWords(p.MaxMessageBytes)),
			Fix: "Send big files through a transfer link (SwissTransfer, Google Drive, OneDrive, WeTransfer) instead of attaching them; " +
				"base64 makes an attached file a third larger than it is on disk.",
			Evidence: &finding.Evidence{Name: p.Name, Detail: fmt.Sprintf("%d bytes on the wire; limit %d bytes (%s, %s)", res.WireBytes, p.MaxMessageBytes, p.SizeSource, p.SizeDate)},
		})
	}
	return res, nil
}

// sizeWords writes a size in MB (10^6 bytes) with the byte count, e.g. "52.4 MB
// (52,428,800 bytes)".
func sizeWords(n int64) string {
	return fmt.Sprintf("%.1f MB (%s bytes)", float64(n)/1e6, groupDigits(n))
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
