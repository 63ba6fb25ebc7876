package mailcheck

import (
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/mtasts"
	"github.com/mailcheck/mailcheck/smtpprobe"
	"github.com/mailcheck/mailcheck/tlsrpt"
)

// The transport items of the "MX and transport" category (SCORING.md): MTA-STS and
// TLS-RPT are small items — a domain without them still delivers over opportunistic
// TLS, so missing earns half — while an enforce-mode policy that excludes an MX host
// loses mail and caps the grade. BIMI scores nothing.

// transportApplies reports whether transport security is judged: the domain takes
// mail (not a null MX) and is not parked, since it is about mail sent to it.
func (s *scorer) transportApplies() bool {
	return !s.parked() && !(s.mx != nil && s.mx.Null)
}

func (s *scorer) mtastsPolicy() Item {
	const id, name = "mtasts.policy", "MTA-STS policy covering every MX host"
	if !s.transportApplies() {
		return notApplicable(id, "mtasts", name, "The domain accepts no mail, so senders need no transport policy.")
	}
	res := detail[*mtasts.Report](s.in.report, "mtasts")
	if res == nil {
		return notApplicable(id, "mtasts", name, "The MTA-STS check did not run.")
	}
	if r := s.incompleteReason("mtasts"); r != "" || res.State == mtasts.StateUnknown {
		return unknown(id, "mtasts", name, r)
	}
	fix := func(codes ...Code) advice { return s.fixOf("mtasts", advice{}, codes...) }
	switch res.State {
	case mtasts.StateMissing:
		return scored(id, "mtasts", name, PointsHalf, "No MTA-STS policy: TLS to your MX hosts is opportunistic, and can be stripped.", fix(mtasts.CodeMissing))
	case mtasts.StateOrphanPolicy:
		return scored(id, "mtasts", name, PointsHalf, "A policy is served, but no _mta-sts record announces it.", fix(mtasts.CodePolicyWithoutRecord))
	case mtasts.StateBroken:
		return scored(id, "mtasts", name, PointsLow, "An MTA-STS policy is announced, but senders cannot use it.", firstFix(s.check("mtasts"), Error))
	}
	switch {
	case res.Mode == mtasts.Enforce && len(res.Uncovered) > 0:
		return scored(id, "mtasts", name, PointsNone, fmt.Sprintf("The enforce-mode policy excludes %s: senders honouring MTA-STS do not deliver there.", strings.Join(res.Uncovered, ", ")), fix(mtasts.CodeMXNotCovered))
	case res.Mode == mtasts.Enforce:
		return scored(id, "mtasts", name, PointsFull, "Mode enforce, every MX host covered.", advice{})
	case res.Mode == mtasts.Testing && len(res.Uncovered) > 0:
		return scored(id, "mtasts", name, PointsLow, fmt.Sprintf("Mode testing, and %s is not covered: enforcing it would lose mail.", strings.Join(res.Uncovered, ", ")), fix(mtasts.CodeMXNotCovered))
	case res.Mode == mtasts.Testing:
		return scored(id, "mtasts", name, PointsHalf, "Mode testing: failures are reported, not prevented.", fix(mtasts.CodeModeTesting))
	}
	return scored(id, "mtasts", name, PointsHalf, "Mode none: the policy is withdrawn.", prose("Publish a policy in mode testing, then enforce."))
}

func (s *scorer) tlsrptRecord() Item {
	const id, name = "tlsrpt.record", "TLS-RPT reports requested"
	if !s.transportApplies() {
		return notApplicable(id, "tlsrpt", name, "The domain accepts no mail, so there is no TLS to report on.")
	}
	res := detail[*tlsrpt.Report](s.in.report, "tlsrpt")
	if res == nil {
		return notApplicable(id, "tlsrpt", name, "The TLS-RPT check did not run.")
	}
	switch res.State {
	case tlsrpt.StateUnknown:
		return unknown(id, "tlsrpt", name, s.incompleteReason("tlsrpt"))
	case tlsrpt.StateMissing:
		return scored(id, "tlsrpt", name, PointsHalf, "No TLS-RPT record: nobody tells you when senders cannot reach you over TLS.", s.fixOf("tlsrpt", advice{}, tlsrpt.CodeMissing))
	case tlsrpt.StateInvalid:
		return scored(id, "tlsrpt", name, PointsLow, "A TLS-RPT record is published, but senders cannot use it.", firstFix(s.check("tlsrpt"), Error))
	}
	return scored(id, "tlsrpt", name, PointsFull, "Reports go to "+strings.Join(res.Usable, ", ")+".", advice{})
}

// mtastsEnforced reports an active enforce-mode policy.
func (s *scorer) mtastsEnforced() bool {
	res := detail[*mtasts.Report](s.in.report, "mtasts")
	return res != nil && res.State == mtasts.StateActive && res.Mode == mtasts.Enforce
}

func (s *scorer) smtpTLS() Item {
	const id, name = "smtp.starttls", "STARTTLS on every MX address (--probe-smtp)"
	c := s.check("smtp")
	res := detail[*smtpprobe.Report](s.in.report, "smtp")
	if c == nil || res == nil {
		return notApplicable(id, "smtp", name, "Not probed: pass --probe-smtp to connect to the MX hosts on port 25.")
	}
	if !s.transportApplies() || len(res.Hosts) == 0 && !c.Incomplete() {
		return notApplicable(id, "smtp", name, "No MX address to probe.")
	}
	counts := map[smtpprobe.Outcome]int{}
	for _, h := range res.Hosts {
		counts[h.Outcome]++
	}
	switch {
	case counts[smtpprobe.Insecure] > 0:
		return scored(id, "smtp", name, PointsNone, fmt.Sprintf("%d of %d MX addresses offer no usable TLS (no STARTTLS, a failed handshake, or TLS older than 1.2).", counts[smtpprobe.Insecure], len(res.Hosts)), firstFix(c, Error))
	case counts[smtpprobe.Unknown] > 0 || c.Incomplete():
		return unknown(id, "smtp", name, s.incompleteReason("smtp"))
	case counts[smtpprobe.CertProblem] > 0 && s.mtastsEnforced():
		return scored(id, "smtp", name, PointsNone, "A certificate does not verify under an enforce-mode MTA-STS policy: MTA-STS senders do not deliver to that host.", firstFix(c, Warning))
	case counts[smtpprobe.CertProblem] > 0:
		return scored(id, "smtp", name, PointsHalf, fmt.Sprintf("%d of %d MX addresses present a certificate that does not verify for the MX name.", counts[smtpprobe.CertProblem], len(res.Hosts)), firstFix(c, Warning))
	}
	return scored(id, "smtp", name, PointsFull, fmt.Sprintf("All %d MX addresses offer STARTTLS with TLS 1.2+ and a valid certificate.", len(res.Hosts)), advice{})
}

// transportCaps are the caps of the transport items: mail that MTA-STS senders will not
// deliver is lost mail, as surely as a DMARC error loses it.
func (s *scorer) transportCaps() []Cap {
	var caps []Cap
	res := detail[*mtasts.Report](s.in.report, "mtasts")
	if s.mtastsEnforced() && len(res.Uncovered) > 0 {
		caps = append(caps, Cap{MaxGrade: "D", Reason: fmt.Sprintf("The MTA-STS policy is in mode enforce but does not cover MX host(s) %s: senders honouring MTA-STS do not deliver to them.", strings.Join(res.Uncovered, ", "))})
	}
	if probe := detail[*smtpprobe.Report](s.in.report, "smtp"); s.mtastsEnforced() && probe != nil {
		var bad []string
		for _, h := range probe.Hosts {
			if h.Outcome == smtpprobe.Insecure || h.Outcome == smtpprobe.CertProblem {
				bad = append(bad, h.Host+" ("+h.Address.String()+")")
			}
		}
		if len(bad) > 0 {
			caps = append(caps, Cap{MaxGrade: "D", Reason: fmt.Sprintf("The MTA-STS policy is in mode enforce but %s offers no verifiable TLS: senders honouring MTA-STS do not deliver there.", strings.Join(bad, ", "))})
		}
	}
	return caps
}
