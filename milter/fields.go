package milter

import (
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck"
)

// xMailcheckField carries the verdict on accepted messages:
//
//	X-Mailcheck: warn; tagged=dmarc; codes=dkim.unsigned dmarc.predicted-fail
//
// status is the report's (pass, warn, fail, error, or "unchecked" for a message
// that was not checked), tagged= the triggers whose action is Tag, codes= the
// warning and error findings' codes, sorted.
const xMailcheckField = "X-Mailcheck"

func xMailcheckValue(rep *mailcheck.MessageReport, d decision) string {
	status := "unchecked"
	var codes []string
	if rep != nil {
		status = string(rep.Status)
		codes = reportCodes(rep)
	}
	v := status
	if len(d.tagged) > 0 {
		v += "; tagged=" + joinTriggers(d.tagged)
	}
	if len(codes) > 0 {
		v += ";\n\tcodes=" + strings.Join(codes, "\n\t")
	}
	return v
}

// reportCodes are the distinct codes of the report's warning and error findings.
func reportCodes(rep *mailcheck.MessageReport) []string {
	var codes []string
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if f.Severity == mailcheck.Warning || f.Severity == mailcheck.Error {
				codes = append(codes, string(f.Code))
			}
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

func joinTriggers(ts []Trigger) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ",")
}

// authResValue is the value of MessageReport.AuthenticationResults, a whole field
// ("Authentication-Results: id;\r\n\tdkim=..."), with its folds as the milter
// protocol wants them: LF and a tab.
func authResValue(field string) string {
	_, v, ok := strings.Cut(field, ":")
	if !ok {
		return ""
	}
	return strings.ReplaceAll(strings.TrimLeft(v, " \t"), "\r\n", "\n")
}

// authservID is the authserv-id an Authentication-Results value starts with (RFC
// 8601 §2.2: the first token, before ";" and an optional version), lower-cased.
func authservID(value string) string {
	v := strings.TrimLeft(value, " \t\r\n")
	v, _, _ = strings.Cut(v, ";")
	if f := strings.Fields(v); len(f) > 0 {
		return strings.ToLower(f[0])
	}
	return ""
}
