package bounce

import (
	"regexp"
	"strings"
)

// field is one "Name: value" of a delivery-status or feedback-report body.
type field struct{ name, value string }

// fieldGroups splits a message/delivery-status body into its field groups (RFC 3464
// §2.1: the per-message fields, then one group per recipient, separated by blank
// lines), unfolding continuation lines. Names are lower-cased.
func fieldGroups(body []byte) [][]field {
	var groups [][]field
	var cur []field
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				groups = append(groups, cur)
				cur = nil
			}
		case (line[0] == ' ' || line[0] == '\t') && len(cur) > 0:
			last := &cur[len(cur)-1]
			if len(last.value) < maxDiagnostic {
				last.value += " " + strings.TrimSpace(line)
			}
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(name, " \t") {
				continue
			}
			cur = append(cur, field{strings.ToLower(name), strings.TrimSpace(value)})
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

// typedValue strips the address-type or diagnostic-type prefix: "rfc822; a@b" is "a@b"
// (RFC 3464 §2.3.1, §2.3.6).
func typedValue(v string) string {
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, " @<") {
		return strings.TrimSpace(rest)
	}
	return strings.TrimSpace(v)
}

// firstField returns the first white-space separated word of v, or "".
func firstField(v string) string {
	if f := strings.Fields(v); len(f) > 0 {
		return f[0]
	}
	return ""
}

// address cleans a recipient address: no angle brackets, no trailing dot.
func address(v string) string {
	v = strings.TrimSpace(typedValue(v))
	v = strings.TrimPrefix(v, "<")
	if i := strings.IndexByte(v, '>'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(truncate(strings.TrimSpace(v), 320))
}

// parseDSN fills rep from a message/delivery-status body. Text recipients (from the
// human-readable part) supply what a group lacks: some MTAs leave out
// Diagnostic-Code or Remote-MTA there.
func parseDSN(rep *Report, body []byte, text []Recipient) {
	m := memo{}
	for _, g := range fieldGroups(body) {
		var rc Recipient
		isRecipient := false
		for _, f := range g {
			switch f.name {
			case "reporting-mta":
				rep.ReportingMTA = truncate(typedValue(f.value), 255)
			case "x-postfix-sender":
				rep.Sender = address(f.value)
			case "final-recipient":
				rc.Address, isRecipient = address(f.value), true
			case "original-recipient":
				rc.OriginalRecipient, isRecipient = address(f.value), true
			case "action":
				rc.Action = strings.ToLower(truncate(firstField(f.value), 20))
			case "status":
				rc.Status = statusOf(" " + f.value + " ")
			case "remote-mta":
				// "dns; mx.example.net. (192.0.2.55, the server for ...)": the name.
				rc.RemoteMTA = strings.TrimSuffix(truncate(firstField(typedValue(f.value)), 255), ".")
			case "diagnostic-code":
				rc.Diagnostic = typedValue(f.value)
			}
		}
		if !isRecipient || len(rep.Recipients) >= maxRecipients {
			continue
		}
		if rc.Address == "" {
			rc.Address = rc.OriginalRecipient
		}
		if rc.OriginalRecipient == rc.Address {
			rc.OriginalRecipient = ""
		}
		for _, t := range text {
			if t.Address != rc.Address {
				continue
			}
			if rc.Diagnostic == "" {
				rc.Diagnostic = t.Diagnostic
			}
			if rc.RemoteMTA == "" {
				rc.RemoteMTA = t.RemoteMTA
			}
			rc.RemoteIP, rc.Command = t.RemoteIP, t.Command
			if rc.OriginalRecipient == "" {
				rc.OriginalRecipient = t.OriginalRecipient
			}
			break
		}
		finishRecipient(&rc, m)
		rep.Recipients = append(rep.Recipients, rc)
	}
}

// finishRecipient cleans the diagnostic, reads the codes in it, and classifies.
func finishRecipient(rc *Recipient, m memo) {
	d := rc.Diagnostic
	if rc.Command == "" {
		rc.Command = commandOf(d)
	}
	if rc.RemoteMTA == "" || rc.RemoteIP == "" {
		if m := hostRE.FindStringSubmatch(d); m != nil {
			if rc.RemoteMTA == "" {
				rc.RemoteMTA = m[1]
			}
			rc.RemoteIP = m[2]
		}
	}
	d = cleanDiagnostic(d)
	rc.ReplyCode = replyCodeOf(d)
	// A specific code in the reply is better than the DSN's general one (x.0.0).
	if s := statusOf(d); s != "" && (rc.Status == "" || strings.HasSuffix(rc.Status, ".0.0")) {
		rc.Status = s
	}
	rc.Diagnostic = d
	rc.Reason = m.classify(rc.Status, rc.ReplyCode, d)
	if rc.Action == "delayed" && rc.Reason == Undefined {
		rc.Reason = OnHold
	}
	// A notice that failed a recipient on a temporary network error means the
	// sender's MTA stopped retrying: the message expired in its queue (RFC 3464
	// §2.3.3 "failed" with a 4.x.x status).
	if rc.Action == "failed" && strings.HasPrefix(rc.Status, "4.") && rc.Reason == NetworkError {
		rc.Reason = Expired
	}
	if rc.Action == "delivered" || rc.Action == "relayed" || rc.Action == "expanded" {
		rc.Reason = Delivered
	}
}

var (
	// hostRE finds "host mx.example.com[192.0.2.1]" (Postfix) or "host mx.example.com
	// [192.0.2.1]" (Exim).
	hostRE = regexp.MustCompile(`(?i)\bhost\s+([a-z0-9][a-z0-9.\-]*)\s?\[([0-9a-f.:]+)\]`)
	// commandRE finds the SMTP command a reply answered, in Postfix's, Exim's and
	// Sendmail's wording.
	commandRE = regexp.MustCompile(`(?i)(?:in reply to|after|>>>)\s+(?:end of\s+)?(rcpt to|mail from|data|rcpt|mail|helo|ehlo|end of data)\b`)
	// wrapperRE matches MTA wording around the receiver's reply.
	wrapperRE = regexp.MustCompile(`(?i)\bhost\s+[a-z0-9][a-z0-9.\-]*\s?\[[0-9a-f.:]+\](?:\s+said)?:?\s*|\(in reply to [^)]*\)|SMTP error from remote mail server after [^:]*(?::<[^>]*>)?:\s*|\bremote host said:\s*|giving up on [0-9a-f.:]+\.?|\b[0-9.]+ does not like recipient\.?|^\s*smtp;\s*`)
	spaceRE   = regexp.MustCompile(`\s+`)
	// eximRetryRE is Exim's note after a temporary reply it stopped retrying.
	eximRetryRE = regexp.MustCompile(`(?i):\s*retry timeout exceeded\s*$`)
)

func commandOf(d string) string {
	m := commandRE.FindStringSubmatch(d)
	if m == nil {
		return ""
	}
	switch c := strings.ToLower(m[1]); {
	case strings.HasPrefix(c, "rcpt"):
		return "RCPT"
	case strings.HasPrefix(c, "mail"):
		return "MAIL"
	case strings.Contains(c, "data"):
		return "DATA"
	default:
		return strings.ToUpper(c)
	}
}

// cleanDiagnostic removes the MTA's wrapper words and the repeated prefixes of a
// multi-line reply ("550-5.7.26 ... 550-5.7.26 ... 550 5.7.26 ..."), keeping the
// first, and collapses white space.
func cleanDiagnostic(d string) string {
	d = truncate(d, maxDiagnostic)
	d = wrapperRE.ReplaceAllString(d, " ")
	d = strings.TrimSpace(spaceRE.ReplaceAllString(d, " "))
	code := replyCodeOf(d)
	if code == 0 {
		return d
	}
	// Exim appends its own ": retry timeout exceeded" to a temporary reply it gave
	// up on; that is not the receiver's text (the failed Action with a 4.x.x
	// status already says the sender's MTA stopped retrying).
	d = eximRetryRE.ReplaceAllString(d, "")
	status := statusOf(d)
	prefix := `\s` + regexp.QuoteMeta(itoa(code)) + `[- ]`
	if status != "" {
		prefix += `(?:` + regexp.QuoteMeta(status) + `\s?)?`
	}
	re := regexp.MustCompile(prefix)
	first := strings.Index(d, itoa(code))
	if first < 0 {
		return d
	}
	head, tail := d[:first+3], d[first+3:]
	// Consecutive prefixes share the space between them, so replace until none is left.
	for i := 0; i < 64; i++ {
		next := re.ReplaceAllString(tail, " ")
		if next == tail {
			break
		}
		tail = next
	}
	if strings.HasPrefix(tail, "-") {
		tail = " " + tail[1:]
	}
	return strings.TrimSpace(spaceRE.ReplaceAllString(head+tail, " "))
}

func itoa(n int) string {
	if n <= 0 {
		return "0"
	}
	var b [8]byte
	i := len(b)
	for n > 0 && i > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// parseARF fills rep from a message/feedback-report body (RFC 5965 §3.1). Each
// Original-Rcpt-To is a recipient with the reason "feedback".
func parseARF(rep *Report, body []byte) {
	fb := &FeedbackReport{}
	for _, g := range fieldGroups(body) {
		for _, f := range g {
			v := truncate(f.value, 998)
			switch f.name {
			case "feedback-type":
				fb.FeedbackType = strings.ToLower(v)
			case "user-agent":
				fb.UserAgent = v
			case "original-mail-from":
				fb.OriginalMailFrom = address(v)
			case "original-rcpt-to":
				if len(fb.OriginalRcptTo) < maxRecipients {
					fb.OriginalRcptTo = append(fb.OriginalRcptTo, address(v))
				}
			case "source-ip":
				fb.SourceIP = strings.Trim(v, "[] ")
			case "reported-domain":
				fb.ReportedDomain = append(fb.ReportedDomain, strings.ToLower(v))
			case "authentication-results":
				fb.AuthenticationResults = v
			case "reporting-mta":
				rep.ReportingMTA = typedValue(v)
			}
		}
	}
	rep.Feedback, rep.Sender, rep.SourceIP = fb, fb.OriginalMailFrom, fb.SourceIP
	rcpts := fb.OriginalRcptTo
	if len(rcpts) == 0 && rep.Original != nil {
		if to := headerOf(rep.Original.Raw, "To"); to != "" {
			rcpts = []string{address(to)}
		}
	}
	if len(rcpts) == 0 {
		rcpts = []string{""}
	}
	for _, a := range rcpts {
		rep.Recipients = append(rep.Recipients, Recipient{Address: a, Diagnostic: "feedback-type: " + fb.FeedbackType, Reason: Feedback})
	}
}
