package bounce

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/bounce/expected.txt from the parser's output")

const corpusDir = "../testdata/bounce"

// corpusFiles lists the corpus: the Postfix-generated notices and the written ones.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.eml", "written/*.eml", "written/*.json"} {
		m, err := filepath.Glob(filepath.Join(corpusDir, pat))
		require.NoError(t, err)
		files = append(files, m...)
	}
	slices.Sort(files)
	require.GreaterOrEqual(t, len(files), 60, "the corpus is missing")
	return files
}

// verdictLine is one recipient's outcome as expected.txt and sisimai.txt hold it:
// file, recipient, reason, status (tab-separated).
func verdictLine(file string, rc Recipient) string {
	status := rc.Status
	if status == "" {
		status = "-"
	}
	return strings.Join([]string{file, rc.Address, string(rc.Reason), status, fmt.Sprint(rc.ReplyCode)}, "\t")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// Every notice of the corpus parses to the recipients, reasons, status codes and
// reply codes in expected.txt, each decided by hand from the notice's text, the
// provider's documentation and RFC 3463 (see the README's Bounces section).
func TestCorpusMatchesTheExpectedVerdicts(t *testing.T) {
	var got []string
	for _, path := range corpusFiles(t) {
		rel, _ := filepath.Rel(corpusDir, path)
		f, err := os.Open(path)
		require.NoError(t, err)
		rep, err := Parse(f)
		f.Close()
		require.NoError(t, err, rel)
		require.NotEmpty(t, rep.Recipients, rel)
		for _, rc := range rep.Recipients {
			assert.NotEmpty(t, rc.Address, "%s: a recipient without an address", rel)
			assert.NotEqual(t, Undefined, rc.Reason, "%s: no reason", rel)
			got = append(got, verdictLine(rel, rc))
		}
	}
	golden := filepath.Join(corpusDir, "expected.txt")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte("# file\trecipient\treason\tstatus\treply code\n"+strings.Join(got, "\n")+"\n"), 0o644))
	}
	assert.Equal(t, readLines(t, golden), got)
}
