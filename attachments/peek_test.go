package attachments

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Entries are judged by their first bytes too, as receivers that sniff judge them.
func TestEntriesArePeekedAt(t *testing.T) {
	inner := zipBytes(t, zfile{name: "run.js", data: []byte("WScript.Echo(1)")})
	pe := append([]byte("MZ"), make([]byte, 300)...)
	docx := zipBytes(t, zfile{name: "[Content_Types].xml", data: []byte("<Types/>")}, zfile{name: "word/document.xml", data: []byte("<w/>")})
	tests := []struct {
		name     string
		archive  []byte
		filename string
		gmail    Action
		codes    []string
	}{
		{"a zip renamed .dat inside a tar is opened", tarBytes(t, zfile{name: "payload.dat", data: inner}), "bundle.tar",
			Reject, []string{"attachments.forbidden-in-archive", "attachments.nested-archive"}},
		{"a stored zip renamed .bin inside a zip is opened", zipBytes(t, zfile{name: "data.bin", data: inner, raw: true}), "outer.zip",
			Reject, []string{"attachments.forbidden-in-archive", "attachments.nested-archive"}},
		{"an executable named .jpg inside a zip is judged by its content", zipBytes(t, zfile{name: "photo.jpg", data: pe}), "photos.zip",
			Reject, []string{"attachments.forbidden-in-archive", "attachments.type-mismatch"}},
		{"a .docx inside a zip is a document, not a nested archive", zipBytes(t, zfile{name: "report.docx", data: docx}), "docs.zip",
			Accept, nil},
		{"a text file inside a zip stays clean", zipBytes(t, zfile{name: "notes.txt", data: []byte("hello")}), "notes.zip",
			Accept, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := message(textPart("see attached"), attachment(tc.filename, "application/octet-stream", tc.archive))
			res, err := Check(context.Background(), strings.NewReader(msg), WithReceivers("gmail"))
			require.NoError(t, err)
			require.Len(t, res.Receivers, 1)
			assert.Equal(t, tc.gmail, res.Receivers[0].Action, res.Receivers[0].Reason)
			var codes []string
			for _, f := range res.Findings {
				if f.Severity != "info" {
					codes = append(codes, string(f.Code))
				}
			}
			assert.ElementsMatch(t, tc.codes, codes)
		})
	}
}
