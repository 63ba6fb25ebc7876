package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/urfave/cli/v2"
)

// Errors that teach: urfave/cli's parse errors are turned into a sentence that says
// what to type instead.

var (
	undefinedFlag = regexp.MustCompile(`^flag provided but not defined: -+(\S+)$`)
	badValue      = regexp.MustCompile(`^invalid value "([^"]*)" for flag -+(\S+): (.*)$`)
)

// explainUsage rewrites a flag parse error; flags are the names the command knows.
func explainUsage(err error, flags []string) string {
	msg := err.Error()
	if m := undefinedFlag.FindStringSubmatch(msg); m != nil {
		if near := nearest(m[1], flags); near != "" {
			return fmt.Sprintf("unknown flag --%s; did you mean --%s?", m[1], near)
		}
		return fmt.Sprintf("unknown flag --%s; see --help for the flags of this command", m[1])
	}
	if m := badValue.FindStringSubmatch(msg); m != nil {
		value, flag := m[1], m[2]
		switch {
		case flag == "timeout":
			return fmt.Sprintf("--timeout %s: write a duration with its unit, e.g. %ss or 2m", value, value)
		case strings.Contains(m[3], "parse error") || strings.Contains(m[3], "invalid syntax"):
			return fmt.Sprintf("--%s %q is not a number", flag, value)
		}
		return fmt.Sprintf("--%s %q: %s", flag, value, m[3])
	}
	return msg
}

// nearest returns the known name closest to s, if it is a likely typo: at most two
// edits away (one for short names).
func nearest(s string, names []string) string {
	best, bestD := "", 3
	if len(s) <= 4 {
		bestD = 2
	}
	sort.Strings(names)
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (adjacent swaps count one), the
// usual measure of a typo.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// flagNames lists the long names of flags.
func flagNames(fs []cli.Flag) []string {
	var out []string
	for _, f := range fs {
		for _, n := range f.Names() {
			if len(n) > 1 {
				out = append(out, n)
			}
		}
	}
	return out
}

// version is the module version the binary was built from and its VCS revision
// (with "+dirty" for uncommitted changes): the one reports carry as mailcheck_version.
func version() string { return mailcheck.Version() }

// completionCommand prints a shell completion script. bash and zsh scripts ask the
// binary itself for candidates (urfave/cli's --generate-bash-completion); fish gets
// urfave/cli's generated script.
func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: "Examples:\n" +
			"   source <(mailcheck completion bash)                  # bash, this shell\n" +
			"   mailcheck completion zsh > \"${fpath[1]}/_mailcheck\"  # zsh\n" +
			"   mailcheck completion fish > ~/.config/fish/completions/mailcheck.fish",
		Action: func(c *cli.Context) error {
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(e.stdout, bashCompletion)
			case "zsh":
				fmt.Fprint(e.stdout, zshCompletion)
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return err
				}
				fmt.Fprint(e.stdout, s)
			default:
				return usageError("give the shell: mailcheck completion bash|zsh|fish")
			}
			return nil
		},
	}
}

// manCommand prints the manual page, generated from the same definitions as --help.
func manCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "man",
		Usage:       "print the manual page (roff), e.g. mailcheck man > mailcheck.1",
		Description: "Example: mailcheck man | man -l -",
		Action: func(c *cli.Context) error {
			s, err := c.App.ToMan()
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, s)
			return nil
		},
	}
}

const bashCompletion = `# bash completion for mailcheck
_mailcheck() {
	local cur words
	cur="${COMP_WORDS[COMP_CWORD]}"
	words=("${COMP_WORDS[@]:0:COMP_CWORD}")
	# A partial flag is passed on, so the binary lists flags rather than commands.
	[[ $cur == -* ]] && words+=("$cur")
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o default -F _mailcheck mailcheck
`

const zshCompletion = `#compdef mailcheck
_mailcheck() {
	local -a opts args
	args=(${words[1,CURRENT-1]})
	[[ ${words[CURRENT]} == -* ]] && args+=(${words[CURRENT]})
	opts=("${(@f)$(${args[@]} --generate-bash-completion 2>/dev/null)}")
	_describe 'values' opts
}
compdef _mailcheck mailcheck
`

// reportOnlyFlag returns the flag of an "undefined flag" error when it is one of the
// full report's flags (shown in the app's help), given to a command that has none.
func reportOnlyFlag(err error, cmd string) string {
	m := undefinedFlag.FindStringSubmatch(err.Error())
	if m == nil || cmd == "check" {
		return ""
	}
	for _, n := range flagNames(reportFlags()) {
		if n == m[1] {
			return n
		}
	}
	return ""
}
