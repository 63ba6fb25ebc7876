package milter

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/attachments"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/message"
)

// Action is what the milter tells the MTA to do with a message.
type Action string

// The actions, from mildest to strongest: when several problems are found, the
// strongest action any of them is configured with is taken.
const (
	// Accept delivers the message; the problem is still in the X-Mailcheck codes
	// when that header is on.
	Accept Action = "accept"
	// Tag delivers the message with the problem named in the X-Mailcheck header
	// (tagged=...), which is then added even when Config.AddXMailcheck is off.
	Tag Action = "tag"
	// Hold delivers the message to the MTA's hold queue (the milter quarantine
	// action; Postfix: "postqueue -p" shows it, "postsuper -H" releases it).
	Hold Action = "hold"
	// TempFail refuses the message with a 4xx reply: the client keeps it and retries.
	TempFail Action = "tempfail"
	// Reject refuses the message with a 5xx reply the sender's client shows.
	Reject Action = "reject"
)

func (a Action) rank() int {
	switch a {
	case Tag:
		return 1
	case Hold:
		return 2
	case TempFail:
		return 3
	case Reject:
		return 4
	}
	return 0
}

// Policy says which action each kind of problem gets.
type Policy struct {
	// Attachment: a selected receiver rejects a file of the message (an .exe,
	// also inside an archive). Reject, Hold, Tag or Accept.
	Attachment Action
	// DMARC: DMARC is certain to fail at the receiver under an enforcing policy
	// (p=quarantine or p=reject, after t=y). Reject, Hold, Tag or Accept.
	DMARC Action
	// Header: the header breaks a rule receivers enforce (no From or Date, two
	// From fields, ...). Reject, Hold, Tag or Accept.
	Header Action
	// DNSError: DNS failures left the check incomplete. TempFail, Tag or Accept.
	DNSError Action
	// Timeout: the check ran out of Config.Timeout, or waited that long for a free
	// slot (Config.MaxConcurrent). TempFail, Tag or Accept.
	Timeout Action
	// TooLarge: the message is larger than Config.MaxSize and was not checked.
	// Reject, TempFail, Tag or Accept.
	TooLarge Action
}

// DefaultPolicy is what a provider would ship: reject what every receiver
// rejects anyway (forbidden attachments), tag the rest.
var DefaultPolicy = Policy{Attachment: Reject, DMARC: Tag, Header: Tag, DNSError: Tag, Timeout: Tag, TooLarge: Tag}

// Trigger names a kind of problem, as in Policy and in X-Mailcheck's tagged=.
type Trigger string

// The triggers, in the order their replies are preferred when two problems share
// the strongest action.
const (
	TriggerAttachment Trigger = "attachment"
	TriggerDMARC      Trigger = "dmarc"
	TriggerHeader     Trigger = "header"
	TriggerTimeout    Trigger = "timeout"
	TriggerDNSError   Trigger = "dns"
	TriggerTooLarge   Trigger = "too-large"
)

// allowed lists the actions each trigger may be given.
var allowed = map[Trigger][]Action{
	TriggerAttachment: {Reject, Hold, Tag, Accept},
	TriggerDMARC:      {Reject, Hold, Tag, Accept},
	TriggerHeader:     {Reject, Hold, Tag, Accept},
	TriggerDNSError:   {TempFail, Tag, Accept},
	TriggerTimeout:    {TempFail, Tag, Accept},
	TriggerTooLarge:   {Reject, TempFail, Tag, Accept},
}

func (p Policy) action(t Trigger) Action {
	switch t {
	case TriggerAttachment:
		return p.Attachment
	case TriggerDMARC:
		return p.DMARC
	case TriggerHeader:
		return p.Header
	case TriggerDNSError:
		return p.DNSError
	case TriggerTimeout:
		return p.Timeout
	case TriggerTooLarge:
		return p.TooLarge
	}
	return Accept
}

// Validate reports an action a trigger cannot take, e.g. "hold" for DNS errors
// (holding mail because DNS failed would need a person to release every message).
func (p Policy) Validate() error {
	for _, t := range []Trigger{TriggerAttachment, TriggerDMARC, TriggerHeader, TriggerDNSError, TriggerTimeout, TriggerTooLarge} {
		a := p.action(t)
		ok := false
		for _, b := range allowed[t] {
			ok = ok || a == b
		}
		if !ok {
			names := make([]string, len(allowed[t]))
			for i, b := range allowed[t] {
				names[i] = string(b)
			}
			return fmt.Errorf("milter: %q is not an action for %s problems (one of: %s)", a, t, strings.Join(names, ", "))
		}
	}
	return nil
}

// problem is one trigger found in a message, with the SMTP reply it would give.
type problem struct {
	trigger Trigger
	code    uint16 // SMTP reply code
	text    string // enhanced status code and words, ASCII
}

// decision is what to do with one message.
type decision struct {
	action Action
	// reply is the problem whose reply is sent (Reject, TempFail) or whose words
	// are the hold reason; nil for Accept and Tag.
	reply    *problem
	problems []problem
	// tagged are the triggers whose action is Tag.
	tagged []Trigger
}

// decide applies the policy to a report. timedOut says the check's time ran out
// (which also leaves it incomplete: that is a timeout, not a DNS error).
func decide(rep *mailcheck.MessageReport, timedOut bool, p Policy) decision {
	var probs []problem
	if att := rep.Attachments(); att != nil && att.Rejected() {
		probs = append(probs, problem{TriggerAttachment, 554, "5.7.1 " + blockedAttachment(att)})
	}
	if pr := rep.DMARC(); pr != nil && certainDMARCFail(rep, pr) {
		probs = append(probs, problem{TriggerDMARC, 550, fmt.Sprintf("5.7.1 DMARC will fail for %s under p=%s: %s",
			pr.FromDomain, pr.Disposition, strings.Join(pr.Causes, "; "))})
	}
	if h := rep.Check("headers"); h != nil && h.Status == mailcheck.StatusFail {
		probs = append(probs, problem{TriggerHeader, 554, "5.6.0 " + firstError(h)})
	}
	switch {
	case timedOut:
		probs = append(probs, problem{TriggerTimeout, 451, "4.4.3 The message could not be checked in time (DNS too slow); try again later"})
	case rep.Incomplete:
		probs = append(probs, problem{TriggerDNSError, 451, "4.4.3 DNS lookups failed while checking the message; try again later"})
	}
	return choose(probs, p)
}

// choose takes the strongest action the problems' triggers are given; its reply is
// the first problem's (in trigger order) with that action.
func choose(probs []problem, p Policy) decision {
	d := decision{action: Accept, problems: probs}
	for i, pr := range probs {
		a := p.action(pr.trigger)
		if a == Tag {
			d.tagged = append(d.tagged, pr.trigger)
		}
		if a.rank() > d.action.rank() {
			d.action, d.reply = a, &probs[i]
		}
	}
	if d.action == Tag || d.action == Accept {
		d.reply = nil
	}
	return d
}

// certainDMARCFail: the prediction is a failure the receiver acts on (quarantine or
// reject after t=y), and certain: the dmarc check fails (not warns, which it does
// when SPF was not evaluated and could still pass, RFC 7489 §4.2).
func certainDMARCFail(rep *mailcheck.MessageReport, pr *message.Prediction) bool {
	c := rep.Check("dmarc")
	return c != nil && c.Status == mailcheck.StatusFail && pr.Result == message.Fail &&
		(pr.Disposition == dmarc.Quarantine || pr.Disposition == dmarc.Reject)
}

// blockedAttachment names the first file a selected receiver rejects, with the
// archives it sits in: `invoice.zip > docs/invoice.pdf.exe is refused by gmail:
// "invoice.pdf.exe" has the listed extension .exe`.
func blockedAttachment(r *attachments.Report) string {
	var walk func(as []attachments.Attachment, path []string) string
	walk = func(as []attachments.Attachment, path []string) string {
		for _, a := range as {
			p := append(path[:len(path):len(path)], fileName(a))
			for _, v := range a.Verdicts {
				if v.Action == attachments.Reject {
					return fmt.Sprintf("Attachment %s is refused by %s: %s", strings.Join(p, " > "), v.Receiver, v.Reason)
				}
			}
			if s := walk(a.Contents, p); s != "" {
				return s
			}
		}
		return ""
	}
	if s := walk(r.Attachments, nil); s != "" {
		return smtpText(s)
	}
	// A verdict on the whole message without a file (none today): say who.
	for _, v := range r.Receivers {
		if v.Action == attachments.Reject {
			return smtpText("An attachment is refused by " + v.Receiver + ": " + v.Reason)
		}
	}
	return "An attachment is refused by the receiver"
}

func fileName(a attachments.Attachment) string {
	switch {
	case a.Entry != "":
		return a.Entry
	case len(a.Names) > 0:
		return a.Names[0]
	}
	return "part " + a.Part
}

func firstError(c *mailcheck.Check) string {
	for _, f := range c.Findings {
		if f.Severity == mailcheck.Error {
			return smtpText(f.Message)
		}
	}
	return smtpText(c.Summary)
}

// maxReplyText keeps a reply on one line that every MTA relays whole (RFC 5321
// §4.5.3.1.5 allows 512 octets per reply line, code included).
const maxReplyText = 400

// smtpText makes words safe for an SMTP reply line: printable ASCII only (a file
// name's other characters become '?'; SMTPUTF8 replies are not relayed by every
// client), at most maxReplyText bytes.
func smtpText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			b.WriteByte(' ')
		case r == '→':
			b.WriteByte('>')
		case r < 0x20 || r >= 0x7f || r == utf8.RuneError:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
		if b.Len() >= maxReplyText {
			return b.String()[:maxReplyText-3] + "..."
		}
	}
	return b.String()
}
