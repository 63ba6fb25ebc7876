package attachments

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/internal/finding"
	rfc5322 "github.com/mailcheck/mailcheck/internal/header"
)

// Finding is the module's one diagnostic type.
type Finding = finding.Finding

// Code identifies a kind of finding (see the package's Code constants).
type Code = finding.Code

// Severity is a finding's weight.
type Severity = finding.Severity

// Sentinel errors. Check's error means "could not run"; everything about the message
// itself is in the Result.
var (
	// ErrUnknownReceiver: a receiver name that no built-in policy has.
	ErrUnknownReceiver = errors.New("attachments: unknown receiver")
	// ErrRead: the message could not be read.
	ErrRead = errors.New("attachments: read message")
)

// Limits bound the work spent on archives. Reaching one is reported as
// attachments.archive-limit, never passed over in silence.
type Limits struct {
	// Depth is how many archives deep nested archives are opened (default 3).
	Depth int `json:"depth"`
	// Entries is the most archive entries listed in one message (default 10,000).
	Entries int `json:"entries"`
	// NestedBytes is the most bytes decompressed from one nested archive (default 64 MiB).
	NestedBytes int64 `json:"nested_bytes"`
	// TotalBytes is the most bytes decompressed in one message (default 256 MiB).
	TotalBytes int64 `json:"total_bytes"`
	// Ratio is the highest decompressed/compressed ratio accepted for a nested archive
	// (default 100).
	Ratio int64 `json:"ratio"`
	// Time is the most time spent on one message (default 30 s).
	Time time.Duration `json:"time"`
}

// DefaultLimits are the limits Check uses unless told otherwise.
var DefaultLimits = Limits{Depth: 3, Entries: 10000, NestedBytes: 64 << 20, TotalBytes: 256 << 20, Ratio: 100, Time: 30 * time.Second}

// DefaultMemory is how much of one part is held in memory before it spills to a
// temporary file.
const DefaultMemory = 32 << 20

type config struct {
	receivers []string
	blocked   []string
	limits    Limits
	memory    int64
	tempDir   string
}

// Option configures Check.
type Option func(*config)

// WithReceivers selects the receiver policies to judge by ("infomaniak", "gmail",
// "microsoft", "outlook", or "all"). The default is infomaniak.
func WithReceivers(names ...string) Option {
	return func(c *config) { c.receivers = append(c.receivers, names...) }
}

// WithBlocked adds extensions (".iso" or "iso") that the user's own receiver rejects,
// at any depth.
func WithBlocked(exts ...string) Option {
	return func(c *config) { c.blocked = append(c.blocked, exts...) }
}

// WithLimits replaces the archive limits; zero fields keep their defaults.
func WithLimits(l Limits) Option {
	return func(c *config) {
		if l.Depth > 0 {
			c.limits.Depth = l.Depth
		}
		if l.Entries > 0 {
			c.limits.Entries = l.Entries
		}
		if l.NestedBytes > 0 {
			c.limits.NestedBytes = l.NestedBytes
		}
		if l.TotalBytes > 0 {
			c.limits.TotalBytes = l.TotalBytes
		}
		if l.Ratio > 0 {
			c.limits.Ratio = l.Ratio
		}
		if l.Time > 0 {
			c.limits.Time = l.Time
		}
	}
}

// WithMemory sets how many bytes of one part are held in memory before it spills to a
// temporary file (default 32 MiB).
func WithMemory(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.memory = n
		}
	}
}

// WithTempDir sets where spilled parts go (default os.TempDir()).
func WithTempDir(dir string) Option { return func(c *config) { c.tempDir = dir } }

// Verdict is one receiver's decision on one file or on the whole message.
type Verdict struct {
	Receiver string `json:"receiver"`
	Action   Action `json:"action"`
	// Reason says why, in words ("rejects the message ...: .exe is on Gmail's list").
	Reason string `json:"reason,omitempty"`
}

// Attachment is one file found in the message: a MIME part, a uuencoded or TNEF file
// inside a part, or an entry of an archive.
type Attachment struct {
	// Part is the MIME part path ("2/1": the first part of the second part); "" is the
	// message body itself.
	Part string `json:"part"`
	// Entry is the path inside the archive (or TNEF/uuencode container) for contained
	// files; empty for MIME parts.
	Entry string `json:"entry,omitempty"`
	// Source says where the file was found: "mime", "uuencode", "binhex", "tnef" or
	// "archive".
	Source string `json:"source"`
	// Names are every candidate name, as decoded (headers, parameters, archive records).
	Names []string `json:"names,omitempty"`
	// ContentType and Disposition are the part's declared media type and disposition.
	ContentType string `json:"content_type,omitempty"`
	Disposition string `json:"disposition,omitempty"`
	// Type is the type the content was detected as, or for archive entries (which are
	// never decompressed) the type the name says.
	Type FileType `json:"type,omitempty"`
	// Size is the decoded size in bytes (the uncompressed size for archive entries).
	Size int64 `json:"size"`
	// Encrypted marks password-protected archives and entries.
	Encrypted bool `json:"encrypted,omitempty"`
	// Verdicts has one entry per selected receiver.
	Verdicts []Verdict `json:"verdicts,omitempty"`
	// Contents are the files inside an archive or container.
	Contents []Attachment `json:"contents,omitempty"`

	names   []name
	loc     string // "2/1 invoice.zip → docs/invoice.pdf.exe", for findings
	inArc   bool   // inside an archive: only policies that look inside apply
	nested  bool   // an archive inside an archive
	encNest bool   // an encrypted archive entry that is itself an archive
	script  bool   // HTML or SVG with active content
}

// Report is everything Check learned about a message.
type Report struct {
	// Receivers are the selected policies and their verdict on the whole message.
	Receivers []Verdict `json:"receivers"`
	// Attachments are the files, in message order, with archive contents nested.
	Attachments []Attachment `json:"attachments"`
	// Findings are the diagnostics, most serious first within each file.
	Findings []Finding `json:"findings"`
	// NotMessage says why the input is not a message (it is empty, or its first
	// line is not a header field), in which case there are no verdicts; "" otherwise.
	NotMessage string `json:"not_message,omitempty"`
	// Parts is the number of MIME parts seen; Bytes the message size.
	Parts int   `json:"parts"`
	Bytes int64 `json:"bytes"`
	// Policies are the policies the verdicts were made with.
	Policies []Policy `json:"policies"`
}

// Rejected reports whether any selected receiver rejects the message.
func (r *Report) Rejected() bool {
	for _, v := range r.Receivers {
		if v.Action == Reject {
			return true
		}
	}
	return false
}

// Check reads one RFC 5322 message and reports every attachment at any depth, what each
// selected receiver does with it, and findings. The error is only for "could not run": a
// read failure or a bad option. Malformed MIME or archives are findings.
func Check(ctx context.Context, r io.Reader, opts ...Option) (Report, error) {
	c := config{limits: DefaultLimits, memory: DefaultMemory, tempDir: os.TempDir()}
	for _, o := range opts {
		o(&c)
	}
	pols, err := selectPolicies(c.receivers, c.blocked)
	if err != nil {
		return Report{}, err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.limits.Time)
	defer cancel()
	cr := &countingReader{r: r, ctx: parent}
	s := &scanner{ctx: ctx, cfg: c, policies: pols}
	br := getReader(cr)
	defer putReader(br)
	// A first read cut short by the deadline says nothing about the input.
	if why := rfc5322.Sniff(br); why != "" && ctx.Err() == nil {
		// Empty input, a binary, random bytes: there is nothing to judge, and "no
		// attachment, accepted" would be wrong.
		s.res.NotMessage = why
		s.add(Finding{
			Code: CodeNotAMessage, Severity: finding.Error,
			Message: "The input is not an RFC 5322 message: " + why + ".",
			Fix:     "Give the message itself (an .eml file: header fields, an empty line, the body).",
			Ref:     "RFC 5322 §2.1",
		})
		io.Copy(io.Discard, br)
	} else {
		s.walkMessage(br, "", 0)
	}
	// The caller's cancellation means "stop": the scan did not run to the end. A time
	// limit, the scan's own or the caller's deadline, is a finding instead: the
	// report says what was not inspected.
	if err := parent.Err(); errors.Is(err, context.Canceled) {
		return Report{}, fmt.Errorf("attachments: scan stopped: %w", err)
	}
	if ctx.Err() != nil {
		s.expired(fmt.Sprintf("byte %d of the message", cr.n))
	} else if cr.err != nil && !errors.Is(cr.err, io.EOF) {
		return Report{}, fmt.Errorf("%w: %w", ErrRead, cr.err)
	}
	if s.ioErr != nil {
		return Report{}, s.ioErr
	}
	s.res.Bytes = cr.n
	s.res.Policies = pols
	s.judge()
	if s.res.NotMessage != "" {
		s.res.Receivers = []Verdict{} // no receiver is asked about what is not a message
	}
	if s.res.Findings == nil {
		s.res.Findings = []Finding{}
	}
	if s.res.Attachments == nil {
		s.res.Attachments = []Attachment{}
	}
	return s.res, nil
}

// topReaders recycles the 64 KiB buffered readers at the top of each walk: a
// CheckMessage walks the message twice here (Check, WalkText), and allocating and
// clearing the buffers each time was a quarter of its allocated bytes. A walk reads
// all its parts before it returns (see walkEntity), so no one holds a reader past
// putReader.
var topReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

func getReader(r io.Reader) *bufio.Reader {
	br := topReaders.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	topReaders.Put(br)
}

// countingReader counts bytes and remembers the first real read error, so a parse
// failure caused by I/O is reported as I/O.
type countingReader struct {
	r   io.Reader
	ctx context.Context
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// scanner carries one Check's state.
type scanner struct {
	ctx      context.Context
	cfg      config
	policies []Policy
	res      Report
	ioErr    error // a temp-file failure: "could not run"

	entries     int   // archive entries listed so far
	decompBytes int64 // bytes decompressed from nested archives so far
	peeks       int   // archive entries sniffed so far (peekedMember)
	timeNoted   bool

	// textFn, set by WalkText, receives the displayed text parts; attachments are then
	// skipped, not inspected.
	textFn   func(TextPart)
	attached int // depth of message/rfc822 entities around the current part
}

func (s *scanner) add(f Finding) { s.res.Findings = append(s.res.Findings, f) }

// expired reports (once, as a finding) that the time limit has passed.
func (s *scanner) expired(where string) bool {
	if s.ctx.Err() == nil {
		return false
	}
	if !s.timeNoted {
		s.timeNoted = true
		// Incomplete: what was not inspected may hold what a receiver rejects.
		s.add(Finding{
			Code: CodeArchiveLimit, Severity: finding.Warning, Incomplete: true,
			Message:  fmt.Sprintf("Scanning stopped at %s: the time limit was reached, so the rest was not inspected.", where),
			Fix:      "Send fewer or smaller archives; receivers give up too and may reject what they cannot scan.",
			Evidence: &finding.Evidence{Name: where, Detail: s.ctx.Err().Error()},
		})
	}
	return true
}
