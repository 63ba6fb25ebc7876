package message

import (
	"context"
	"strings"
	"testing"
)

// FuzzCheckLinks: any bytes as both the text and the HTML part of a message; CheckLinks
// must not fail or panic, must report each code at most once, and cannot report more
// offending links than it examined.
func FuzzCheckLinks(f *testing.F) {
	for _, s := range []string{
		"Book at http//.domain.xyz/book now.",
		`<a href="https://login.evil.example/">https://www.paypal.com/</a>`,
		`<a href="http&#58;//10.0.0.1/">x</a> <a href="https://[2001:db8::1]:8443/">y</a>`,
		"htp://x https:/// http://3232235777/ mailto:a@b tel:+1 #top",
		`<style>a{b:url(http//x)}</style><script>"http//x"</script><area href="http:/x">`,
		"<a href=\"https://xn--bcher-kva.example/\">bücher.example</a>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		msg := alternative(body, body)
		res, err := CheckLinks(context.Background(), strings.NewReader(msg))
		if err != nil {
			t.Fatalf("CheckLinks failed on an in-memory message: %v", err)
		}
		seen := map[string]bool{}
		for _, f := range res.Findings {
			if seen[string(f.Code)] {
				t.Fatalf("%s reported twice", f.Code)
			}
			seen[string(f.Code)] = true
		}
		if res.Links < len(res.Findings)-1 && !seen["message.html-only"] {
			t.Fatalf("%d findings from %d links", len(res.Findings), res.Links)
		}
	})
}
