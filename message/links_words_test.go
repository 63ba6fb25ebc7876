package message

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
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
