package message

import (
	"regexp"
	"strings"
)

// AuthenticationResults returns the Authentication-Results header field (RFC 8601)
// a receiver identified by authservID would add to this message: spf with
// smtp.mailfrom (smtp.helo for a null sender), one dkim result per signature with
// header.d, header.s and header.a (dkim=none for an unsigned message), and dmarc with
// header.from and policy.dmarc, the policy applied to the message when DMARC fails
// (RFC 9989 §11.2). The field is folded with CRLF before each result and has no
// trailing CRLF, ready to be prepended to the message; a result that was not
// evaluated (spf without an envelope) is left out.
func AuthenticationResults(authservID string, f Facts, p *Prediction) string {
	if authservID == "" || !isToken(authservID) {
		authservID = "mailcheck.invalid"
	}
	var res []string
	if s := f.SPF; s != nil && s.Outcome != nil {
		r := "spf=" + string(s.Outcome.Result)
		switch {
		case s.Scope == "mailfrom":
			r += " smtp.mailfrom=" + mailbox(s.Envelope.MailFrom)
		case s.Domain != "":
			r += " smtp.helo=" + s.Domain
		}
		res = append(res, r)
	}
	switch {
	case f.DKIM == nil || len(f.DKIM.Signatures) == 0:
		res = append(res, "dkim=none")
	default:
		for _, s := range f.DKIM.Signatures {
			r := "dkim=" + string(s.Result)
			if d := strings.ToLower(s.Domain); isDomain(d) {
				r += " header.d=" + d
			}
			if isToken(s.Selector) {
				r += " header.s=" + s.Selector
			}
			if isToken(s.Algorithm) {
				r += " header.a=" + s.Algorithm
			}
			res = append(res, r)
		}
	}
	if p != nil && f.FromDomain != "" && isDomain(f.FromDomain) {
		r := "dmarc=" + string(p.Result) + " header.from=" + f.FromDomain
		read := p.RFC9989
		if !read.Applies {
			read = p.RFC7489
		}
		if read.Applies && read.Policy != "" {
			r += " policy.dmarc=" + string(read.Policy)
		}
		res = append(res, r)
	}
	if len(res) == 0 {
		return "Authentication-Results: " + authservID + "; none"
	}
	return "Authentication-Results: " + authservID + ";\r\n\t" + strings.Join(res, ";\r\n\t")
}

// token is an RFC 2045 token: no space, control or tspecial.
var token = regexp.MustCompile(`^[!#$%&'*+\-.0-9A-Z^_` + "`" + `a-z{|}~]+$`)

func isToken(s string) bool { return token.MatchString(s) }

var domainRE = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$`)

func isDomain(s string) bool { return domainRE.MatchString(s) }

// dotAtom is a local part that needs no quoting (RFC 5322 §3.2.3).
var dotAtom = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+)*$`)

// mailbox is a MAIL FROM address as an RFC 8601 pvalue: local-part@domain when the
// local part is a dot-atom, else just the domain (which §2.7.2 allows).
func mailbox(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	local, domain := addr[:max(at, 0)], strings.ToLower(addr[at+1:])
	if at > 0 && dotAtom.MatchString(local) && isDomain(domain) {
		return local + "@" + domain
	}
	return domain
}
