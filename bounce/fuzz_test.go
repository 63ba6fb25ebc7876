package bounce

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input parses or is refused with an error, without panicking, and
// every recipient reported has a reason from the vocabulary. Seeds: the corpus
// (testdata/bounce) and testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, pat := range []string{"*.eml", "written/*"} {
		files, _ := filepath.Glob(filepath.Join(corpusDir, pat))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	valid := map[Reason]bool{}
	for _, r := range Reasons {
		valid[r] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ParseBytes(data)
		if err != nil {
			if rep != nil {
				t.Fatal("a report with an error")
			}
			return
		}
		if len(rep.Recipients) == 0 || len(rep.Recipients) > maxRecipients {
			t.Fatalf("%d recipients", len(rep.Recipients))
		}
		for _, rc := range rep.Recipients {
			if !valid[rc.Reason] {
				t.Fatalf("reason %q is not in the vocabulary", rc.Reason)
			}
			if len(rc.Diagnostic) > 2*maxDiagnostic {
				t.Fatalf("diagnostic of %d bytes", len(rc.Diagnostic))
			}
		}
	})
}

// FuzzFieldGroups: the delivery-status field parser never panics and never returns
// an empty group.
func FuzzFieldGroups(f *testing.F) {
	f.Add([]byte("Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1\n  folded\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, g := range fieldGroups(data) {
			if len(g) == 0 {
				t.Fatal("an empty group")
			}
		}
	})
}
