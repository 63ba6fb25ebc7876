package mailcheck

import (
	"context"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/bimi"
	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/smtpprobe"
	"github.com/mailcheck/mailcheck/spf"
)

// Report is the scored "global security" report for one domain: every check, the
// score per category, the grade with the caps that limit it, and what to fix first.
type Report struct {
	Domain        string `json:"domain"`
	DomainUnicode string `json:"domain_unicode,omitempty"`
	// Score is 0–100: the weighted mean of the category scores (SCORING.md). When DNS
	// failures left items unknown it is ScoreMin, the lowest the score could be.
	Score int `json:"score"`
	// ScoreMin and ScoreMax are the range the score could take: unknown items scored
	// 0 and 10. They are equal when the report is complete.
	ScoreMin int `json:"score_min"`
	ScoreMax int `json:"score_max"`
	// Grade is A–F from the score, lowered by Caps; unknown ("", JSON null) when the
	// report is Incomplete.
	Grade          Grade   `json:"grade"`
	ScoringVersion string  `json:"scoring_version"`
	Profile        Profile `json:"profile"`
	// Incomplete reports that DNS failures left some checks undone: the grade is
	// unknown and the score a range.
	Incomplete bool `json:"incomplete"`
	// Caps are the rules that hold the grade below what the points alone give.
	Caps       []Cap      `json:"caps"`
	Categories []Category `json:"categories"`
	Checks     []*Check   `json:"checks"`
	// FixFirst lists the changes that gain the most points, best first.
	FixFirst []FixItem `json:"fix_first"`
	// Checklist is the bulk-sender profile's list of receiver requirements.
	Checklist []ChecklistItem `json:"checklist,omitempty"`
	Queries   dnscheck.Stats  `json:"queries"`
	ElapsedMS int64           `json:"elapsed_ms"`
	// MailcheckVersion (Version) and CheckedAt (UTC, whole seconds; RFC 3339 in
	// JSON) say which code made the report and when, so stored reports can be compared.
	MailcheckVersion string    `json:"mailcheck_version,omitempty"`
	CheckedAt        time.Time `json:"checked_at,omitzero"`
}

// Check returns the check with the given ID, or nil.
func (r *Report) Check(id string) *Check {
	for _, c := range r.Checks {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}

// CheckDomain runs the MX, SPF, DMARC, DKIM and transport (MTA-STS, TLS-RPT, the
// opt-in SMTP probe, BIMI) checks concurrently on one shared
// resolver and cache, and scores them. The error is set only when the report could
// not be made at all (an invalid domain name, no usable resolver); DNS failures are in
// the report, which is then marked incomplete.
func CheckDomain(ctx context.Context, domain string, opts ...Option) (*Report, error) {
	start := time.Now()
	ctx, cancel, cfg, d, err := begin(ctx, domain, opts)
	if err != nil {
		return nil, err
	}
	defer cancel()
	// The checks run with the shared resolver and no timeout of their own: the
	// context above bounds them all.
	shared := []Option{WithResolver(cfg.resolver)}
	probe := WithSelectorProbe(!cfg.noProbe)
	runs := []func() (*Check, error){
		func() (*Check, error) { return CheckMX(ctx, d.ASCII, shared...) },
		func() (*Check, error) {
			return CheckSPF(ctx, d.ASCII, append(shared, WithSendingIPs(cfg.ips...), probe)...)
		},
		func() (*Check, error) { return CheckDMARC(ctx, d.ASCII, shared...) },
		func() (*Check, error) {
			if cfg.profile == ProfileParked {
				return skipCheck("dkim", d, "Not applicable: a parked domain sends no mail, so no DKIM key is expected."), nil
			}
			return CheckDKIM(ctx, d.ASCII, append(shared, WithSelectors(cfg.selectors...), probe)...)
		},
		// Transport (transport.go): beside the others, so only the policy fetch (and the
		// opt-in SMTP probe) adds time; their DNS questions are the shared cache's.
		func() (*Check, error) { return checkMTASTS(ctx, cfg, d) },
		func() (*Check, error) { return checkTLSRPT(ctx, cfg, d) },
		func() (*Check, error) { return checkSMTP(ctx, cfg, d) },
		func() (*Check, error) { return checkReputation(ctx, cfg, d) },
		func() (*Check, error) { return checkDANE(ctx, cfg, d) },
	}
	checks := make([]*Check, len(runs))
	errs := make([]error, len(runs))
	// The facts only the score needs (DNSSEC, reverse DNS) are fetched beside the checks.
	var dnssec dnssecResult
	var ptrs []ptrResult
	var unlisted *spf.Unlisted
	var bimiRes *bimi.Report
	var bimiErr error
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); bimiRes, bimiErr = bimi.Check(ctx, cfg.resolver, d.ASCII) }()
	go func() {
		defer wg.Done()
		dnssec = dnssecState(ctx, cfg.resolver, d.ASCII)
	}()
	var mxPtrs []ptrResult
	go func() {
		defer wg.Done()
		ptrs = checkPTRs(ctx, cfg.resolver, cfg.ips)
		mxPtrs = checkMXPTRs(ctx, cfg.resolver, d.ASCII)
	}()
	go func() { defer wg.Done(); unlisted = spf.EvaluateUnlisted(ctx, cfg.resolver, d.ASCII) }()
	for i, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checks[i], errs[i] = run()
		}()
	}
	wg.Wait()
	for _, err := range append(errs, bimiErr) {
		if err != nil {
			return nil, err
		}
	}
	// BIMI is judged on the DMARC facts once both are in: informational, scored nothing.
	// The probed certificates are matched against the TLSA records once both are in.
	for i, c := range checks {
		if c != nil && c.ID == "dane" {
			checks[i] = daneProbeCheck(d, c, detail[*smtpprobe.Report](&Report{Checks: checks}, "smtp"), time.Now())
		}
	}
	checks = append(checks, bimiCheck(d, bimiRes, detail[*dmarc.Report](&Report{Checks: checks}, "dmarc")))
	checks = append(checks, dnssecCheck(d, dnssec), ptrCheck(d, ptrs, mxPtrs))
	rep := &Report{Domain: d.ASCII, Profile: cfg.profile, Checks: checks, ScoringVersion: ScoringVersion,
		MailcheckVersion: Version(), CheckedAt: checkedAt(start)}
	if d.Unicode != d.ASCII {
		rep.DomainUnicode = d.Unicode
	}
	in := scoreInput{report: rep, dnssec: dnssec, ptrs: ptrs, mxPtrs: mxPtrs, ipsGiven: len(cfg.ips) > 0, unlisted: unlisted}
	score(&in)
	rep.Queries = cfg.resolver.Stats()
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return rep, nil
}

// checkedAt is a report's timestamp: UTC, to the second.
func checkedAt(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func skipCheck(id string, d dnscheck.Domain, reason string) *Check {
	c := newCheck(id, d, nil, reason, nil)
	c.Status = StatusSkip
	return c
}
