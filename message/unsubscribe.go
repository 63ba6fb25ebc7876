package message

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/internal/finding"
)

// The bulk-sender rules (RFC 8058, --profile bulk-sender). They replace
// message.no-one-click-unsubscribe, which said neither which field was missing nor
// that the fields must be signed (CHANGELOG.md).
const (
	CodeUnsubscribeMissing  finding.Code = "message.unsubscribe-missing"
	CodeOneClickMissing     finding.Code = "message.one-click-missing"
	CodeUnsubscribeUnsigned finding.Code = "message.unsubscribe-unsigned"
)

// CheckUnsubscribe applies the one-click unsubscribe rules that Gmail, Yahoo and
// Microsoft require of bulk mail (RFC 8058): List-Unsubscribe with an https URI
// (§3.1), List-Unsubscribe-Post: List-Unsubscribe=One-Click (§3.1), and both fields
// covered by a valid DKIM signature (§4) whose d= is aligned with From under adkim
// (the receivers' rule). With expectSigning and no signature yet, the last rule is
// a reminder (info): the signer must put both fields in h=.
func CheckUnsubscribe(h *Header, sigs *dkim.MessageReport, adkim dmarc.AlignmentMode, expectSigning bool) []Finding {
	if h == nil || !h.Readable {
		return nil
	}
	var out []Finding
	lu, lup := h.Fields.Values("List-Unsubscribe"), h.Fields.Values("List-Unsubscribe-Post")
	if !hasHTTPS(lu) {
		msg := "Bulk mail must carry List-Unsubscribe with an https URI for one-click unsubscribe; the message has none."
		if len(lu) > 0 {
			msg = fmt.Sprintf("List-Unsubscribe %q holds no https URI; one-click unsubscribe needs one (a mailto: URI alone does not do).", lu[0])
		}
		out = append(out, Finding{Code: CodeUnsubscribeMissing, Severity: finding.Warning, Ref: "RFC 8058 §3.1", Message: msg,
			Fix: "Add List-Unsubscribe: <https://your-domain/unsubscribe/opaque-token> (a mailto: URI may follow it)."})
	}
	if len(lup) != 1 || !strings.EqualFold(strings.TrimSpace(lup[0]), "List-Unsubscribe=One-Click") {
		msg := "Bulk mail must carry List-Unsubscribe-Post: List-Unsubscribe=One-Click; the message has none."
		if len(lup) > 0 {
			msg = fmt.Sprintf("List-Unsubscribe-Post is %q; it must be exactly List-Unsubscribe=One-Click, once.", strings.Join(lup, ", "))
		}
		out = append(out, Finding{Code: CodeOneClickMissing, Severity: finding.Warning, Ref: "RFC 8058 §3.1", Message: msg,
			Fix: "Add List-Unsubscribe-Post: List-Unsubscribe=One-Click."})
	}
	if len(lu) == 0 && len(lup) == 0 {
		return out
	}
	switch {
	case sigs == nil || len(sigs.Signatures) == 0:
		if expectSigning {
			out = append(out, Finding{Code: CodeUnsubscribeUnsigned, Severity: finding.Info, Ref: "RFC 8058 §4",
				Message: "The message is not signed yet: the signature the MTA adds must cover List-Unsubscribe and List-Unsubscribe-Post.",
				Fix:     "Put List-Unsubscribe and List-Unsubscribe-Post in the signer's h= list."})
		} else {
			out = append(out, unsignedFinding(h.FromDomain, "the message has no DKIM signature"))
		}
	case !covered(h.FromDomain, sigs, adkim, len(lu) > 0, len(lup) > 0):
		out = append(out, unsignedFinding(h.FromDomain, "no valid signature aligned with From covers both"))
	}
	return out
}

func unsignedFinding(from, why string) Finding {
	return Finding{Code: CodeUnsubscribeUnsigned, Severity: finding.Warning, Ref: "RFC 8058 §4",
		Message: fmt.Sprintf("List-Unsubscribe and List-Unsubscribe-Post must be covered by a DKIM signature aligned with %s, and %s: receivers will not offer one-click unsubscribe.", orAuthor(from), why),
		Fix:     "Sign with d= the From domain and put List-Unsubscribe and List-Unsubscribe-Post in h=."}
}

func orAuthor(from string) string {
	if from == "" {
		return "the From domain"
	}
	return from
}

// covered reports a passing signature aligned with from whose h= covers the fields present.
func covered(from string, m *dkim.MessageReport, adkim dmarc.AlignmentMode, lu, lup bool) bool {
	for _, s := range m.Signatures {
		if s.Result != dkim.Pass || s.Testing || from == "" || !dmarc.Aligned(from, strings.ToLower(s.Domain), adkim) {
			continue
		}
		if (!lu || s.Coverage.ListUnsubscribe) && (!lup || s.Coverage.ListUnsubscribePost) {
			return true
		}
	}
	return false
}

// hasHTTPS reports an https URI among the <...> URIs of List-Unsubscribe (RFC 2369 §2).
func hasHTTPS(values []string) bool {
	for _, v := range values {
		for rest := v; ; {
			i := strings.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], '>')
			if j < 0 {
				break
			}
			if uri := strings.TrimSpace(rest[i+1 : i+j]); len(uri) > len("https://") && strings.EqualFold(uri[:8], "https://") {
				return true
			}
			rest = rest[i+j+1:]
		}
	}
	return false
}
