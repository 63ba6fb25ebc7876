package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/urfave/cli/v2"
)

// exitInterrupted is the exit code of a bulk run stopped by SIGINT or SIGTERM, as a
// shell reports a process killed by SIGINT (128+2).
const exitInterrupted = 130

// bulkCacheLimit bounds the shared DNS cache of a bulk run: enough for the records
// many domains share (providers' SPF includes, MX hosts), not every answer of a
// million domains.
const bulkCacheLimit = 10_000

func bulkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "bulk",
		Usage:     "report on many domains: one line, JSON report or CSV row each",
		ArgsUsage: "FILE|-",
		Description: "Reads domains from FILE (or - for standard input): one per line, or a CSV whose\n" +
			"header row names a domain column (and optionally selector and ip columns). Blank\n" +
			"lines and lines starting with # are skipped, a domain listed twice is checked once,\n" +
			"and a line that cannot be read is an error record in its place, never the end of\n" +
			"the run. Domains are checked --concurrency at a time on one shared resolver and\n" +
			"written in input order: a text line (grade, score, failed checks, top fix), a full\n" +
			"JSON report per line (--format json) or a CSV row (--format csv). --timeout bounds\n" +
			"each domain. A summary (grades, most common findings, incomplete count) goes to\n" +
			"standard error, and so does progress when standard error is a terminal.\n\n" +
			"Exit code: 1 when any domain fails a check, cannot be checked or scores surely\n" +
			"below --min-score; else 3 when some are incomplete or may score below it; 130\n" +
			"when interrupted (Ctrl-C finishes the domains in flight and flushes); else 0.\n\n" +
			"Examples:\n" +
			"   mailcheck bulk --concurrency 32 --format json --output reports.jsonl domains.txt\n" +
			"   mailcheck bulk --resume --format json --output reports.jsonl domains.txt   (continue)\n" +
			"   mailcheck bulk --shard 3/8 --format csv domains.csv > shard-3.csv",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "concurrency", Value: mailcheck.DefaultConcurrency, Usage: "check `N` domains at once"},
			&cli.StringFlag{Name: "profile", Value: string(mailcheck.ProfileDefault), Usage: "`PROFILE` for every domain: default, bulk-sender or parked"},
			&cli.StringSliceFlag{Name: "selector", Usage: "also look up this DKIM `SELECTOR` at every domain (repeatable)"},
			&cli.StringSliceFlag{Name: "ip", Usage: "a sending `IP` of every domain (repeatable)"},
			&cli.IntFlag{Name: "min-score", Usage: "exit 1 when a domain's score is surely below `N` (0–100), 3 when DNS failures leave it open"},
			&cli.BoolFlag{Name: "no-selector-probe", Usage: "look up only the known DKIM selectors (--selector, the CSV's selector column), not ~30 common ones: 18 DNS queries per domain instead of 48; a domain with no known selector is still probed"},
			&cli.BoolFlag{Name: "reputation", Usage: "also look every domain's sending IPs, MX addresses and name up in DNS blocklists (off by default: thousands of queries exceed the lists' free quotas)"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the records to `FILE` instead of standard output"},
			&cli.BoolFlag{Name: "resume", Usage: "append to --output, skipping the domains it already holds"},
			&cli.StringFlag{Name: "shard", Usage: "check only shard `I/N` (0 ≤ I < N) of the domains, by a stable hash of each name"},
		},
		Action: func(c *cli.Context) error { return bulkAction(c, e) },
	}
}

// bulkSettings are a bulk run's validated flags.
type bulkSettings struct {
	opts     options
	shard    shard
	minScore int
	minSet   bool
	common   []mailcheck.Option
	output   string
	resume   bool
	// probeKnown: domains with a known selector are not probed for common ones
	// (--no-selector-probe); globalSelectors: --selector was given.
	probeKnown, globalSelectors bool
}

func bulkAction(c *cli.Context, e *env) error {
	s, err := bulkFlags(c, e)
	if err != nil {
		return err
	}
	if c.NArg() != 1 {
		return usageError("bulk needs exactly one FILE argument, or - for standard input (got %d)", c.NArg())
	}
	inName := c.Args().First()
	if s.output != "" && inName != "-" && sameFile(inName, s.output) {
		return usageError("--output %s is the input file", s.output)
	}
	r, err := newResolver(c)
	if err != nil {
		return err
	}
	r.SetCacheLimit(bulkCacheLimit)

	seen := newDomainSet()
	out := e.stdout
	fresh := true // the output holds no records yet: write the header
	var outFile *os.File
	if s.output != "" {
		outFile, fresh, err = openOutput(s.output, s.opts.format, s.resume, seen)
		if err != nil {
			return err
		}
		defer outFile.Close()
		out = outFile
		s.opts.color = false
	}
	resumed := seen.len()

	in, closeIn, err := openInput(inName, e)
	if err != nil {
		return err
	}
	defer closeIn()
	st := &bulkStats{start: time.Now(), total: -1, grades: map[string]int{}, codes: map[string]int{}, resumed: resumed}
	if inName != "-" && e.stderrTerminal { // a file can be read twice: count it for the ETA
		if f, err := os.Open(inName); err == nil {
			st.total = countJobs(f, s.shard, seen)
			f.Close()
		}
	}

	ctx := c.Context
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C ends the process at once

	w := bufio.NewWriterSize(out, 64<<10)
	ow := newBulkWriter(w, s.opts)
	if fresh {
		ow.header()
	}
	var progress *progressLine
	if e.stderrTerminal {
		progress = startProgress(e.stderr, st)
	}
	lastFlush := time.Now()
	code := exitOK
	jobs := readJobs(in, s.shard, seen, st, s.probeKnown && !s.globalSelectors)
	err = mailcheck.CheckStream(ctx, jobs, func(res mailcheck.DomainResult) {
		code = worseExit(code, bulkExit(res, s))
		st.add(res, s)
		ow.write(res)
		if time.Since(lastFlush) > time.Second {
			w.Flush()
			lastFlush = time.Now()
		}
	}, append(s.common, mailcheck.WithResolver(r))...)
	ferr := w.Flush()
	if progress != nil {
		progress.stop()
	}
	st.summary(e.stderr, s)
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return usageError("%v", err)
	}
	if ferr != nil {
		return usageError("writing the records: %v", ferr)
	}
	if interrupted {
		msg := fmt.Sprintf("interrupted: %d domains written", st.done.Load())
		if s.output != "" {
			msg += "; run the same command with --resume to continue"
		}
		return &exitError{code: exitInterrupted, msg: msg}
	}
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

func bulkFlags(c *cli.Context, e *env) (*bulkSettings, error) {
	o, err := readOptions(c, e, "csv")
	if err != nil {
		return nil, err
	}
	s := &bulkSettings{opts: o, output: c.String("output"), resume: c.Bool("resume")}
	if n := c.Int("concurrency"); n < 1 || n > 1024 {
		return nil, usageError("--concurrency must be between 1 and 1024, not %d", n)
	}
	if t := c.Duration("timeout"); t <= 0 {
		return nil, usageError("--timeout must be positive, not %s", t)
	}
	if s.resume && s.output == "" {
		return nil, usageError("--resume needs --output FILE: the records to continue from")
	}
	if s.shard, err = parseShard(c.String("shard")); err != nil {
		return nil, err
	}
	s.minScore, s.minSet = c.Int("min-score"), c.IsSet("min-score")
	if s.minSet && (s.minScore < 0 || s.minScore > 100) {
		return nil, usageError("--min-score must be between 0 and 100, not %d", s.minScore)
	}
	s.common = []mailcheck.Option{mailcheck.WithConcurrency(c.Int("concurrency")),
		mailcheck.WithProfile(mailcheck.Profile(c.String("profile"))), mailcheck.WithTimeout(c.Duration("timeout")),
		mailcheck.WithSelectors(c.StringSlice("selector")...), mailcheck.WithReputation(c.Bool("reputation"))}
	s.probeKnown, s.globalSelectors = c.Bool("no-selector-probe"), len(c.StringSlice("selector")) > 0
	if s.probeKnown && s.globalSelectors {
		s.common = append(s.common, mailcheck.WithSelectorProbe(false))
	}
	for _, v := range c.StringSlice("ip") {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return nil, usageError("--ip %q is not an IP address", v)
		}
		s.common = append(s.common, mailcheck.WithSendingIPs(ip))
	}
	return s, nil
}

// openInput opens FILE, or standard input for "-".
func openInput(name string, e *env) (io.Reader, func(), error) {
	if name == "-" {
		return e.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, usageError("%v", err)
	}
	return f, func() { f.Close() }, nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// shard is the part of the input a run checks: domains whose hash modulo N is I.
type shard struct{ i, n uint32 }

func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.ParseUint(strings.TrimSpace(a), 10, 32)
	n, err2 := strconv.ParseUint(strings.TrimSpace(b), 10, 32)
	if !ok || err1 != nil || err2 != nil || n < 1 || i >= n {
		return shard{}, usageError("--shard must be I/N with 0 ≤ I < N (e.g. 0/4), not %q", s)
	}
	return shard{uint32(i), uint32(n)}, nil
}

// has reports whether the domain (or bad line) with this key is in the shard: FNV-1a
// (32 bits) of the key, which for a domain is its lower-case A-label, modulo N.
func (s shard) has(key string) bool {
	if s.n <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32()%s.n == s.i
}

// domainKey is what identifies an input line's domain across shards, duplicates and
// resumed runs: the lower-case A-label, or for text that is no domain name, the text
// itself behind a "!" (a bad line is reported once, in one shard).
func domainKey(raw string) string {
	if d, err := dnscheck.NormalizeDomain(raw); err == nil {
		return strings.ToLower(d.ASCII)
	}
	return "!" + strings.TrimSpace(raw)
}

// domainSet remembers the domains seen (checked in this run or found in the output
// being resumed) as 64-bit FNV-1a hashes: about 40 bytes a domain, the one part of a
// bulk run's memory that grows with the list. Two names colliding (about one chance
// in 10^7 for ten million domains) would skip the second.
type domainSet struct {
	mu sync.Mutex
	m  map[uint64]struct{}
}

func newDomainSet() *domainSet { return &domainSet{m: map[uint64]struct{}{}} }

func keyHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// add records key and reports whether it was new.
func (s *domainSet) add(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := keyHash(key)
	if _, ok := s.m[h]; ok {
		return false
	}
	s.m[h] = struct{}{}
	return true
}

func (s *domainSet) has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[keyHash(key)]
	return ok
}

func (s *domainSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// inputLine is one line of the domain list, read.
type inputLine struct {
	num       int
	raw       string // the domain as written, or the whole line when it has none
	key       string
	selectors []string
	ips       []netip.Addr
	err       error
}

// lineReader reads the domain list: one domain per line, or a CSV with a header row
// naming a domain column (and optionally selector and ip). Each line is parsed on its
// own, so a bad line (a stray quote, a missing field) spoils only itself.
type lineReader struct {
	sc      *bufio.Scanner
	num     int
	started bool
	cols    map[string]int // the header's columns; nil when there is none
}

func newLineReader(r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &lineReader{sc: sc}
}

// next returns the next line that names a domain (or fails to); false at the end.
func (lr *lineReader) next() (inputLine, bool) {
	for lr.sc.Scan() {
		lr.num++
		text := strings.TrimSpace(strings.TrimPrefix(lr.sc.Text(), "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !lr.started {
			lr.started = true
			if cols := csvHeader(text); cols != nil {
				lr.cols = cols
				continue
			}
		}
		return lr.parse(text), true
	}
	if err := lr.sc.Err(); err != nil {
		lr.num++
		return inputLine{num: lr.num, raw: "", key: fmt.Sprintf("!line %d", lr.num),
			err: fmt.Errorf("line %d: %v; the rest of the input is not read", lr.num, err)}, true
	}
	return inputLine{}, false
}

// csvHeader returns the columns of a header row: one whose fields include "domain".
func csvHeader(text string) map[string]int {
	fields, err := csv.NewReader(strings.NewReader(text)).Read()
	if err != nil {
		return nil
	}
	cols := map[string]int{}
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		if _, dup := cols[name]; !dup {
			cols[name] = i
		}
	}
	if _, ok := cols["domain"]; !ok {
		return nil
	}
	return cols
}

func (lr *lineReader) parse(text string) inputLine {
	l := inputLine{num: lr.num, raw: text}
	bad := func(format string, args ...any) inputLine {
		l.err = fmt.Errorf("line %d: %s", l.num, fmt.Sprintf(format, args...))
		if l.key == "" {
			l.key = "!" + text
		}
		return l
	}
	var fields []string
	switch {
	case lr.cols != nil || strings.Contains(text, ","):
		r := csv.NewReader(strings.NewReader(text))
		r.TrimLeadingSpace = true
		f, err := r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return bad("not a CSV row: %v", err)
		}
		fields = f
	default: // the old plain list: the first column of a ;- or tab-separated line
		if i := strings.IndexAny(text, ";\t"); i >= 0 {
			text = text[:i]
		}
		fields = []string{text}
	}
	col := func(name string) string {
		if lr.cols == nil {
			if name == "domain" {
				return strings.TrimSpace(fields[0])
			}
			return ""
		}
		if i, ok := lr.cols[name]; ok && i < len(fields) {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	l.raw = col("domain")
	if l.raw == "" {
		l.raw = text
		return bad("no domain")
	}
	d, err := dnscheck.NormalizeDomain(l.raw)
	if err != nil {
		l.key = "!" + l.raw
		return bad("%s", strings.TrimPrefix(err.Error(), "dnscheck: "))
	}
	l.key = strings.ToLower(d.ASCII)
	l.raw = d.ASCII
	for _, s := range splitList(col("selector")) {
		l.selectors = append(l.selectors, s)
	}
	for _, v := range splitList(col("ip")) {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return bad("ip %q is not an IP address", v)
		}
		l.ips = append(l.ips, ip)
	}
	return l
}

// splitList splits a selector or ip cell that holds several, by spaces or semicolons.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ';' || r == '|' })
}

// readJobs streams the input as jobs: lines of other shards, duplicates and domains
// already in the resumed output are skipped (and counted in st).
// With probeKnown, a domain whose line names selectors is not probed for common ones.
func readJobs(in io.Reader, sh shard, seen *domainSet, st *bulkStats, probeKnown bool) func(func(mailcheck.Job) bool) {
	return func(yield func(mailcheck.Job) bool) {
		lr := newLineReader(in)
		for {
			l, ok := lr.next()
			if !ok {
				return
			}
			if !sh.has(l.key) {
				continue
			}
			if !seen.add(l.key) {
				st.duplicates.Add(1)
				continue
			}
			job := mailcheck.Job{Domain: l.raw, Err: l.err}
			if len(l.selectors) > 0 {
				job.Options = append(job.Options, mailcheck.WithSelectors(l.selectors...))
				if probeKnown {
					job.Options = append(job.Options, mailcheck.WithSelectorProbe(false))
				}
			}
			if len(l.ips) > 0 {
				job.Options = append(job.Options, mailcheck.WithSendingIPs(l.ips...))
			}
			if !yield(job) {
				return
			}
		}
	}
}

// countJobs counts the lines of a file the run will check, for the progress line's
// total (duplicates are taken off as they are found).
func countJobs(r io.Reader, sh shard, seen *domainSet) int {
	lr := newLineReader(r)
	n := 0
	for {
		l, ok := lr.next()
		if !ok {
			return n
		}
		if sh.has(l.key) && !seen.has(l.key) {
			n++
		}
	}
}

// openOutput opens --output: truncated, or with --resume appended to after reading
// which domains it holds into seen (a last line cut short by a crash is dropped, and
// its domain checked again). fresh reports that the file holds no records yet.
func openOutput(name, format string, resume bool, seen *domainSet) (*os.File, bool, error) {
	if !resume {
		f, err := os.Create(name)
		if err != nil {
			return nil, false, usageError("%v", err)
		}
		return f, true, nil
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, usageError("%v", err)
	}
	end, _, err := readDone(f, format, seen)
	if err == nil {
		err = f.Truncate(end)
	}
	if err == nil {
		_, err = f.Seek(end, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, false, usageError("--resume: reading %s: %v", name, err)
	}
	return f, end == 0, nil
}

// readDone adds the domain of every complete record in an earlier run's output to
// seen, and returns where the complete lines end.
func readDone(r io.Reader, format string, seen *domainSet) (int64, int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var end int64
	records := 0
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return end, records, nil // a line without its newline was cut short
		}
		if err != nil {
			return 0, 0, err
		}
		end += int64(len(line))
		text := strings.TrimSpace(line)
		if text == "" {
			continue
		}
		var domain string
		switch format {
		case "json":
			var rec struct {
				Domain string `json:"domain"`
			}
			if json.Unmarshal([]byte(text), &rec) != nil {
				continue
			}
			domain = rec.Domain
		case "csv":
			f, err := csv.NewReader(strings.NewReader(text)).Read()
			if err != nil || len(f) == 0 || f[0] == "domain" {
				continue
			}
			domain = f[0]
		default:
			f := strings.Fields(text)
			if len(f) == 0 || f[0] == "DOMAIN" {
				continue
			}
			domain = f[0]
		}
		if domain != "" {
			seen.add(domainKey(domain))
			records++
		}
	}
}

// bulkExit ranks one domain's outcome by the exit code it calls for (1 outranks 3),
// --min-score included as in `mailcheck check`.
func bulkExit(res mailcheck.DomainResult, s *bulkSettings) int {
	if res.Err != nil || res.Report.Failed() {
		return exitFail
	}
	rep := res.Report
	code := exitOK
	if rep.Incomplete { // no grade: "?" and the score range
		code = exitIncomplete
	}
	if s.minSet {
		switch {
		case rep.ScoreMax < s.minScore:
			return exitFail
		case rep.ScoreMin < s.minScore:
			code = exitIncomplete
		}
	}
	return code
}

// worseExit keeps the more serious of two exit codes: a failure outranks incomplete.
func worseExit(a, b int) int {
	rank := map[int]int{exitOK: 0, exitIncomplete: 1, exitFail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// bulkWriter writes the records in the chosen format.
type bulkWriter struct {
	format string
	w      io.Writer
	p      *printer
	csv    *csv.Writer
}

func newBulkWriter(w io.Writer, o options) *bulkWriter {
	bw := &bulkWriter{format: o.format, w: w, p: &printer{w: w, color: o.color, width: o.width}}
	if o.format == "csv" {
		bw.csv = csv.NewWriter(w)
	}
	return bw
}

// csvColumns are the columns of --format csv, one row per domain.
var csvColumns = []string{"domain", "grade", "score", "score_min", "score_max", "incomplete", "failed_checks", "incomplete_checks", "top_fix", "error"}

func (bw *bulkWriter) header() {
	switch bw.format {
	case "text":
		bw.p.line("%-32s %-5s %7s  %s", "DOMAIN", "GRADE", "SCORE", "PROBLEMS")
	case "csv":
		bw.csv.Write(csvColumns)
		bw.csv.Flush()
	}
}

func (bw *bulkWriter) write(res mailcheck.DomainResult) {
	switch bw.format {
	case "json":
		writeBulkJSON(bw.w, res)
	case "csv":
		bw.csv.Write(csvRow(res))
		bw.csv.Flush()
	default:
		printBulkLine(bw.p, res)
	}
}

func errText(err error) string {
	return strings.TrimPrefix(strings.TrimPrefix(err.Error(), "mailcheck: "), "dnscheck: ")
}

func writeBulkJSON(w io.Writer, res mailcheck.DomainResult) {
	var v any = res.Report
	if res.Err != nil {
		v = map[string]string{"domain": res.Domain, "error": errText(res.Err)}
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"domain":%q,"error":%q}`, res.Domain, err.Error()))
	}
	fmt.Fprintf(w, "%s\n", b)
}

// checksBy lists the IDs of a report's checks with the given status, space-separated.
func checksBy(rep *mailcheck.Report, status mailcheck.Status) string {
	var ids []string
	for _, c := range rep.Checks {
		if c.Status == status {
			ids = append(ids, c.ID)
		}
	}
	return strings.Join(ids, " ")
}

func csvRow(res mailcheck.DomainResult) []string {
	if res.Err != nil {
		return []string{res.Domain, "", "", "", "", "", "", "", "", errText(res.Err)}
	}
	rep := res.Report
	fix := ""
	if len(rep.FixFirst) > 0 {
		fix = rep.FixFirst[0].Title
	}
	return []string{rep.Domain, rep.Grade.String(), strconv.Itoa(rep.Score), strconv.Itoa(rep.ScoreMin), strconv.Itoa(rep.ScoreMax),
		strconv.FormatBool(rep.Incomplete), checksBy(rep, mailcheck.StatusFail), checksBy(rep, mailcheck.StatusError), fix, ""}
}

func printBulkLine(p *printer, res mailcheck.DomainResult) {
	if res.Err != nil {
		p.line("%-32s %-5s %7s  %s", clean(res.Domain), "-", "-", p.paint(ansiRed, clean(errText(res.Err))))
		return
	}
	rep := res.Report
	var problems []string
	for _, c := range rep.Checks {
		switch c.Status {
		case mailcheck.StatusFail:
			problems = append(problems, c.ID+" fails")
		case mailcheck.StatusError:
			problems = append(problems, c.ID+" incomplete")
		}
	}
	if len(rep.FixFirst) > 0 {
		problems = append(problems, "fix first: "+rep.FixFirst[0].Title)
	}
	p.line("%-32s %-5s %7s  %s", clean(rep.Domain), p.gradeMark(rep.Grade), scoreText(rep), clean(strings.Join(problems, "; ")))
}

// bulkStats are a run's running counts, for the progress line and the summary. The
// counters the progress line reads are atomic; the maps are touched only by emit.
type bulkStats struct {
	start                 time.Time
	total                 int // domains the run will check, -1 when unknown
	resumed               int
	done, failed, unknown atomic.Int64 // unknown: incomplete reports
	badLines, duplicates  atomic.Int64
	belowMin, maybeBelow  int
	grades, codes         map[string]int
}

func (st *bulkStats) add(res mailcheck.DomainResult, s *bulkSettings) {
	st.done.Add(1)
	if res.Err != nil {
		st.badLines.Add(1)
		st.failed.Add(1)
		return
	}
	rep := res.Report
	if rep.Failed() {
		st.failed.Add(1)
	}
	if rep.Incomplete {
		st.unknown.Add(1)
	}
	st.grades[rep.Grade.String()]++
	if s.minSet {
		switch {
		case rep.ScoreMax < s.minScore:
			st.belowMin++
		case rep.ScoreMin < s.minScore:
			st.maybeBelow++
		}
	}
	once := map[string]bool{}
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if f.Severity == "info" || once[string(f.Code)] {
				continue
			}
			once[string(f.Code)] = true
			st.codes[string(f.Code)]++
		}
	}
}

// summary writes the end-of-run summary: counts, the grade distribution, the most
// common findings (each counted once per domain) and the incomplete reports.
func (st *bulkStats) summary(w io.Writer, s *bulkSettings) {
	elapsed := time.Since(st.start)
	done := st.done.Load()
	fmt.Fprintf(w, "%d domains in %s (%.1f/s): %d failed, %d incomplete",
		done, elapsed.Round(100*time.Millisecond), float64(done)/max(elapsed.Seconds(), 0.001), st.failed.Load(), st.unknown.Load())
	if n := st.badLines.Load(); n > 0 {
		fmt.Fprintf(w, ", %d not checkable (bad lines or names)", n)
	}
	if n := st.duplicates.Load(); n > 0 {
		fmt.Fprintf(w, ", %d duplicates skipped", n)
	}
	if st.resumed > 0 {
		fmt.Fprintf(w, ", %d already in the output", st.resumed)
	}
	fmt.Fprintln(w)
	if len(st.grades) > 0 {
		var gs []string
		for g := range st.grades {
			gs = append(gs, g)
		}
		sort.Slice(gs, func(i, j int) bool { // A..F, then ?
			if (gs[i] == "?") != (gs[j] == "?") {
				return gs[j] == "?"
			}
			return gs[i] < gs[j]
		})
		var parts []string
		for _, g := range gs {
			parts = append(parts, fmt.Sprintf("%s %d", g, st.grades[g]))
		}
		fmt.Fprintf(w, "grades: %s\n", strings.Join(parts, ", "))
	}
	if s.minSet {
		fmt.Fprintf(w, "below --min-score %d: %d surely, %d maybe (incomplete)\n", s.minScore, st.belowMin, st.maybeBelow)
	}
	if len(st.codes) > 0 {
		type kv struct {
			code string
			n    int
		}
		var all []kv
		for c, n := range st.codes {
			all = append(all, kv{c, n})
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].n != all[j].n {
				return all[i].n > all[j].n
			}
			return all[i].code < all[j].code
		})
		fmt.Fprintln(w, "most common findings (domains):")
		for i, e := range all {
			if i == 10 {
				break
			}
			fmt.Fprintf(w, "  %7d  %s\n", e.n, e.code)
		}
	}
}

// progressLine redraws one status line on a terminal: done/total, rate, ETA,
// failures and incomplete reports so far.
type progressLine struct {
	w    io.Writer
	st   *bulkStats
	quit chan struct{}
	wg   sync.WaitGroup
}

func startProgress(w io.Writer, st *bulkStats) *progressLine {
	p := &progressLine{w: w, st: st, quit: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(p.w, "\r\x1b[K%s", p.st.progress(time.Now()))
			case <-p.quit:
				fmt.Fprint(p.w, "\r\x1b[K")
				return
			}
		}
	}()
	return p
}

func (p *progressLine) stop() {
	close(p.quit)
	p.wg.Wait()
}

// progress is the text of the progress line at now.
func (st *bulkStats) progress(now time.Time) string {
	done := st.done.Load()
	elapsed := now.Sub(st.start).Seconds()
	rate := float64(done) / max(elapsed, 0.001)
	s := fmt.Sprintf("%d", done)
	if st.total >= 0 {
		total := int64(st.total) - st.duplicates.Load()
		s += fmt.Sprintf("/%d", total)
		if rate > 0 && done > 0 {
			eta := time.Duration(float64(total-done) / rate * float64(time.Second))
			s += fmt.Sprintf(" · %.1f/s · ETA %s", rate, max(eta, 0).Round(time.Second))
		} else {
			s += fmt.Sprintf(" · %.1f/s", rate)
		}
	} else {
		s += fmt.Sprintf(" done · %.1f/s", rate)
	}
	return s + fmt.Sprintf(" · %d failed · %d incomplete", st.failed.Load(), st.unknown.Load())
}
