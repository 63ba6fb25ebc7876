package message

import (
	"context"
	"strings"
	"testing"
)

// The worst shapes for the link rules: text where every few bytes start a link
// candidate, and HTML of unclosed links each with an href. MB/s must not fall as the
// size grows (the part bound is 1 MiB, so 1 MiB is the largest part read).
func BenchmarkCheckLinksWorst(b *testing.B) {
	for _, shape := range []struct{ name, unit string }{
		{"text-candidates", "http//a.b htp://c. http:/d "},
		{"html-unclosed-anchors", `<a href="http://192.0.2.1/x">www.example.com `},
	} {
		for _, size := range []int{64 << 10, 256 << 10, 1 << 20} {
			body := strings.Repeat(shape.unit, size/len(shape.unit))
			msg := alternative(body, body)
			b.Run(shape.name+"/"+sizeName(size), func(b *testing.B) {
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					if _, err := CheckLinks(context.Background(), strings.NewReader(msg)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return "1MiB"
	}
	return map[int]string{64 << 10: "64KiB", 256 << 10: "256KiB"}[n]
}
