package bounce

import (
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// Reason is why a recipient's delivery failed, in Sisimai's vocabulary (the names
// bounce-processing tools share), so results compare with other tools.
type Reason string

// The reasons.
const (
	UserUnknown     Reason = "userunknown"     // the mailbox does not exist
	MailboxFull     Reason = "mailboxfull"     // the mailbox is over quota
	HostUnknown     Reason = "hostunknown"     // the recipient domain does not exist or has no mail server
	AuthFailure     Reason = "authfailure"     // SPF, DKIM or DMARC did not pass
	Blocked         Reason = "blocked"         // the sending IP or host is refused (blocklist, policy)
	BadReputation   Reason = "badreputation"   // the sending IP or domain has a poor reputation
	Rejected        Reason = "rejected"        // the envelope sender is refused
	PolicyViolation Reason = "policyviolation" // the receiver's policy forbids the message
	SpamDetected    Reason = "spamdetected"    // the content was judged spam
	VirusDetected   Reason = "virusdetected"   // malware or a dangerous attachment was found
	MesgTooBig      Reason = "mesgtoobig"      // the message is larger than the receiver accepts
	ExceedLimit     Reason = "exceedlimit"     // the message exceeds the recipient's own size limit
	Expired         Reason = "expired"         // delivery was retried until the message expired
	Filtered        Reason = "filtered"        // the recipient's filter refused the message
	NoRelaying      Reason = "norelaying"      // the server does not relay for the sender
	NotAccept       Reason = "notaccept"       // the domain accepts no mail (null MX)
	NetworkError    Reason = "networkerror"    // connection, DNS or routing failure
	SecurityError   Reason = "securityerror"   // TLS or SMTP authentication was required or failed
	Suspend         Reason = "suspend"         // the mailbox is disabled
	SystemError     Reason = "systemerror"     // the receiving system failed
	SystemFull      Reason = "systemfull"      // the receiving system is out of space
	TooManyConn     Reason = "toomanyconn"     // too many connections
	Speeding        Reason = "speeding"        // sending too fast: rate limited
	RequirePTR      Reason = "requireptr"      // the sending IP has no (forward-confirmed) reverse DNS
	NotCompliantRFC Reason = "notcompliantrfc" // the message breaks RFC 5322 (duplicate or missing fields)
	ContentError    Reason = "contenterror"    // a header or content rule refused the message
	SyntaxError     Reason = "syntaxerror"     // an SMTP command or argument was malformed
	MailerError     Reason = "mailererror"     // the local delivery program failed
	HasMoved        Reason = "hasmoved"        // the recipient has moved
	OnHold          Reason = "onhold"          // a failure whose reason cannot be decided from the notice
	Undefined       Reason = "undefined"       // no reason could be read
	Vacation        Reason = "vacation"        // an automatic reply, not a failure
	Delivered       Reason = "delivered"       // the notice reports a successful delivery
	Feedback        Reason = "feedback"        // a complaint (ARF feedback report)
)

// Reasons lists every Reason.
var Reasons = []Reason{UserUnknown, MailboxFull, HostUnknown, AuthFailure, Blocked, BadReputation,
	Rejected, PolicyViolation, SpamDetected, VirusDetected, MesgTooBig, ExceedLimit, Expired,
	Filtered, NoRelaying, NotAccept, NetworkError, SecurityError, Suspend, SystemError, SystemFull,
	TooManyConn, Speeding, RequirePTR, NotCompliantRFC, ContentError, SyntaxError, MailerError,
	HasMoved, OnHold, Undefined, Vacation, Delivered, Feedback}

// SenderSide reports whether the reason points at the sender's own setup or
// content, which the sender can change (authentication, reputation, reverse DNS,
// content), rather than at the recipient or the network.
func (r Reason) SenderSide() bool {
	switch r {
	case AuthFailure, Blocked, BadReputation, RequirePTR, SpamDetected, VirusDetected,
		ContentError, PolicyViolation, NotCompliantRFC, Rejected, SecurityError, Speeding, MesgTooBig:
		return true
	}
	return false
}

// textRule maps receivers' wording to a reason. The rules are tried in order, so a
// more specific wording comes before a general one ("DMARC" before "blocked").
type textRule struct {
	reason Reason
	alts   []alternative
}

// alternative is one pattern of a rule with a literal the text must contain for the
// pattern to match: the cheap test runs first, so most patterns never run.
type alternative struct {
	literal string
	re      *regexp.Regexp
}

func (r textRule) match(t string) bool {
	for _, a := range r.alts {
		if (a.literal == "" || strings.Contains(t, a.literal)) && a.re.MatchString(t) {
			return true
		}
	}
	return false
}

// rule compiles a rule's patterns. Patterns are lower case and matched against the
// lower-cased text; gaps are [^;]*? (within one clause), not counted repetitions,
// which multiply the size of the compiled program and the matching time with it.
func rule(r Reason, patterns ...string) textRule {
	tr := textRule{reason: r}
	for _, p := range patterns {
		tr.alts = append(tr.alts, alternative{literal: requiredLiteral(p), re: regexp.MustCompile(p)})
	}
	return tr
}

// requiredLiteral returns the longest literal of at least three bytes that every
// match of pattern contains, or "" when there is none.
func requiredLiteral(pattern string) string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	lit := func(n *syntax.Regexp) string {
		if n.Op == syntax.OpLiteral && n.Flags&syntax.FoldCase == 0 {
			return string(n.Rune)
		}
		return ""
	}
	best := lit(re)
	if re.Op == syntax.OpConcat {
		for _, sub := range re.Sub {
			if l := lit(sub); len(l) > len(best) {
				best = l
			}
		}
	}
	if len(best) < 3 {
		return ""
	}
	return best
}

// textRules are written from the receivers' published texts (Microsoft's Exchange
// Online NDR table, Google's SMTP error reference, Yahoo's error-code page, the
// Postfix, Exim, Sendmail and qmail sources' wording) and RFC 3463's meanings.
var textRules = []textRule{
	rule(AuthFailure, `dmarc`, `\bspf\b[^;]*?(?:fail|did not pass|check)`, `\bdkim\b[^;]*?(?:fail|did not pass)`,
		`unauthenticated (?:e-?mail|sender)`, `sender is unauthenticated`, `not pass(?:ed)? authentication`,
		`fails? to pass authentication`, `authentication (?:checks? )?fail`, `does not have authentication information`,
		`minimum authentication requirements`, `required authentication level`, `sender policy framework`),
	rule(RequirePTR, `\bptr\b`, `reverse dns`, `reverse lookup`, `rdns`, `cannot find your hostname`,
		`no reverse`, `reverse (?:dns|name|hostname|mapping)`, `client host rejected: cannot find`, `forward-confirmed`),
	rule(VirusDetected, `virus`, `malware`, `trojan`, `infected`),
	// A receiver that refuses attachment types (executables, archives holding them)
	// applies a policy; it has not found a virus.
	rule(PolicyViolation, `potential security issue`, `dangerous (?:content|attachment)`, `executable`,
		`blocked (?:file|attachment)`, `attachment[^;]*?(?:not allowed|blocked|prohibited|rejected)`),
	// Gmail's "unusual rate of unsolicited mail originating from your IP address" is
	// about the IP's record, not this message's content.
	rule(BadReputation, `originating from your ip`),
	rule(SpamDetected, `\bspam\b`, `unsolicited`, `\bjunk\b`, `bulk e?mail`, `spamhaus dbl`, `uribl`, `surbl`,
		`content[^;]*?(?:rejected|refused|not accepted)`),
	rule(BadReputation, `reputation`, `\btss0\d`, `low quality`, `\bts0[1-3]\b`),
	rule(Speeding, `rate limit`, `too (?:many|much) (?:mail|messages|email)`, `receiving mail (?:too quickly|at a rate)`,
		`sending (?:quota|limit)`, `exceeded permitted limits`, `unusual rate`, `too fast`, `throttl`, `deferred due to unexpected volume`),
	rule(Blocked, `blocklist`, `blacklist`, `block ?list`, `spamhaus`, `\bdnsbl\b`, `\brbl\b`, `spamcop`, `barracuda`,
		`banned sending ip`, `client host [^;]*?blocked`, `connections? (?:will not be|not) accepted`, `\bbl2[13]\b`,
		`access denied, banned`, `bad helo`, `your ip`, `ip address [^;]*?(?:blocked|rejected|listed)`, `listed (?:at|on|in)`,
		`host(?:ing)? [^;]*? blocked`, `permanently deferred`, `not accept(?:ed)? email over ipv6`, `customer block list`,
		`service unavailable; client host`, `poor reputation`),
	rule(NotCompliantRFC, `rfc ?5322`, `rfc ?2822`, `not rfc[^;]*?compliant`, `duplicate (?:header|[^;]*?field)`,
		`multiple (?:from|date|subject|to|message-id)`, `missing a valid message-?id`, `message-?id header`),
	rule(ContentError, `header(?:s)? rule filter`, `headers? (?:is |are )?(?:invalid|malformed|bad|too long)`,
		`rejected by headers`, `content rejected`, `improper (?:header|line)`, `8-?bit`, `line too long`, `bare (?:lf|linefeed)`, `message header`),
	rule(MailboxFull, `mailbox (?:is )?full`, `over ?quota`, `quota exceeded`, `exceeded [^;]*?quota`, `insufficient (?:storage|space)`,
		`mailbox [^;]*?(?:storage|space)`, `out of storage`, `disk quota`, `mail ?box size limit`, `full mailbox`),
	rule(MesgTooBig, `message (?:size|length) exceeds`, `(?:too|very) (?:big|large)`, `size limit`,
		`exceeds? (?:the )?(?:maximum|max) (?:message )?size`, `message size`, `exceeded [^;]*?size`, `\bsize\b[^;]*?exceed`),
	// A refused sender address, said before the recipient wording that shares "address rejected".
	rule(Rejected, `sender address rejected`, `domain of sender address`, `sender (?:domain )?(?:is )?(?:refused|denied|not allowed|blocked)`),
	rule(Suspend, `disabled`, `suspended`, `deactivated`, `inactive`, `account (?:is )?(?:locked|closed|expired)`, `no longer (?:active|in use)`),
	rule(UserUnknown, `user ?unknown`, `unknown (?:user|recipient|address|mailbox|local)`, `no such (?:user|mailbox|recipient|address|account)`,
		`(?:mailbox|user|address|recipient|account)(?: \S+)? (?:does not|doesn't|did not) exist`, `(?:mailbox|recipient|address) (?:not found|unavailable|unknown)`,
		`not (?:a )?(?:valid|known) (?:recipient|user|mailbox)`, `invalid (?:recipient|mailbox|user|address)`, `account [^;]*?does not exist`,
		`does not have a [^;]*?account`, `doesn't have a [^;]*?account`, `recipient not found`, `user not found`, `mailbox not found`,
		`addressee unknown`, `no mailbox`, `no valid recipients`, `recipient rejected`, `rejected: user`, `sorry, no mailbox here`,
		`address rejected`, `not listed in`, `resolver\.adr\.recipientnotfound`, `recipientnotfound`, `bad destination mailbox`),
	rule(HostUnknown, `host (?:or domain name )?not found`, `unknown host`, `domain (?:not found|does not exist|not exist)`,
		`name or service not known`, `no mx`, `unrouteable`, `unroutable`, `no such domain`, `domain [^;]*?(?:not|n't) (?:exist|found)`,
		`weren't able to find the recipient domain`, `nxdomain`, `host unknown`, `name server [^;]*?not found`),
	rule(NoRelaying, `relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited)`, `not permitted to relay`,
		`unable to relay`, `we do not relay`, `relay not`, `not (?:a )?(?:local|hosted|our) domain`, `cannot relay`),
	rule(NotAccept, `does not accept mail`, `null mx`, `accepts no mail`, `not accepting (?:mail|messages)`),
	rule(SecurityError, `\btls\b`, `starttls`, `encryption required`, `authentication required`, `must (?:issue|use) a starttls`,
		`not authenticated`, `client was not authenticated`, `certificate`),
	rule(Rejected, `sender (?:address )?rejected`, `sender [^;]*?(?:refused|denied|not allowed|blocked)`, `domain of sender address`,
		`sender domain`, `from address`, `mail from`, `return-path`, `banned sender`, `envelope sender`),
	rule(PolicyViolation, `polic(?:y|ies)`, `prohibited`, `not accepted for policy reasons`, `violat`, `not permitted`),
	rule(Filtered, `filter`, `delivery not authorized`, `refused to accept`),
	rule(TooManyConn, `too many (?:connections|concurrent|sessions)`, `connection limit`, `max(?:imum)? connections`),
	rule(SystemFull, `system (?:is )?full`, `out of (?:disk|space)`, `insufficient system storage`),
	rule(HasMoved, `has moved`, `moved to`, `no longer (?:at|with|here)`),
	rule(Expired, `expired`, `retry timeout exceeded`, `too long in queue`, `timeout waiting`, `delivery time expired`),
	rule(NetworkError, `connection (?:refused|timed out|reset)`, `network`, `no route`, `lost connection`, `timed out`, `dns`, `mail loop`, `loops back`, `too many hops`),
	rule(MailerError, `mailer error`, `command (?:died|failed)`, `procmail`, `exit (?:code|status)`, `pipe to`),
	rule(SystemError, `system error`, `internal (?:server )?error`, `temporary (?:server|local) (?:error|problem)`, `server error`, `local error`),
	rule(SyntaxError, `syntax error`, `command unrecognized`, `bad sequence`, `unrecognized command`),
}

// statusReasons maps RFC 3463 enhanced status codes (subject.detail) to reasons, for
// notices whose text says nothing more specific. The x.7.5xx codes are Microsoft's
// registered-elsewhere extensions, documented in its Exchange Online NDR table.
var statusReasons = map[string]Reason{
	"1.1": UserUnknown, "1.2": HostUnknown, "1.3": UserUnknown, "1.4": UserUnknown, "1.5": UserUnknown,
	"1.6": HasMoved, "1.7": Rejected, "1.8": Rejected, "1.10": NotAccept,
	"2.1": Suspend, "2.2": MailboxFull, "2.3": ExceedLimit, "2.4": SystemError,
	"3.1": SystemFull, "3.2": NotAccept, "3.3": SystemError, "3.4": MesgTooBig, "3.5": SystemError,
	"4.1": NetworkError, "4.2": NetworkError, "4.3": SystemError, "4.4": HostUnknown, "4.5": SystemError,
	"4.6": NetworkError, "4.7": Expired, "1.0": UserUnknown, "3.0": SystemError, "4.0": NetworkError, "7.0": SecurityError,
	"5.0": SyntaxError, "5.1": SyntaxError, "5.2": SyntaxError, "5.3": ExceedLimit, "5.4": SyntaxError,
	"6.0": ContentError, "6.1": ContentError, "6.2": ContentError, "6.3": ContentError, "6.4": ContentError, "6.5": ContentError,
	"7.1": Blocked, "7.2": PolicyViolation, "7.3": SecurityError, "7.4": SecurityError, "7.5": SecurityError,
	"7.6": SecurityError, "7.7": SecurityError, "7.8": SecurityError, "7.9": SecurityError, "7.10": SecurityError,
	"7.11": SecurityError, "7.13": Suspend, "7.14": SecurityError, "7.15": SecurityError,
	"7.20": AuthFailure, "7.21": AuthFailure, "7.22": AuthFailure, "7.23": AuthFailure, "7.24": AuthFailure,
	"7.25": RequirePTR, "7.26": AuthFailure, "7.27": NotAccept, "7.28": SpamDetected, "7.29": AuthFailure,
	"7.30":  AuthFailure,
	"7.501": SpamDetected, "7.506": Blocked, "7.508": Speeding, "7.509": AuthFailure, "7.510": NotAccept,
	"7.511": Blocked, "7.512": NotCompliantRFC, "7.513": Blocked, "7.515": AuthFailure,
}

// statusRE finds an RFC 3463 enhanced status code: class.subject.detail, with no
// leading zeros and at most three digits each.
var statusRE = regexp.MustCompile(`(?:^|[^\d.])([245]\.\d{1,3}\.\d{1,3})(?:[^\d.]|$)`)

// replyRE finds an SMTP reply code at the start of a reply line (RFC 5321 §4.2).
var replyRE = regexp.MustCompile(`(?:^|[\s;:(\[])([245][0-5]\d)(?:[ -]|$)`)

// Classify decides the reason for one recipient from the enhanced status code
// ("5.7.26"; may be empty), the SMTP reply code (0 when unknown) and the diagnostic
// text. The text decides first, because receivers use broad codes (550 5.7.1) for
// many causes and say the cause in words; then the status code; then the reply code.
func Classify(status string, replyCode int, text string) Reason {
	t := strings.ToLower(strings.TrimSpace(text))
	// The cause is said at the start of a reply; reading 1 KiB keeps the cost of
	// the rules' matching small and bounded.
	if len(t) > maxClassify {
		t = t[:maxClassify]
	}
	if strings.HasPrefix(status, "2.") {
		return Delivered
	}
	if t != "" {
		for _, r := range textRules {
			if r.match(t) {
				return r.reason
			}
		}
	}
	if status == "" {
		if m := statusRE.FindStringSubmatch(t); m != nil {
			status = m[1]
		}
	}
	if status != "" {
		_, rest, _ := strings.Cut(status, ".")
		if r, ok := statusReasons[rest]; ok {
			return r
		}
		// RFC 3463 §2: a client that does not know the detail reports the subject's
		// general meaning.
		subject, _, _ := strings.Cut(rest, ".")
		if r, ok := statusReasons[subject+".0"]; ok && subject != "0" {
			return r
		}
	}
	switch replyCode {
	case 421:
		return TooManyConn
	case 450, 550:
		if status == "" || strings.HasSuffix(status, ".0.0") {
			return OnHold
		}
	case 451:
		return SystemError
	case 452:
		return MailboxFull
	case 552:
		return MailboxFull
	case 553:
		return UserUnknown
	case 554:
		return OnHold
	}
	if status != "" || replyCode != 0 || t != "" {
		return OnHold
	}
	return Undefined
}

// maxClassify is how much of a diagnostic Classify reads.
const maxClassify = 1 << 10

// memo caches Classify within one notice: a notice to many recipients usually
// repeats one reply.
type memo map[[3]string]Reason

func (m memo) classify(status string, replyCode int, text string) Reason {
	k := [3]string{status, itoa(replyCode), truncate(text, maxClassify)}
	if r, ok := m[k]; ok {
		return r
	}
	r := Classify(status, replyCode, text)
	m[k] = r
	return r
}

// replyCodeOf returns the first SMTP reply code in text, or 0.
func replyCodeOf(text string) int {
	m := replyRE.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// statusOf returns the first enhanced status code in text, or "".
func statusOf(text string) string {
	if m := statusRE.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}
