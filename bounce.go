package mailcheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/bounce"
	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/message"
	"github.com/mailcheck/mailcheck/reputation"
	"github.com/mailcheck/mailcheck/spf"
)

// BounceReport explains one rejection notice: per failed recipient the reason and
// its cause, and the checks that confirm the cause with what to change.
type BounceReport struct {
	// Format and Source say how the notice came and who wrote it (see bounce.Report).
	Format       bounce.Format `json:"format"`
	Source       string        `json:"source,omitempty"`
	ReportingMTA string        `json:"reporting_mta,omitempty"`
	// FromDomain is the author domain of the message that bounced; EnvelopeSender its
	// MAIL FROM; SendingIP the address the receiver saw it come from. Each is empty
	// when the notice does not tell.
	FromDomain     string `json:"from_domain,omitempty"`
	EnvelopeSender string `json:"envelope_sender,omitempty"`
	SendingIP      string `json:"sending_ip,omitempty"`
	// ReceiverSaw is the receiver's Authentication-Results, when the returned header
	// carries them.
	ReceiverSaw *AuthResults `json:"receiver_saw,omitempty"`
	// Original says whether the message or only its header came back.
	Original string    `json:"original"`
	Bounces  []*Bounce `json:"bounces"`
	// Checks are the checks the diagnosis ran (spf, dmarc, dkim, spf-host, ptr,
	// message-headers, message-dkim, message-attachments).
	Checks []*Check `json:"checks"`
	// Status is the worst of the checks' and the findings' verdicts.
	Status     Status         `json:"status"`
	Incomplete bool           `json:"incomplete"`
	Queries    dnscheck.Stats `json:"queries"`
	ElapsedMS  int64          `json:"elapsed_ms"`
}

// Bounce is one recipient's failure and what caused it.
type Bounce struct {
	Recipient         string `json:"recipient"`
	OriginalRecipient string `json:"original_recipient,omitempty"`
	Action            string `json:"action,omitempty"`
	// Status is the RFC 3463 enhanced status code.
	Status     string        `json:"status"`
	ReplyCode  int           `json:"reply_code"`
	Diagnostic string        `json:"diagnostic"`
	RemoteMTA  string        `json:"remote_mta"`
	Reason     bounce.Reason `json:"reason"`
	// Cause says in one sentence what the reason means for the sender.
	Cause    string    `json:"cause"`
	Findings []Finding `json:"findings"`
}

// AuthResults are the results a receiver recorded (RFC 8601 Authentication-Results,
// RFC 7208 Received-SPF) in the returned header.
type AuthResults struct {
	SPF        string `json:"spf,omitempty"`
	DKIM       string `json:"dkim,omitempty"`
	DKIMDomain string `json:"dkim_domain,omitempty"`
	DMARC      string `json:"dmarc,omitempty"`
	MailFrom   string `json:"mail_from,omitempty"`
	IP         string `json:"ip,omitempty"`
}

// ExplainBounce reads a rejection notice (see package bounce for the formats) and,
// for the reasons that point at the sender's setup, runs the checks that confirm the
// cause: SPF, DKIM and DMARC of the sender domain and check_host() for the IP the
// receiver saw (authentication failures, forwards without SRS), the returned
// message's header and attachments (spam, virus, content and policy rejections),
// and the sending IP's forward-confirmed reverse DNS (blocks, reputation, reverse
// DNS). Input that is not a bounce gives an error wrapping bounce.ErrNotBounce; the
// error is otherwise set only when the notice cannot be read.
func ExplainBounce(ctx context.Context, r io.Reader, opts ...Option) (*BounceReport, error) {
	start := time.Now()
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.timeout)
		defer cancel()
	}
	rep, err := bounce.Parse(r)
	if err != nil {
		return nil, err
	}
	d := &diagnosis{ctx: ctx, cfg: cfg, rep: rep, out: &BounceReport{Format: rep.Format, Source: rep.Source,
		ReportingMTA: rep.ReportingMTA, Original: "none", Checks: []*Check{}}}
	d.gatherFacts()
	if err := d.run(); err != nil {
		return nil, err
	}
	out := d.out
	statuses := []Status{}
	for _, c := range out.Checks {
		statuses = append(statuses, c.Status)
		out.Incomplete = out.Incomplete || c.Incomplete()
	}
	for _, b := range out.Bounces {
		statuses = append(statuses, statusOf(b.Findings))
	}
	out.Status = worstOf(statuses)
	out.Queries = cfg.resolver.Stats()
	out.ElapsedMS = time.Since(start).Milliseconds()
	return out, nil
}

func worstOf(statuses []Status) Status {
	checks := make([]*Check, len(statuses))
	for i, s := range statuses {
		checks[i] = &Check{Status: s}
	}
	return worstStatus(checks)
}

// diagnosis is the state of one ExplainBounce run.
type diagnosis struct {
	ctx context.Context
	cfg *config
	rep *bounce.Report
	out *BounceReport
	// original is the returned header (nil when none came back); body is true when
	// the whole message came back.
	original *mail.Header
	body     bool
	ip       netip.Addr
	// The checks run, by ID, so each runs once however many recipients need it.
	checks map[string]*Check
	// spfHost is check_host() for the sending IP, when it ran.
	spfHost *spf.Outcome
	// msgDKIM is the returned message's DKIM verification, when it ran.
	msgDKIM *dkim.MessageReport
}

var (
	// Sender domains as receivers name them in their replies.
	domainInTextRE = regexp.MustCompile(`(?i)(?:unauthenticated email from|sending domain|dmarc policy for|spf \[|domain of)\s+\[?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)`)
	// An IPv4 or IPv6 literal in brackets, or after "ip:" or "from".
	ipInTextRE = regexp.MustCompile(`(?i)(?:\[|ip:?\s*\[?|from\s+)([0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})\]?`)
	// Authentication-Results properties (RFC 8601 §2.2).
	arMethodRE   = regexp.MustCompile(`(?i)\b(spf|dkim|dmarc)\s*=\s*([a-z]+)`)
	arHeaderDRE  = regexp.MustCompile(`(?i)\bheader\.d\s*=\s*([a-z0-9.-]+)`)
	arMailFromRE = regexp.MustCompile(`(?i)\bsmtp\.mail(?:from)?\s*=\s*([^\s;]+)`)
	arIPRE       = regexp.MustCompile(`(?i)(?:sender ip is|client-ip=|smtp\.remote-ip=)\s*\[?([0-9a-f.:]+)`)
)

// gatherFacts reads who sent the message, from where, and what the receiver saw.
func (d *diagnosis) gatherFacts() {
	rep, out := d.rep, d.out
	if rep.Original != nil {
		if m, err := mail.ReadMessage(bytes.NewReader(rep.Original.Raw)); err == nil {
			h := m.Header
			d.original = &h
			d.body = !rep.Original.HeadersOnly
			out.Original = "message"
			if rep.Original.HeadersOnly {
				out.Original = "headers"
			}
		}
	}
	if d.original != nil {
		out.FromDomain = domainOfAddress(d.original.Get("From"))
		out.EnvelopeSender = addressIn(d.original.Get("Return-Path"))
		ar := &AuthResults{}
		for _, v := range append((*d.original)["Authentication-Results"], (*d.original)["Arc-Authentication-Results"]...) {
			for _, m := range arMethodRE.FindAllStringSubmatch(v, -1) {
				switch strings.ToLower(m[1]) {
				case "spf":
					ar.SPF = first(ar.SPF, strings.ToLower(m[2]))
				case "dkim":
					ar.DKIM = first(ar.DKIM, strings.ToLower(m[2]))
				case "dmarc":
					ar.DMARC = first(ar.DMARC, strings.ToLower(m[2]))
				}
			}
			if m := arHeaderDRE.FindStringSubmatch(v); m != nil && !strings.EqualFold(m[1], "none") {
				ar.DKIMDomain = first(ar.DKIMDomain, strings.ToLower(m[1]))
			}
			if m := arMailFromRE.FindStringSubmatch(v); m != nil {
				ar.MailFrom = first(ar.MailFrom, strings.ToLower(m[1]))
			}
			if m := arIPRE.FindStringSubmatch(v); m != nil {
				ar.IP = first(ar.IP, m[1])
			}
		}
		for _, v := range (*d.original)["Received-Spf"] {
			if m := arIPRE.FindStringSubmatch(v); m != nil {
				ar.IP = first(ar.IP, m[1])
			}
		}
		if *ar != (AuthResults{}) {
			out.ReceiverSaw = ar
		}
	}
	if out.FromDomain == "" {
		for _, rc := range rep.Recipients {
			if m := domainInTextRE.FindStringSubmatch(rc.Diagnostic); m != nil {
				out.FromDomain = strings.ToLower(m[1])
				break
			}
		}
	}
	if out.EnvelopeSender == "" {
		out.EnvelopeSender = rep.Sender
	}
	if out.EnvelopeSender == "" {
		out.EnvelopeSender = addressIn(rep.NoticeTo)
	}
	if out.FromDomain == "" {
		out.FromDomain = domainOfAddress(rep.NoticeTo)
	}
	if out.FromDomain == "" {
		out.FromDomain = domainOfAddress(out.EnvelopeSender)
	}
	// The sending IP: what the receiver recorded, then what the notice says.
	candidates := []string{}
	if out.ReceiverSaw != nil {
		candidates = append(candidates, out.ReceiverSaw.IP)
	}
	candidates = append(candidates, rep.SourceIP)
	for _, rc := range rep.Recipients {
		// A receiver's reply names the client's address, not its own (the MTA's
		// "host name[IP] said:" wrapper is gone from the diagnostic).
		for _, m := range ipInTextRE.FindAllStringSubmatch(rc.Diagnostic, 4) {
			candidates = append(candidates, m[1])
		}
	}
	for _, c := range candidates {
		if ip, err := netip.ParseAddr(strings.Trim(c, "[]")); err == nil && !ip.IsUnspecified() {
			d.ip = ip.Unmap()
			out.SendingIP = d.ip.String()
			break
		}
	}
}

func first(have, v string) string {
	if have != "" {
		return have
	}
	return v
}

// addressIn returns the address in a header value ("Alice <a@b>", "<a@b>"), lower
// case, or "".
func addressIn(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "<>" {
		return ""
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return strings.ToLower(a.Address)
	}
	v = strings.Trim(v, "<> ")
	if strings.Count(v, "@") == 1 && !strings.ContainsAny(v, " \t<>") {
		return strings.ToLower(v)
	}
	return ""
}

func domainOfAddress(v string) string {
	a := addressIn(v)
	if a == "" {
		a = strings.ToLower(strings.TrimSpace(v))
	}
	at := strings.LastIndexByte(a, '@')
	if at < 0 || at == len(a)-1 {
		return ""
	}
	dom, err := dnscheck.NormalizeDomain(a[at+1:])
	if err != nil {
		return ""
	}
	return dom.ASCII
}

// needs says which families of checks a reason calls for.
func needs(r bounce.Reason) (auth, content, ptr bool) {
	switch r {
	case bounce.AuthFailure:
		return true, false, false
	case bounce.SpamDetected, bounce.VirusDetected, bounce.ContentError, bounce.PolicyViolation, bounce.NotCompliantRFC:
		return false, true, false
	case bounce.Blocked, bounce.BadReputation, bounce.RequirePTR:
		return false, false, true
	}
	return false, false, false
}

// run makes the per-recipient explanations and runs the checks they need.
func (d *diagnosis) run() error {
	d.checks = map[string]*Check{}
	var auth, content, ptr bool
	for _, rc := range d.rep.Recipients {
		a, c, p := needs(rc.Reason)
		auth, content, ptr = auth || a, content || c, ptr || p
	}
	if err := d.runChecks(auth, content, ptr); err != nil {
		return err
	}
	for _, rc := range d.rep.Recipients {
		b := &Bounce{Recipient: rc.Address, OriginalRecipient: rc.OriginalRecipient, Action: rc.Action, Status: rc.Status,
			ReplyCode: rc.ReplyCode, Diagnostic: rc.Diagnostic, RemoteMTA: rc.RemoteMTA, Reason: rc.Reason,
			Cause: causeOf(rc.Reason, d.out.FromDomain), Findings: []Finding{}}
		a, c, p := needs(rc.Reason)
		if a {
			b.Findings = append(b.Findings, d.authFindings(rc)...)
		}
		if c {
			b.Findings = append(b.Findings, d.contentFindings(rc)...)
		}
		if p {
			b.Findings = append(b.Findings, d.ptrFindings(rc)...)
		}
		if rc.Reason == bounce.Feedback {
			b.Findings = append(b.Findings, d.complaintFinding(rc))
		}
		d.out.Bounces = append(d.out.Bounces, b)
	}
	// The report lists the checks in a stable order.
	for _, id := range []string{"spf", "spf-host", "dmarc", "dkim", "message-headers", "message-dkim", "message-attachments", "message-content", "link-reputation", "ptr", "reputation"} {
		if c := d.checks[id]; c != nil {
			d.out.Checks = append(d.out.Checks, c)
		}
	}
	return nil
}

// runChecks runs each family of checks once, on the shared resolver.
func (d *diagnosis) runChecks(auth, content, ptr bool) error {
	shared := []Option{WithResolver(d.cfg.resolver)}
	from, env := d.out.FromDomain, d.out.EnvelopeSender
	envDomain := domainOfAddress(env)
	if envDomain == "" {
		envDomain = from
	}
	if auth && from != "" {
		c, err := CheckSPF(d.ctx, envDomain, shared...)
		if err != nil {
			return err
		}
		d.checks["spf"] = c
		if c, err = CheckDMARC(d.ctx, from, shared...); err != nil {
			return err
		}
		d.checks["dmarc"] = c
		var selectors []string
		if d.original != nil {
			for _, sig := range (*d.original)["Dkim-Signature"] {
				if dom, sel := dkimTags(sig); sel != "" && dmarc.Aligned(from, dom, dmarc.Relaxed) {
					selectors = append(selectors, sel)
				}
			}
		}
		if c, err = CheckDKIM(d.ctx, from, append(shared, WithSelectors(selectors...))...); err != nil {
			return err
		}
		d.checks["dkim"] = c
		if d.ip.IsValid() && env != "" {
			c, err := CheckSPFHost(d.ctx, SPFQuery{IP: d.ip, Sender: env}, shared...)
			if err != nil {
				return err
			}
			c.ID = "spf-host"
			d.checks["spf-host"] = c
			d.spfHost, _ = c.Details.(*spf.Outcome)
		}
	}
	if (auth || content) && d.original != nil {
		if d.body {
			msg, err := CheckMessage(d.ctx, bytes.NewReader(d.rep.Original.Raw), append(shared, WithAttachmentOptions(d.cfg.attachmentOpts...))...)
			if err != nil {
				return err
			}
			for _, c := range msg.Checks {
				c.ID = "message-" + c.ID
				d.checks[c.ID] = c
				if res, ok := c.Details.(*dkim.MessageReport); ok {
					d.msgDKIM = res
				}
			}
			// The IDs were just prefixed, so the content report is read from the check.
			var cr *ContentReport
			if c := d.checks["message-content"]; c != nil {
				cr, _ = c.Details.(*ContentReport)
			}
			if content && cr != nil && cr.Links != nil && len(cr.Links.Domains) > 0 && d.cfg.reputationOn() {
				if err := d.checkLinkDomains(cr.Links.Domains); err != nil {
					return err
				}
			}
		} else if content {
			// Only the header came back: its rules can be checked, not the body's.
			hdr := message.CheckHeader(bytes.NewReader(d.rep.Original.Raw))
			c := headersCheck(hdr, hdr.Findings)
			c.ID = "message-headers"
			d.checks[c.ID] = c
		}
	}
	if ptr && d.ip.IsValid() && d.cfg.reputationOn() {
		// The lists the reply names are not the only ones receivers consult: look
		// the IP up in the default lists too, through the same resolver.
		res, err := reputation.Check(d.ctx, d.cfg.resolver, "", d.cfg.blocklistOptions(reputation.WithSendingIPs(d.ip))...)
		if err != nil {
			return err
		}
		if len(res.Results) > 0 { // none for a private or documentation address
			c := &Check{ID: "reputation", Domain: d.ip.String(), Findings: res.Findings, Details: res}
			c.Status = statusOf(c.Findings)
			c.Summary = fmt.Sprintf("%d lookup(s) of %s in %d blocklists: %d listing(s).", len(res.Results), d.ip, listsAsked(res), len(res.Listed()))
			d.checks["reputation"] = c
		}
	}
	if ptr && d.ip.IsValid() {
		p := checkPTRs(d.ctx, d.cfg.resolver, []netip.Addr{d.ip})[0]
		c := &Check{ID: "ptr", Domain: p.IP.String(), Findings: []Finding{ptrFinding(p)}, Details: p}
		c.Status = statusOf(c.Findings)
		c.Summary = ptrSummary(p)
		d.checks["ptr"] = c
	}
	return nil
}

// checkLinkDomains looks the registrable domains the returned message links to up in
// the domain blocklists, as receivers' URL filters do (see lookupLinkDomains).
func (d *diagnosis) checkLinkDomains(domains []string) error {
	rep, looked, err := lookupLinkDomains(d.ctx, d.cfg, domains)
	if err != nil || rep == nil {
		return err
	}
	c := &Check{ID: "link-reputation", Domain: strings.Join(looked, ", "), Findings: rep.Findings, Details: rep}
	c.Status = statusOf(c.Findings)
	c.Summary = fmt.Sprintf("%d link domain(s) looked up in %d blocklists: %d listing(s).", len(looked), listsAsked(rep), len(rep.Listed()))
	d.checks[c.ID] = c
	return nil
}

// dkimTags returns d= and s= of a DKIM-Signature field value.
func dkimTags(v string) (domain, selector string) {
	for _, tag := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(tag, "=")
		if !ok {
			continue
		}
		val = strings.Join(strings.Fields(val), "")
		switch strings.TrimSpace(k) {
		case "d":
			domain = strings.ToLower(val)
		case "s":
			selector = strings.ToLower(val)
		}
	}
	return domain, selector
}

// spfFailed reports whether SPF did not pass for the message, as far as the notice
// and the checks tell, and in whose words.
func (d *diagnosis) spfFailed(rc bounce.Recipient) (failed bool, known bool, how string) {
	if d.spfHost != nil {
		r := d.spfHost.Result
		return r != spf.Pass && r != spf.TempError, r != spf.TempError, fmt.Sprintf("check_host(%s, %s) = %s", d.spfHost.IP, d.spfHost.Domain, r)
	}
	if ar := d.out.ReceiverSaw; ar != nil && ar.SPF != "" {
		return ar.SPF != "pass", true, "the receiver recorded spf=" + ar.SPF
	}
	low := strings.ToLower(rc.Diagnostic)
	if strings.Contains(low, "spf") && (strings.Contains(low, "did not pass") || strings.Contains(low, "fail")) {
		return true, true, "the receiver says SPF did not pass"
	}
	return false, false, ""
}

// dkimAligned reports whether a DKIM signature aligned with the From domain passed,
// as far as the notice and the checks tell.
func (d *diagnosis) dkimAligned(rc bounce.Recipient) (aligned bool, known bool, how string) {
	from := d.out.FromDomain
	if ar := d.out.ReceiverSaw; ar != nil && ar.DKIM != "" {
		ok := ar.DKIM == "pass" && (ar.DKIMDomain == "" || dmarc.Aligned(from, ar.DKIMDomain, dmarc.Relaxed))
		return ok, true, "the receiver recorded dkim=" + ar.DKIM
	}
	low := strings.ToLower(rc.Diagnostic)
	if strings.Contains(low, "dkim = did not pass") || strings.Contains(low, "dkim=fail") || strings.Contains(low, "dkim=none") {
		return false, true, "the receiver says DKIM did not pass"
	}
	if d.msgDKIM != nil {
		if d.msgDKIM.Aligned {
			return true, true, "a DKIM signature aligned with " + from + " verifies on the returned copy"
		}
		if len(d.msgDKIM.Signatures) == 0 {
			return false, true, "the returned message carries no DKIM signature"
		}
		return false, true, "no DKIM signature on the returned copy both verifies and aligns with " + from
	}
	return false, false, ""
}

// authFindings explain an authentication failure.
func (d *diagnosis) authFindings(rc bounce.Recipient) []Finding {
	from := d.out.FromDomain
	var fs []Finding
	if from == "" {
		return []Finding{{Code: bounce.CodeAuthFailure, Severity: Error, Ref: "RFC 7489 §6.6",
			Message: "The receiver rejected the message for failed authentication, but the notice names no sender domain to check.",
			Fix:     "Run `mailcheck DOMAIN` on the domain in your From address."}}
	}
	spfFailed, spfKnown, spfHow := d.spfFailed(rc)
	aligned, dkimKnown, dkimHow := d.dkimAligned(rc)
	var saw []string
	if ar := d.out.ReceiverSaw; ar != nil {
		for _, kv := range [][2]string{{"spf", ar.SPF}, {"dkim", ar.DKIM}, {"dmarc", ar.DMARC}} {
			if kv[1] != "" {
				saw = append(saw, kv[0]+"="+kv[1])
			}
		}
	}
	msg := fmt.Sprintf("%s rejected the message from %s because it did not authenticate", hostOr(rc.RemoteMTA, "The receiver"), from)
	if len(saw) > 0 {
		msg += " (the receiver recorded " + strings.Join(saw, ", ") + ")"
	}
	policy := ""
	if c := d.checks["dmarc"]; c != nil {
		if res, ok := c.Details.(*dmarc.Report); ok && res.EffectivePolicy != "" {
			policy = string(res.EffectivePolicy)
			msg += fmt.Sprintf("; %s's DMARC policy is p=%s, so receivers refuse mail that neither SPF nor DKIM authenticates in alignment with it", from, policy)
		}
	}
	fs = append(fs, Finding{Code: bounce.CodeAuthFailure, Severity: Error, Ref: "RFC 7489 §4.2", Message: msg + ".",
		Fix: fmt.Sprintf("Make DKIM (d=%s) or SPF (a MAIL FROM in %s listing the sending server) pass for every server that sends as %s; the findings below say which is missing.", from, from, from)})

	forwarded := rc.OriginalRecipient != "" && domainOfAddress(rc.OriginalRecipient) != "" &&
		domainOfAddress(rc.OriginalRecipient) != domainOfAddress(rc.Address)
	if forwarded && spfFailed && dkimKnown && !aligned {
		fwd := domainOfAddress(rc.OriginalRecipient)
		ip := "the forwarder's server"
		if d.ip.IsValid() {
			ip = d.ip.String()
		}
		fs = append(fs, Finding{Code: bounce.CodeForwardWithoutSRS, Severity: Error, Ref: "RFC 7208 §3.9, RFC 7489 §4.2",
			Message: fmt.Sprintf("%s forwarded the message to %s from %s without rewriting the envelope sender (SRS): SPF checked %s's record against the forwarder's IP and failed (%s), and no DKIM signature aligned with %s survived (%s), so DMARC failed.",
				rc.OriginalRecipient, rc.Address, ip, from, spfHow, from, dkimHow),
			Fix:      fmt.Sprintf("Sender side: sign every message with DKIM, d=%s; a signature survives forwarding where SPF cannot. Forwarder side (%s): rewrite the envelope sender with SRS, or keep the message in the mailbox instead of forwarding.", from, fwd),
			Evidence: &Evidence{Detail: "original recipient " + rc.OriginalRecipient + ", final recipient " + rc.Address}})
		return fs
	}
	if spfKnown && spfFailed {
		f := Finding{Code: bounce.CodeSPFNotAuthorized, Severity: Error, Ref: "RFC 7208 §2.6",
			Message: fmt.Sprintf("SPF did not pass for the message (%s).", spfHow)}
		if d.spfHost != nil {
			f.Message = fmt.Sprintf("%s is not authorized by the SPF record of %s (%s).", d.spfHost.IP, d.spfHost.Domain, d.spfHost.Result)
			f.Fix = fmt.Sprintf("If %s is your server or your provider's, add it to the SPF record of %s (ip4:/ip6:, or the include: your provider documents); run `mailcheck spf %s --ip %s` to confirm.",
				d.spfHost.IP, d.spfHost.Domain, d.spfHost.Domain, d.spfHost.IP)
			if d.spfHost.Result == spf.PermError {
				f.Fix = fmt.Sprintf("The record of %s is broken (permerror): run `mailcheck spf %s` to see what to correct.", d.spfHost.Domain, d.spfHost.Domain)
			}
		} else {
			f.Fix = fmt.Sprintf("List every server that sends for %s in its SPF record.", domainOfAddress(d.out.EnvelopeSender))
		}
		fs = append(fs, f)
	}
	if dkimKnown && !aligned {
		fs = append(fs, Finding{Code: bounce.CodeDKIMNotAligned, Severity: Error, Ref: "RFC 7489 §3.1.1",
			Message: fmt.Sprintf("No DKIM signature aligned with %s passed (%s).", from, dkimHow),
			Fix:     fmt.Sprintf("Sign outgoing mail with DKIM using d=%s (or a subdomain of it) and publish the selector's public key; run `mailcheck dkim %s --selector S` to check it.", from, from)})
	}
	if !spfKnown && !dkimKnown {
		fs = append(fs, Finding{Code: bounce.CodeIPUnknown, Severity: Info,
			Message: "The notice gives neither the sending IP nor the receiver's authentication results, so the receiver's SPF and DKIM verdicts cannot be replayed.",
			Fix:     fmt.Sprintf("Run `mailcheck spf %s --ip IP` with your sending server's IP, and `mailcheck message` on a copy of the message as sent.", from)})
	}
	return fs
}

func hostOr(h, alt string) string {
	if h == "" || h == "127.0.0.1" || h == "::1" {
		return alt
	}
	return h
}

// contentFindings explain a rejection of the content: what the returned message
// carries that receivers refuse.
func (d *diagnosis) contentFindings(rc bounce.Recipient) []Finding {
	if d.original == nil {
		return []Finding{{Code: bounce.CodeNoOriginal, Severity: Info,
			Message: "The notice does not return the message, so its header, attachments and links cannot be checked.",
			Fix:     "Run `mailcheck message` on a copy of the message as you sent it."}}
	}
	var problems, removal []string
	linksLookedUp := false
	if c := d.checks["link-reputation"]; c != nil {
		rep := c.Details.(*reputation.Report)
		linksLookedUp = len(rep.Failed()) == 0 && len(rep.Refused()) == 0
		for _, r := range rep.Listed() {
			problems = append(problems, fmt.Sprintf("a link to %s, listed on %s (%s: %s)", r.Target.Domain, r.List, r.Zone, strings.Join(r.Meanings, "; ")))
			removal = append(removal, r.Removal)
		}
	}
	for _, id := range []string{"message-attachments", "message-content", "message-headers"} {
		c := d.checks[id]
		if c == nil {
			continue
		}
		for _, f := range c.Findings {
			// Header warnings (no Message-ID) rarely make a content filter refuse a
			// message; the attachment and link warnings are what URL and attachment
			// filters score.
			if f.Severity == Error || (f.Severity == Warning && id != "message-headers" && !f.Incomplete) {
				problems = append(problems, strings.TrimSuffix(f.Message, "."))
			}
		}
	}
	if len(problems) > 0 {
		fix := "Remove or replace what the findings of the message checks name (send documents as PDF, share executables and archives of them by link), then send again."
		if len(removal) > 0 {
			fix += fmt.Sprintf(" Take out the links to listed domains, or have the domain's owner find the cause and request removal (%s) first.", strings.Join(slices.Compact(slices.Sorted(slices.Values(removal))), ", "))
		}
		return []Finding{{Code: bounce.CodeContentRejected, Severity: Error, Ref: "RFC 3463 §3.8",
			Message: fmt.Sprintf("The returned message carries what receivers refuse: %s.", strings.Join(problems, "; ")),
			Fix:     fix}}
	}
	what := "the returned message's header, attachments and links pass mailcheck's rules"
	if !d.body {
		what = "the returned header passes mailcheck's rules (the body did not come back)"
	}
	if linksLookedUp {
		return []Finding{{Code: bounce.CodeContentRejected, Severity: Warning,
			Message: fmt.Sprintf("The receiver refused the content, but %s and its link domains are on none of the blocklists looked up: the wording or the sender's reputation decided.", what),
			Fix:     "Avoid URL shorteners and spam-like wording, and compare with a plain message that is accepted; check the sending IP's and domain's reputation (`mailcheck DOMAIN --ip IP`)."}}
	}
	return []Finding{{Code: bounce.CodeContentRejected, Severity: Warning,
		Message: fmt.Sprintf("The receiver refused the content, but %s: the wording, the link domains' reputation or the sender's reputation decided.", what),
		Fix:     "Check the link domains against domain blocklists (the reputation check of `mailcheck DOMAIN` looks a domain up in Spamhaus DBL and SURBL), avoid URL shorteners, and compare with a plain message that is accepted."}}
}

// blocklists names the lists and listing authorities receivers cite.
var blocklists = []struct{ word, name, delist string }{
	{"spamhaus", "Spamhaus", "https://check.spamhaus.org/"},
	{"spamcop", "SpamCop", "https://www.spamcop.net/bl.shtml"},
	{"barracuda", "Barracuda", "https://www.barracudacentral.org/rbl/removal-request"},
	{"banned sending ip", "Microsoft's block list", "https://sender.office.com/"},
	{"banned sender", "Microsoft's block list", "https://sender.office.com/"},
	{"[bl21]", "Spamhaus (through Yahoo)", "https://check.spamhaus.org/"},
}

// ptrFindings explain a block: the sending IP's reverse DNS, and the list named.
func (d *diagnosis) ptrFindings(rc bounce.Recipient) []Finding {
	var fs []Finding
	low := strings.ToLower(rc.Diagnostic)
	for _, bl := range blocklists {
		if strings.Contains(low, bl.word) {
			ip := "The sending IP"
			if d.ip.IsValid() {
				ip = d.ip.String()
			}
			fs = append(fs, Finding{Code: bounce.CodeBlocklisted, Severity: Error,
				Message: fmt.Sprintf("%s is listed by %s, which the receiver consults.", ip, bl.name),
				Fix:     fmt.Sprintf("Find and stop what got the IP listed (a compromised account, an open relay, a spam run), then ask for removal at %s.", bl.delist)})
			break
		}
	}
	// Listings found by looking the IP up now, on lists the reply did not name.
	if c := d.checks["reputation"]; c != nil {
		named := ""
		if len(fs) > 0 {
			named = strings.ToLower(fs[0].Message)
		}
		for _, r := range c.Details.(*reputation.Report).Listed() {
			if first, _, _ := strings.Cut(strings.ToLower(r.List), " "); named != "" && first != "" && strings.Contains(named, first) {
				continue // the list the reply named, already reported
			}
			fs = append(fs, Finding{Code: bounce.CodeBlocklisted, Severity: Error, Ref: "RFC 5782 §2",
				Message: fmt.Sprintf("%s is listed on %s (%s): %s. Receivers that consult it refuse or distrust its mail.", d.ip, r.List, r.Zone, strings.Join(r.Meanings, "; ")),
				Fix:     fmt.Sprintf("Find and stop what got the IP listed (a compromised account, an open relay, a spam run), then ask for removal at %s.", r.Removal)})
		}
	}
	if c := d.checks["ptr"]; c != nil {
		f := c.Findings[0]
		if rc.Reason != bounce.RequirePTR && f.Severity == Error {
			f.Message += " Receivers weigh this against the sender."
		}
		fs = append(fs, f)
	} else if !d.ip.IsValid() {
		fs = append(fs, Finding{Code: bounce.CodeIPUnknown, Severity: Info,
			Message: "The notice does not say which IP sent the message, so its reverse DNS cannot be checked.",
			Fix:     "Check your sending server's IP: its PTR name must resolve back to it (forward-confirmed reverse DNS)."})
	}
	return fs
}

// ptrFinding states the forward-confirmed reverse DNS of the sending IP.
func ptrFinding(p ptrResult) Finding {
	ev := &Evidence{Name: reverseName(p.IP), Type: "PTR", Records: p.Names}
	for i, n := range p.Names {
		p.Names[i] = strings.TrimSuffix(n, ".")
	}
	switch {
	case p.Failed:
		return Finding{Code: bounce.CodePTRMissing, Severity: Error, Incomplete: true, Evidence: ev,
			Message: fmt.Sprintf("The reverse DNS of %s could not be looked up: %s.", p.IP, p.Err)}
	case len(p.Names) == 0:
		return Finding{Code: bounce.CodePTRMissing, Severity: Error, Ref: "RFC 1912 §2.1", Evidence: ev,
			Message: fmt.Sprintf("%s has no PTR record: Gmail, Microsoft and Yahoo refuse or distrust mail from IPs without reverse DNS.", p.IP),
			Fix:     fmt.Sprintf("Ask whoever owns %s (your hosting or ISP) to publish a PTR record naming your mail server, e.g. mail.yourdomain, and give that name an A/AAAA record of %s.", p.IP, p.IP)}
	case !p.Confirmed:
		return Finding{Code: bounce.CodePTRNotConfirmed, Severity: Error, Ref: "RFC 8601 §3", Evidence: ev,
			Message: fmt.Sprintf("%s has the PTR name %s, which does not resolve back to %s: the reverse DNS is not forward-confirmed.", p.IP, p.Names[0], p.IP),
			Fix:     fmt.Sprintf("Publish an A/AAAA record for %s with the value %s (or change the PTR to a name that has it).", strings.TrimSuffix(p.Names[0], "."), p.IP)}
	}
	return Finding{Code: bounce.CodePTRConfirmed, Severity: Info, Evidence: ev,
		Message: fmt.Sprintf("%s has forward-confirmed reverse DNS (%s): the block is about the IP's or the domain's reputation, not its DNS.", p.IP, p.Names[0])}
}

func ptrSummary(p ptrResult) string {
	switch {
	case len(p.Names) == 0:
		return fmt.Sprintf("%s: no PTR record.", p.IP)
	case !p.Confirmed:
		return fmt.Sprintf("%s → %s, not confirmed.", p.IP, p.Names[0])
	}
	return fmt.Sprintf("%s → %s → %s: forward-confirmed.", p.IP, p.Names[0], p.IP)
}

// reverseName is the in-addr.arpa or ip6.arpa name of an address.
func reverseName(ip netip.Addr) string {
	if ip.Is4() {
		b := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa", b[3], b[2], b[1], b[0])
	}
	b := ip.As16()
	var sb strings.Builder
	for i := len(b) - 1; i >= 0; i-- {
		fmt.Fprintf(&sb, "%x.%x.", b[i]&0xf, b[i]>>4)
	}
	return sb.String() + "ip6.arpa"
}

// complaintFinding states a feedback report: a recipient marked the message as spam.
func (d *diagnosis) complaintFinding(rc bounce.Recipient) Finding {
	kind := "abuse"
	if fb := d.rep.Feedback; fb != nil && fb.FeedbackType != "" {
		kind = fb.FeedbackType
	}
	who := rc.Address
	if who == "" {
		who = "A recipient"
	}
	return Finding{Code: bounce.CodeComplaint, Severity: Warning, Ref: "RFC 5965",
		Message: fmt.Sprintf("%s reported a message from %s (feedback type %s); complaints lower the sender's reputation at the receiver.", who, first(d.out.FromDomain, "your domain"), kind),
		Fix:     "Stop mailing this address, and let recipients leave easily: List-Unsubscribe with one-click unsubscribe (RFC 8058)."}
}

// causeOf says what a reason means for the sender, in one sentence.
func causeOf(r bounce.Reason, from string) string {
	dom := first(from, "your domain")
	causes := map[bounce.Reason]string{
		bounce.UserUnknown:     "The address does not exist at the receiver: check it for typos and remove it from your lists.",
		bounce.MailboxFull:     "The recipient's mailbox is full: nothing to change on your side; try later or reach them another way.",
		bounce.HostUnknown:     "The recipient's domain does not exist or publishes no mail server: check the domain for typos.",
		bounce.AuthFailure:     "The receiver could not authenticate the message as coming from " + dom + " (SPF, DKIM, DMARC).",
		bounce.Blocked:         "The receiver refuses mail from the sending server: a block list, its own policy, or the server's DNS.",
		bounce.BadReputation:   "The receiver judges the sending IP or domain by its record of complaints and spam.",
		bounce.Rejected:        "The receiver refused the envelope sender address.",
		bounce.PolicyViolation: "The receiver's policy forbids this message (often its attachments or the sender).",
		bounce.SpamDetected:    "The receiver's filter judged the message to be spam.",
		bounce.VirusDetected:   "The receiver found malware in the message.",
		bounce.MesgTooBig:      "The message is larger than the receiver accepts: send large files by link.",
		bounce.ExceedLimit:     "The message exceeds the recipient's size limit: send large files by link.",
		bounce.Expired:         "The sending server gave up after retrying: the receiver was unreachable or kept deferring.",
		bounce.Filtered:        "The recipient's own rules refused the message.",
		bounce.NoRelaying:      "The server refused to relay: the recipient's domain is not hosted there, or the sender is not allowed to relay through it.",
		bounce.NotAccept:       "The recipient's domain accepts no mail (null MX).",
		bounce.NetworkError:    "The receiver could not be reached (connection, DNS or routing failure).",
		bounce.SecurityError:   "The receiver required a security feature (TLS, authentication) the sending server did not provide.",
		bounce.Suspend:         "The recipient's mailbox is disabled: remove the address from your lists.",
		bounce.SystemError:     "The receiving system failed: nothing to change on your side; it may work later.",
		bounce.SystemFull:      "The receiving system is out of space: it may work later.",
		bounce.TooManyConn:     "The sending server opened too many connections to the receiver: lower its concurrency.",
		bounce.Speeding:        "The receiver is rate-limiting the sender: slow down and spread the sending.",
		bounce.RequirePTR:      "The sending IP has no forward-confirmed reverse DNS, which the receiver requires.",
		bounce.NotCompliantRFC: "The message breaks RFC 5322 (a missing or repeated header field): the receiver refuses it.",
		bounce.ContentError:    "A rule on the message's header or content refused it.",
		bounce.SyntaxError:     "The sending server sent a malformed SMTP command.",
		bounce.MailerError:     "The recipient's delivery program failed.",
		bounce.HasMoved:        "The recipient has moved: use their new address.",
		bounce.OnHold:          "The notice does not say enough to decide why.",
		bounce.Undefined:       "The notice says nothing about why.",
		bounce.Vacation:        "An automatic reply: the message was delivered.",
		bounce.Delivered:       "The message was delivered.",
		bounce.Feedback:        "A recipient reported the message as spam (a feedback report).",
	}
	if c, ok := causes[r]; ok {
		return c
	}
	return "Unknown reason."
}

// CauseOf says what a reason means for the sender, in one sentence.
func CauseOf(r bounce.Reason) string { return causeOf(r, "") }
