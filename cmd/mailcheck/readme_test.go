package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeExample is one command the README shows, with the sample output it prints
// after it (none for a command shown alone).
type readmeExample struct {
	line   int // the README line of the command
	args   []string
	sample []string
}

var (
	// inlineCommand is a command in backticks in the prose: "`mailcheck ... testdata/...`".
	inlineCommand = regexp.MustCompile("`((?:go run ./cmd/)?mailcheck [^`]*)`")
	// annotation is the README's "   ← what this is" note beside a sample line; the
	// output's own "  ← receivers stop here" has two spaces, an annotation three or more.
	annotation = regexp.MustCompile(`\s{3,}← .*$`)
	// The elapsed time changes from run to run, and the DNS query count with the
	// order in which concurrent checks fill the shared cache.
	elapsed = regexp.MustCompile(`\d+ (ms|DNS queries)\b`)
)

// readmeExamples reads the commands of README.md: the lines of fenced blocks that start
// with "mailcheck" (or "$ mailcheck", followed by its output), a block introduced by
// "`mailcheck ...` (abridged):" (the block is its output), and commands in backticks in
// the prose.
func readmeExamples(t *testing.T, readme string) []readmeExample {
	t.Helper()
	var out []readmeExample
	lines := strings.Split(readme, "\n")
	lastProse := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			if strings.TrimSpace(l) != "" {
				lastProse = l
			}
			for _, m := range inlineCommand.FindAllStringSubmatch(l, -1) {
				out = append(out, readmeExample{line: i + 1, args: commandArgs(m[1])})
			}
			continue
		}
		lang := strings.TrimPrefix(l, "```")
		start := i + 1
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
		}
		block := lines[start:i]
		if lang != "" && lang != "sh" {
			continue // Go, YAML: not commands
		}
		if len(block) > 0 && strings.HasPrefix(block[0], "$ mailcheck ") {
			out = append(out, readmeExample{line: start + 1, args: commandArgs(strings.TrimPrefix(block[0], "$ ")), sample: block[1:]})
			continue
		}
		if m := inlineCommand.FindStringSubmatch(lastProse); m != nil && strings.HasSuffix(strings.TrimSpace(lastProse), ":") {
			// The block is the output of the command named just above it; the prose
			// pass has already run the command itself, this one compares the output.
			out = append(out, readmeExample{line: start, args: commandArgs(m[1]), sample: block})
			continue
		}
		for j, b := range block {
			if strings.HasPrefix(b, "mailcheck ") || strings.HasPrefix(b, "go run ./cmd/mailcheck ") {
				cmd, _, _ := strings.Cut(b, "#")
				out = append(out, readmeExample{line: start + j + 1, args: commandArgs(cmd)})
			}
		}
	}
	return out
}

// commandArgs splits a shown command into the CLI's arguments, without the program.
func commandArgs(cmd string) []string {
	f := strings.Fields(cmd)
	if len(f) >= 3 && f[0] == "go" && f[1] == "run" {
		f = f[2:]
	}
	return f[1:]
}

// offline reports whether the command needs nothing but the repository: it reads a
// zone or a file under testdata, has no shell redirection, and names no other file.
func offline(args []string) bool {
	files := 0
	for i, a := range args {
		switch {
		case strings.ContainsAny(a, "<>|$`'\""):
			return false
		case strings.HasPrefix(a, "testdata/"):
			if _, err := os.Stat(a); err != nil {
				return false
			}
			files++
		case strings.Contains(a, ".") && !strings.HasPrefix(a, "-") && (i == 0 || !strings.HasPrefix(args[i-1], "--")) &&
			(strings.HasSuffix(a, ".eml") || strings.HasSuffix(a, ".txt") || strings.HasSuffix(a, ".csv") || strings.HasSuffix(a, ".zone")):
			return false // a file of the reader's own (returned.eml, domains.txt)
		}
	}
	return files > 0
}

// sampleSegments turns a sample into runs of lines to find in the real output, in
// order: a line that is only "..." (or "(abridged)") separates two runs, "..." inside
// a line stands for any text, annotations go, and the elapsed time and the DNS query
// count may differ.
func sampleSegments(sample []string) [][]*regexp.Regexp {
	var segs [][]*regexp.Regexp
	var cur []*regexp.Regexp
	flush := func() {
		if len(cur) > 0 {
			segs = append(segs, cur)
		}
		cur = nil
	}
	for _, l := range sample {
		l = strings.TrimRight(annotation.ReplaceAllString(l, ""), " ")
		switch strings.TrimSpace(l) {
		case "...", "…", "(abridged)":
			flush()
			continue
		}
		parts := strings.Split(l, "...")
		for i, p := range parts {
			p = regexp.QuoteMeta(p)
			parts[i] = elapsed.ReplaceAllString(p, `\d+ $1`)
		}
		cur = append(cur, regexp.MustCompile("^"+strings.Join(parts, ".*")+"$"))
	}
	flush()
	return segs
}

// matchSegments finds each run of sample lines as consecutive output lines, each run
// after the one before; it returns the first run that is not found.
func matchSegments(segs [][]*regexp.Regexp, output string) (missing []*regexp.Regexp, ok bool) {
	lines := strings.Split(output, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	from := 0
	for _, seg := range segs {
		found := -1
		for at := from; at+len(seg) <= len(lines) && found < 0; at++ {
			match := true
			for k, re := range seg {
				if !re.MatchString(lines[at+k]) {
					match = false
					break
				}
			}
			if match {
				found = at
			}
		}
		if found < 0 {
			return seg, false
		}
		from = found + len(seg)
	}
	return nil, true
}

// The README cannot drift from the program: every command it shows that runs offline
// (a zone or message under testdata) is run, must not be a usage or internal error,
// and where the README shows its output, that output is what the program prints.
func TestREADMEExamplesRunAsShown(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	t.Chdir("../..") // the README's paths are relative to the repository root
	examples := readmeExamples(t, string(readme))
	ran, compared := 0, 0
	for _, ex := range examples {
		if !offline(ex.args) {
			continue
		}
		name := filepath.ToSlash(strings.Join(ex.args, " "))
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, ex.args...)
			assert.NotContains(t, []int{2, 70}, code, "README.md:%d: %s\n%s", ex.line, name, errOut)
			if len(ex.sample) == 0 {
				return
			}
			compared++
			if seg, ok := matchSegments(sampleSegments(ex.sample), out); !ok {
				var want []string
				for _, re := range seg {
					want = append(want, re.String())
				}
				t.Errorf("README.md:%d: the output of `mailcheck %s` no longer has these lines together:\n%s\n\nit prints:\n%s",
					ex.line, name, strings.Join(want, "\n"), out)
			}
		})
		ran++
	}
	require.GreaterOrEqual(t, ran, 5, "the README's offline commands were found")
	require.GreaterOrEqual(t, compared, 2, "the README's sample outputs were found")
}

func TestSampleMatching(t *testing.T) {
	out := "a  grade D  score 75/100\nprofile · 9 DNS queries · 12 ms\nx\n  include b  cost 3  ← receivers stop here\nz\n"
	ok := func(sample ...string) bool {
		_, ok := matchSegments(sampleSegments(sample), out)
		return ok
	}
	assert.True(t, ok("a  grade D  score 75/100     ← the grade", "profile · 9 DNS queries · 0 ms"), "annotations go, the time may differ")
	assert.True(t, ok("a  grade D ...", "...", "  include b  cost 3  ← receivers stop here"), "... is any text, a ... line a gap")
	assert.False(t, ok("a  grade D  score 80/100"), "a changed score is drift")
	assert.False(t, ok("x", "z"), "lines of one run are consecutive")
	assert.False(t, ok("z", "...", "x"), "runs keep their order")
}
