package mailcheck_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// messageStart is what a finding's Message may begin with besides a capital letter: a
// DNS name or selector ("_dmarc.example.com has …", "twospf.example publishes …"), a
// record or tag ("v=spf1 …", "p=none …", "+all …"), a number, or a quoted value.
var messageStart = regexp.MustCompile(`^(?:[0-9"'(<+~?-]|[a-z0-9_*-]+(?:\.[a-z0-9_-]+)+\b|[a-z0-9_-]+=|[a-z]+:)`)

// messageIssue says what is wrong with a finding's Message, "" when it reads like the
// others: one or more sentences, starting with a capital (or a name, code or value) and
// ending with a full stop (or the question mark of a did-you-mean).
func messageIssue(msg string) string {
	switch {
	case msg == "":
		return "empty"
	case msg != strings.TrimSpace(msg):
		return "surrounding space"
	}
	first, _ := utf8.DecodeRuneInString(msg)
	if !unicode.IsUpper(first) && !messageStart.MatchString(msg) {
		return "does not start with a capital"
	}
	// A did-you-mean may end the message with its question.
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") {
		return "does not end with a full stop"
	}
	return ""
}

// Findings read the same across checks: capitalised sentences with a full stop. The
// test runs the domain report and the single checks over the zones behind the README
// and the check tests, and lists every message that does not.
func TestFindingMessagesAreSentences(t *testing.T) {
	zones := []string{"demo.zone", "dmarc-findings.zone", "dmarc-discovery.zone", "spf-demo.zone",
		"dkim-demo.zone", "fixes-dmarc.zone", "fixes-spf.zone", "scoring.zone", "hostile.zone"}
	bad := map[string]string{} // message → code: issue
	seen := 0
	collect := func(checks ...*mailcheck.Check) {
		for _, c := range checks {
			if c == nil {
				continue
			}
			for _, f := range c.Findings {
				seen++
				if issue := messageIssue(f.Message); issue != "" {
					bad[f.Message] = fmt.Sprintf("%s (%s)", f.Code, issue)
				}
			}
		}
	}
	ctx := context.Background()
	for _, name := range zones {
		path := filepath.Join("testdata/zones", name)
		z, err := dnscheck.LoadZoneFile(path)
		require.NoError(t, err)
		opt := mailcheck.WithResolver(dnscheck.NewZoneResolver(z))
		for _, domain := range zoneDomains(t, path) {
			rep, err := mailcheck.CheckDomain(ctx, domain, opt)
			require.NoError(t, err)
			collect(rep.Checks...)
			for _, run := range []func(context.Context, string, ...mailcheck.Option) (*mailcheck.Check, error){
				mailcheck.CheckMX, mailcheck.CheckSPF, mailcheck.CheckDMARC, mailcheck.CheckDKIM,
			} {
				c, err := run(ctx, domain, opt)
				require.NoError(t, err)
				collect(c)
			}
		}
	}
	require.Greater(t, seen, 100, "the zones give many findings to read")
	var lines []string
	for msg, why := range bad {
		lines = append(lines, why+": "+msg)
	}
	sort.Strings(lines)
	assert.Empty(t, lines, "finding messages that do not read like the others:\n%s", strings.Join(lines, "\n"))
}

func TestMessageIssue(t *testing.T) {
	for msg, want := range map[string]string{
		"No DMARC record at _dmarc.example.com.":                              "",
		"_dmarc.example.com has 2 DMARC records; receivers discard them.":     "",
		"twospf.example publishes 2 SPF records; receivers return permerror.": "",
		"p=none asks receivers to do nothing.":                                "",
		"no DMARC policy applies":                                             "does not start with a capital",
		"No DMARC policy applies":                                             "does not end with a full stop",
		"Receivers ignore it: did you mean v=DMARC1?":                         "",
	} {
		assert.Equal(t, want, messageIssue(msg), msg)
	}
}
