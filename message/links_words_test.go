package message

import (
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/stretchr/testify/require"
)

// linkCandidates, which matches word by word, finds exactly what the regexp finds
// on the whole text.
func TestLinkCandidatesMatchTheWholeTextRegexp(t *testing.T) {
	pieces := []string{"http", "https", "://", ":", "/", "//", "www.example.com", "x", "mailto:", "a@b.c",
		" ", "\t", "\r\n", "\f", "\v", "\u00a0", "é", "<", ">", "\"", "'", "`", ".", ",", "ftp", "javascript:",
		"1http", "_", "-", "data:text/html", "HTTP", "(", ")", "ab", "abcdefghijklmnopqrstu"}
	rng := rand.New(rand.NewPCG(7, 8))
	texts := []string{"", "no links here", "see http://example.com/a, and www.x.org/b.", "a:b c//d e:/f"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	for _, text := range texts {
		want := linkCandidate.FindAllString(text, -1)
		got := slices.Collect(linkCandidates(text))
		if !slices.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", text, got, want)
		}
	}
}

// plain, which reads a part in pieces cut after a \s character, finds the same links
// as text on the whole part, whatever the reads return (a byte at a time, halves, a
// word longer than plain's buffer).
func TestPlainReadInPiecesFindsWhatTheWholeTextHolds(t *testing.T) {
	pieces := []string{"http://example.com/a", "https://192.0.2.1/x", "www.example.org", "mailto:a@b.c", " ", "\t",
		"\r\n", "\v", "\u00a0", "é", "ht", "tp:", "//", "/", ":", "x.", ",", "(", ")", "word", "javascript:alert(1)"}
	rng := rand.New(rand.NewPCG(9, 10))
	long := strings.Repeat("a", 70<<10) + "http://long.example/" + strings.Repeat("b", 70<<10) + " https://after.example/"
	texts := []string{"", "no links here", long}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	scan := func() *linkScan {
		return &linkScan{res: &Links{}, issues: map[finding.Code][]linkIssue{}, counts: map[finding.Code]int{}, seen: map[string]bool{}}
	}
	for i, text := range texts {
		want := scan()
		want.text("1", text)
		got := scan()
		var r io.Reader = strings.NewReader(text)
		switch i % 3 {
		case 1:
			r = iotest.OneByteReader(r)
		case 2:
			r = iotest.HalfReader(r)
		}
		got.plain("1", r)
		require.Equal(t, want.res, got.res, "%.200q", text)
		require.Equal(t, want.issues, got.issues, "%.200q", text)
		require.Equal(t, want.counts, got.counts, "%.200q", text)
	}
}
