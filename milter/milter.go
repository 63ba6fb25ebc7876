// Package milter runs mailcheck's pre-send check (mailcheck.CheckMessage) inside an
// MTA, as a milter: Postfix (smtpd_milters, non_smtpd_milters) and Sendmail
// (INPUT_MAIL_FILTER) hand it each message, and it answers accept, reject with a
// reply the sender's client shows, tempfail, or hold, and adds an
// Authentication-Results field and an X-Mailcheck field. The protocol is
// github.com/d--j/go-milter's (milter protocol version 6).
//
// One Server serves any number of MTA connections; every message is spooled (in
// memory up to MemoryPerMessage, then in a temporary file), checked once its end is
// received, under a per-message time limit and a bound on how many checks run at
// once, with one resolver (and its cache) for all of them.
package milter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomilter "github.com/d--j/go-milter"
	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/internal/spool"
)

// Defaults for Config's zero values.
const (
	DefaultMaxSize          = 64 << 20
	DefaultMemoryPerMessage = 1 << 20
	DefaultTimeout          = 20 * time.Second
	DefaultMaxConcurrent    = 64
	// DefaultAuthservID names the checker in Authentication-Results when neither
	// Config.AuthservID nor the MTA's host name (the j macro) is known.
	DefaultAuthservID = "mailcheck.invalid"
	// idleTimeout closes an MTA connection that sent nothing for this long: Postfix
	// gives up on an idle SMTP client after 300 s (smtpd_timeout), so a milter
	// connection silent for longer is gone.
	idleTimeout = 10 * time.Minute
)

// Config configures a Server. The zero value of each field is its default.
type Config struct {
	// Policy is the action for each kind of problem (zero: DefaultPolicy; a Policy
	// with some fields set takes DefaultPolicy's for the others).
	Policy Policy
	// CheckOptions are passed to every CheckMessage: the resolver (share one, so its
	// cache serves every connection), receivers, profile, WithExpectSigning.
	CheckOptions []mailcheck.Option
	// SendingIP is the address receivers will see the message come from: this MTA's
	// public outbound address. With it, the envelope's SPF is checked and DMARC is
	// predicted with SPF; without it (and without UseClientIP) only DKIM counts,
	// and a DMARC failure is never certain while SPF could still pass.
	SendingIP netip.Addr
	// UseClientIP takes the SMTP client's address (and HELO) as the envelope
	// instead: right when the milter runs where the message enters the internet
	// hop receivers judge, e.g. on a receiving MTA. On a submission server it is
	// the user's address, which no SPF record lists: use SendingIP there.
	UseClientIP bool
	// HELO is the name this MTA greets receivers with (its SPF is checked for the
	// null sender); "" takes the MTA's host name, the j macro.
	HELO string
	// AuthservID names the checker in the Authentication-Results field; "" takes
	// the MTA's host name (the j macro), else DefaultAuthservID.
	AuthservID string
	// AddAuthResults adds the Authentication-Results field a receiver would add.
	// AddXMailcheck adds X-Mailcheck with the status and finding codes to every
	// accepted message (a Tag action adds it regardless).
	AddAuthResults, AddXMailcheck bool
	// MaxSize: larger messages are not checked (Policy.TooLarge decides).
	MaxSize int64
	// MemoryPerMessage is how much of a message is held in memory before it spills
	// to a temporary file.
	MemoryPerMessage int64
	// TempDir is where spilled messages go ("" is os.TempDir()).
	TempDir string
	// Timeout bounds one message's check, counted from the end of the message.
	Timeout time.Duration
	// MaxConcurrent is how many checks run at once; a message waits for a slot
	// within its Timeout.
	MaxConcurrent int
	// Logger gets one line per message; nil is slog.Default().
	Logger *slog.Logger

	// check replaces CheckMessage in tests (a panicking check, a slow one).
	check func(context.Context, io.Reader, ...mailcheck.Option) (*mailcheck.MessageReport, error)
}

// Server is a milter server: Serve it on listeners, Shutdown it when done.
type Server struct {
	cfg   Config
	srv   *gomilter.Server
	slots chan struct{}
	log   *slog.Logger

	draining atomic.Bool
	mu       sync.Mutex
	inFlight int           // messages between MAIL FROM and their end
	idle     chan struct{} // closed when inFlight drops to 0 while draining
}

// NewServer checks cfg and returns a server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Policy == (Policy{}) {
		cfg.Policy = DefaultPolicy
	}
	cfg.Policy = withDefaults(cfg.Policy)
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	if cfg.UseClientIP && cfg.SendingIP.IsValid() {
		return nil, errors.New("milter: give SendingIP or UseClientIP, not both")
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.MemoryPerMessage <= 0 {
		cfg.MemoryPerMessage = DefaultMemoryPerMessage
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.check == nil {
		cfg.check = mailcheck.CheckMessage
	}
	s := &Server{cfg: cfg, slots: make(chan struct{}, cfg.MaxConcurrent), log: cfg.Logger}
	s.srv = gomilter.NewServer(
		gomilter.WithMilter(func() gomilter.Milter { return &session{s: s} }),
		// Adding and removing header fields, and the hold queue: nothing else.
		gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeHeader|gomilter.OptQuarantine),
		// Recipients, DATA and unknown commands are not needed; headers need no
		// reply each. The header values are wanted as sent (DKIM's simple
		// canonicalization counts the space after the colon).
		gomilter.WithProtocols(gomilter.OptNoRcptTo|gomilter.OptNoData|gomilter.OptNoUnknown|
			gomilter.OptNoHeaderReply|gomilter.OptHeaderLeadingSpace),
		gomilter.WithMacroRequest(gomilter.StageConnect, []gomilter.MacroName{gomilter.MacroMTAFQDN}),
		gomilter.WithMacroRequest(gomilter.StageEOM, []gomilter.MacroName{gomilter.MacroQueueId}),
		gomilter.WithReadTimeout(idleTimeout),
	)
	return s, nil
}

// withDefaults fills the Policy fields left empty from DefaultPolicy.
func withDefaults(p Policy) Policy {
	fill := func(a *Action, d Action) {
		if *a == "" {
			*a = d
		}
	}
	fill(&p.Attachment, DefaultPolicy.Attachment)
	fill(&p.DMARC, DefaultPolicy.DMARC)
	fill(&p.Header, DefaultPolicy.Header)
	fill(&p.DNSError, DefaultPolicy.DNSError)
	fill(&p.Timeout, DefaultPolicy.Timeout)
	fill(&p.TooLarge, DefaultPolicy.TooLarge)
	return p
}

// Serve accepts MTA connections on ln until Shutdown or Close; it returns nil
// after those, else the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, gomilter.ErrServerClosed) || s.draining.Load() {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, lets the messages in flight finish (new
// ones get a 4xx reply, so their clients retry), then closes every connection. If
// ctx ends first, the connections are closed at once and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining.Store(true)
	if s.idle == nil {
		s.idle = make(chan struct{})
		if s.inFlight == 0 {
			close(s.idle)
		}
	}
	idle := s.idle
	s.mu.Unlock()

	sctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- s.srv.Shutdown(sctx) }() // closes the listeners, then waits
	select {
	case <-idle:
	case <-ctx.Done():
	}
	// Connections between messages are closed now: the MTA reconnects (to the
	// next milter instance) for its next message.
	stop()
	<-done
	return ctx.Err()
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.draining.Store(true)
	return s.srv.Close()
}

// begin counts a message in flight, or refuses it while draining.
func (s *Server) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining.Load() {
		return false
	}
	s.inFlight++
	return true
}

func (s *Server) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inFlight--
	if s.inFlight == 0 && s.idle != nil {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// session is one MTA connection: any number of messages, one after another.
type session struct {
	s *Server

	client     netip.Addr
	clientHELO string
	mtaName    string // the j macro
	leadSpace  bool   // header values arrive with the space after the colon

	// The message being received (inTx from MAIL FROM to its end).
	inTx     bool
	mailFrom string
	msg      *spool.Spool
	size     int64
	tooLarge bool
	failed   error // spooling failed
	// Header fields to remove before adding ours: X-Mailcheck fields (a sender
	// must not forge the verdict) and Authentication-Results fields claiming our
	// authserv-id (RFC 8601 §5), as 1-based indexes among same-named fields.
	xmcSeen, arSeen int
	staleAR         []int
}

var _ gomilter.Milter = (*session)(nil)

func (m *session) NewConnection(mod gomilter.Modifier) error {
	m.leadSpace = mod.Protocol()&gomilter.OptHeaderLeadingSpace != 0
	return nil
}

func (m *session) Connect(host, family string, port uint16, addr string, mod gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("connect", func() *gomilter.Response {
		m.client, _ = netip.ParseAddr(addr) // "unix" and "unknown" leave it invalid
		m.mtaName = mod.Get(gomilter.MacroMTAFQDN)
		return gomilter.RespContinue
	})
}

func (m *session) Helo(name string, mod gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("helo", func() *gomilter.Response {
		m.clientHELO = name
		if m.mtaName == "" {
			m.mtaName = mod.Get(gomilter.MacroMTAFQDN)
		}
		return gomilter.RespContinue
	})
}

func (m *session) MailFrom(from, _ string, _ gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("mail", func() *gomilter.Response {
		m.reset()
		if !m.s.begin() {
			resp, _ := gomilter.RejectWithCodeAndReason(451, "4.3.2 The message checker is restarting; try again in a moment")
			return resp
		}
		m.inTx = true
		m.mailFrom = from
		if from == "" {
			m.mailFrom = "<>"
		}
		m.msg = spool.New(m.s.cfg.MemoryPerMessage, m.s.cfg.TempDir)
		return gomilter.RespContinue
	})
}

func (m *session) RcptTo(string, string, gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (m *session) Data(gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (m *session) Header(name, value string, _ gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("header", func() *gomilter.Response {
		switch {
		case strings.EqualFold(name, xMailcheckField):
			m.xmcSeen++
		case strings.EqualFold(name, "Authentication-Results"):
			m.arSeen++
			if authservID(value) == strings.ToLower(m.authservID()) {
				m.staleAR = append(m.staleAR, m.arSeen)
			}
		}
		sep := ":"
		if !m.leadSpace {
			sep = ": " // the MTA ate the space after the colon
		}
		// Folded values come with bare LF (the milter protocol's line end); the
		// checks read RFC 5322's CRLF.
		m.write(name + sep + strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", "\n"), "\n", "\r\n") + "\r\n")
		return gomilter.RespContinue
	})
}

func (m *session) Headers(gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("eoh", func() *gomilter.Response {
		m.write("\r\n")
		return gomilter.RespContinue
	})
}

func (m *session) BodyChunk(chunk []byte, mod gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("body", func() *gomilter.Response {
		m.writeBytes(chunk)
		if m.tooLarge && mod.Protocol()&gomilter.OptSkip != 0 {
			return gomilter.RespSkip // the rest of the body is not needed
		}
		return gomilter.RespContinue
	})
}

func (m *session) EndOfMessage(mod gomilter.Modifier) (*gomilter.Response, error) {
	return m.guard("eom", func() *gomilter.Response {
		defer m.reset()
		return m.finish(mod)
	})
}

func (m *session) Abort(gomilter.Modifier) error {
	m.reset()
	return nil
}

func (m *session) Unknown(string, gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (m *session) Cleanup(gomilter.Modifier) { m.reset() }

// reset ends the message in flight, if any, and frees its spool.
func (m *session) reset() {
	if m.msg != nil {
		m.msg.Close()
		m.msg = nil
	}
	if m.inTx {
		m.inTx = false
		m.s.end()
	}
	m.size, m.tooLarge, m.failed = 0, false, nil
	m.xmcSeen, m.arSeen, m.staleAR = 0, 0, nil
}

func (m *session) write(s string) { m.writeBytes([]byte(s)) }

// writeBytes spools message bytes up to MaxSize; past it the message is only
// counted.
func (m *session) writeBytes(p []byte) {
	m.size += int64(len(p))
	if m.msg == nil || m.tooLarge || m.failed != nil {
		return
	}
	if m.size > m.s.cfg.MaxSize {
		m.tooLarge = true
		m.msg.Close() // what was spooled is not needed any more
		return
	}
	if _, err := m.msg.Write(p); err != nil {
		m.failed = err
	}
}

func (m *session) authservID() string {
	switch {
	case m.s.cfg.AuthservID != "":
		return m.s.cfg.AuthservID
	case m.mtaName != "":
		return m.mtaName
	}
	return DefaultAuthservID
}

// guard runs one callback; a panic in it is logged with its stack and answered
// with a temporary failure for this message, and the server goes on.
func (m *session) guard(stage string, f func() *gomilter.Response) (resp *gomilter.Response, err error) {
	defer func() {
		if p := recover(); p != nil {
			m.s.log.Error("panic in the milter; the message gets a temporary failure",
				"stage", stage, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			m.reset()
			resp, err = gomilter.RejectWithCodeAndReason(451, "4.3.0 Internal error in the message checker; try again later")
		}
	}()
	return f(), nil
}

// finish checks the spooled message, applies the policy and tells the MTA.
func (m *session) finish(mod gomilter.Modifier) *gomilter.Response {
	start := time.Now()
	cfg := &m.s.cfg
	line := []any{"queue_id", mod.Get(gomilter.MacroQueueId), "client", m.client.String(), "mail_from", m.mailFrom, "bytes", m.size}
	logf := func(d decision, rep *mailcheck.MessageReport, extra ...any) *gomilter.Response {
		resp := m.respond(mod, d, rep)
		attrs := append(line, "action", string(d.action))
		switch {
		case d.action == Hold:
			attrs = append(attrs, "reason", d.reply.text)
		case d.reply != nil:
			attrs = append(attrs, "reply", fmt.Sprintf("%d %s", d.reply.code, d.reply.text))
		}
		if len(d.tagged) > 0 {
			attrs = append(attrs, "tagged", joinTriggers(d.tagged))
		}
		if rep != nil {
			attrs = append(attrs, "from_domain", rep.FromDomain, "status", string(rep.Status),
				"incomplete", rep.Incomplete, "codes", strings.Join(reportCodes(rep), " "))
		}
		attrs = append(append(attrs, extra...), "ms", time.Since(start).Milliseconds())
		m.s.log.Info("message", attrs...)
		return resp
	}

	switch {
	case m.msg == nil:
		// No MAIL FROM seen (a client speaking out of order): nothing to check.
		return gomilter.RespAccept
	case m.tooLarge:
		return logf(choose([]problem{{TriggerTooLarge, 552, fmt.Sprintf("5.3.4 The message is larger than the checker's limit of %d bytes", cfg.MaxSize)}}, cfg.Policy), nil)
	case m.failed != nil:
		m.s.log.Error("spooling the message failed", append(line, "error", m.failed.Error())...)
		resp, _ := gomilter.RejectWithCodeAndReason(451, "4.3.0 The message could not be spooled for checking; try again later")
		return resp
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	select {
	case m.s.slots <- struct{}{}:
		defer func() { <-m.s.slots }()
	case <-ctx.Done():
		return logf(choose([]problem{{TriggerTimeout, 451, "4.4.3 The message checker is busy; try again later"}}, cfg.Policy), nil, "busy", true)
	}

	opts := append(slices.Clip(cfg.CheckOptions), mailcheck.WithAuthservID(m.authservID()))
	if env, ok := m.envelope(); ok {
		opts = append(opts, env)
	}
	rep, err := cfg.check(ctx, io.NewSectionReader(m.msg, 0, m.msg.Size()), opts...)
	if err != nil {
		m.s.log.Error("the check could not run", append(line, "error", err.Error())...)
		resp, _ := gomilter.RejectWithCodeAndReason(451, "4.3.0 The message could not be checked; try again later")
		return resp
	}
	return logf(decide(rep, ctx.Err() != nil, cfg.Policy), rep)
}

// envelope is the SMTP envelope receivers will judge SPF by (see Config.SendingIP).
func (m *session) envelope() (mailcheck.Option, bool) {
	cfg := &m.s.cfg
	switch {
	case cfg.SendingIP.IsValid():
		helo := cfg.HELO
		if helo == "" {
			helo = m.mtaName
		}
		return mailcheck.WithEnvelope(cfg.SendingIP, m.mailFrom, helo), true
	case cfg.UseClientIP && m.client.IsValid():
		return mailcheck.WithEnvelope(m.client, m.mailFrom, m.clientHELO), true
	}
	return nil, false
}

// respond turns a decision into the MTA's instructions: header changes and the
// hold for messages that go on, the reply for those that do not.
func (m *session) respond(mod gomilter.Modifier, d decision, rep *mailcheck.MessageReport) *gomilter.Response {
	cfg := &m.s.cfg
	switch d.action {
	case Reject, TempFail:
		resp, err := gomilter.RejectWithCodeAndReason(d.reply.code, d.reply.text)
		if err != nil { // cannot happen: codes are 4xx/5xx, texts ASCII and short
			m.s.log.Error("formatting the reply", "error", err.Error())
			return gomilter.RespTempFail
		}
		return resp
	case Hold:
		if err := mod.Quarantine("mailcheck: " + d.reply.text); err != nil {
			m.s.log.Warn("the MTA did not take the hold", "error", err.Error())
		}
	}
	// Forged verdicts go first, from the last so the indexes stay right.
	if cfg.AddXMailcheck || len(d.tagged) > 0 {
		for i := m.xmcSeen; i >= 1; i-- {
			m.changeHeader(mod, i, xMailcheckField)
		}
	}
	if cfg.AddAuthResults && rep != nil {
		for i := len(m.staleAR) - 1; i >= 0; i-- {
			m.changeHeader(mod, m.staleAR[i], "Authentication-Results")
		}
		if v := authResValue(rep.AuthenticationResults); v != "" {
			m.insertHeader(mod, "Authentication-Results", v)
		}
	}
	if cfg.AddXMailcheck || len(d.tagged) > 0 {
		m.insertHeader(mod, xMailcheckField, xMailcheckValue(rep, d))
	}
	return gomilter.RespAccept
}

func (m *session) changeHeader(mod gomilter.Modifier, index int, name string) {
	if err := mod.ChangeHeader(index, name, ""); err != nil {
		m.s.log.Warn("removing a header field", "field", name, "error", err.Error())
	}
}

// insertHeader puts a field at the top of the header, where receivers add theirs
// (RFC 8601 §5 prepends Authentication-Results).
func (m *session) insertHeader(mod gomilter.Modifier, name, value string) {
	if m.leadSpace {
		// Under SMFIP_HDR_LEADSPC the MTA adds no space after the colon of the
		// fields we add either (Postfix wrote "X-Mailcheck:pass" before this).
		value = " " + value
	}
	if err := mod.InsertHeader(0, name, value); err != nil {
		m.s.log.Warn("adding a header field", "field", name, "error", err.Error())
	}
}
