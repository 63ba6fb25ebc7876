package message

import (
	"strings"
	"testing"
)

// CheckHeader never panics, and a From domain comes back only with no From finding.
func FuzzCheckHeader(f *testing.F) {
	f.Add("From: a@example.com\r\nDate: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nbody")
	f.Add("From: a@b, c@d\r\nFrom: e@f\r\n\r\n")
	f.Add("\x00\r\n: \r\n\r\n")
	f.Add("From: =?utf-8?q?=C3=A9?= <x@y>\r\n continued\r\n\r\n")
	f.Fuzz(func(t *testing.T, msg string) {
		h := CheckHeader(strings.NewReader(msg))
		if h == nil || h.Findings == nil {
			t.Fatal("no header report")
		}
		for _, fd := range h.Findings {
			if h.FromDomain != "" && strings.HasPrefix(string(fd.Code), "message.from-") {
				t.Fatalf("From domain %q returned beside %s", h.FromDomain, fd.Code)
			}
		}
	})
}
