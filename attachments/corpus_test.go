package attachments

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/attachments from the generators")

const corpusDir = "../testdata/attachments"

// corpusCase is one generated message of testdata/attachments, with the finding codes
// a scan at every receiver must report (nil: a clean control, no warning at all).
type corpusCase struct {
	file  string
	msg   string
	codes []string
}

// corpus generates the message files. It is the single source of testdata/attachments:
// run `go test ./attachments -run TestCorpus -update` after changing it.
func corpus(t testing.TB) []corpusCase {
	boundaries = 0 // fixed boundaries: the files must come out byte for byte the same
	inner := zipBytes(t, zfile{name: "x.js", data: []byte("WScript.Echo(1)")})
	xlsx := zipBytes(t, zfile{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types/>`)}, zfile{name: "xl/workbook.xml", data: []byte(`<workbook/>`)})
	return []corpusCase{
		{"exe-attachment.eml", message(textPart("hi"), attachment("invoice.exe", "application/octet-stream", peBytes())),
			[]string{"attachments.forbidden"}},
		{"zip-with-double-extension.eml", message(textPart("hi"), attachment("invoice.zip", "application/zip", zipBytes(t, zfile{name: "docs/invoice.pdf.exe", data: peBytes()}))),
			[]string{"attachments.forbidden-in-archive", "attachments.double-extension"}},
		{"outlook-url.eml", message(attachment("site.url", "application/octet-stream", []byte("[InternetShortcut]\r\nURL=https://example.com/\r\n"))),
			[]string{"attachments.warned"}},
		{"rtlo-name.eml", message(rawAttachment("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''annexe%E2%80%AEfdp.exe\r\n", peBytes())),
			[]string{"attachments.forbidden", "attachments.hidden-characters"}},
		{"pdf-that-is-exe.eml", message(attachment("statement.pdf", "application/pdf", peBytes())),
			[]string{"attachments.forbidden", "attachments.type-mismatch"}},
		{"encrypted-zip-with-zip.eml", message(attachment("secret.zip", "application/zip", encryptFlags(zipBytes(t, zfile{name: "inner.zip", data: inner})))),
			[]string{"attachments.forbidden-in-archive", "attachments.encrypted-archive", "attachments.nested-archive"}},
		{"nested-zips.eml", message(attachment("d1.zip", "application/zip", nest(t, 5, zfile{name: "x.pdf", data: pdfBytes}))),
			[]string{"attachments.nested-archive", "attachments.archive-limit"}},
		{"truncated-zip.eml", message(attachment("broken.zip", "application/zip", zipBytes(t, zfile{name: "a.pdf", data: pdfBytes})[:40])),
			[]string{"attachments.archive-malformed"}},
		{"zip-local-name-differs.eml", message(attachment("m.zip", "application/zip", patchLocalName(zipBytes(t, zfile{name: "readme.txt", data: []byte("hello")}), "readme.txt", "readme.exe"))),
			[]string{"attachments.forbidden-in-archive", "attachments.name-mismatch"}},
		{"header-names-differ.eml", message(rawAttachment("Content-Type: application/pdf; name=\"doc.pdf\"\r\nContent-Disposition: attachment; filename=\"doc.exe\"\r\n", pdfBytes)),
			[]string{"attachments.forbidden", "attachments.name-mismatch"}},
		{"iso-image.eml", message(attachment("photos.iso", "application/octet-stream", isoBytes())),
			[]string{"attachments.forbidden", "attachments.disk-image"}},
		{"macro-workbook.eml", message(attachment("budget.xls", "application/vnd.ms-excel", oleMacroBytes())),
			[]string{"attachments.macro-document"}},
		{"html-smuggling.eml", message(attachment("payment.html", "text/html", []byte("<html><body><script>location.href=atob('aHR0cA==')</script></body></html>"))),
			[]string{"attachments.html-attachment"}},
		{"message-partial.eml", "Subject: part 1 of 2\r\nMIME-Version: 1.0\r\nContent-Type: message/partial; id=\"abc@example.com\"; number=1; total=2\r\n\r\nbody\r\n",
			[]string{"attachments.not-inspectable"}},
		{"overlapping-zip.eml", message(attachment("bomb.zip", "application/zip", overlapZip(t))),
			[]string{"attachments.archive-malformed"}},
		{"rfc2231-latin1.eml", message(rawAttachment("Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=iso-8859-1''r%E9sum%E9;\r\n filename*1*=.e;\r\n filename*2=\"xe\"\r\n", peBytes())),
			[]string{"attachments.forbidden"}},
		{"rfc2047-in-quotes.eml", message(rawAttachment("Content-Type: application/octet-stream; name=\"=?UTF-8?B?aW52b2ljZS5leGU=?=\"\r\n", peBytes())),
			[]string{"attachments.forbidden"}},
		{"forwarded-message.eml", message(textPart("fwd"), "Content-Type: message/rfc822\r\n\r\n"+message(attachment("payload.vbs", "text/plain", []byte("WScript.Echo 1")))),
			[]string{"attachments.forbidden"}},
		{"uuencoded.eml", message(textPart("see below\r\n" + uuencode("tool.exe", peBytes()) + "bye\r\n")),
			[]string{"attachments.forbidden"}},
		{"winmail-dat.eml", message(attachment("winmail.dat", "application/ms-tnef", tnefBytes("INVOIC~1.EXE", "invoice.exe", peBytes()))),
			[]string{"attachments.forbidden"}},
		{"tgz-with-bat.eml", message(attachment("backup.tgz", "application/gzip", gzipBytes(t, "", tarBytes(t, zfile{name: "bin/run.bat", data: []byte("@echo off")})))),
			[]string{"attachments.forbidden-in-archive"}},
		{"rar-with-exe.eml", message(attachment("files.rar", "application/vnd.rar", rar5Bytes(zfile{name: "bin/setup.exe", data: peBytes()}))),
			[]string{"attachments.forbidden-in-archive"}},
		{"7z-with-vbs.eml", message(attachment("files.7z", "application/x-7z-compressed", sevenZipEncoded(sevenZipHeader("notes.txt", "run.vbs"), nil))),
			[]string{"attachments.forbidden-in-archive"}},
		{"clean-pdf.eml", message(textPart("see attached"), attachment("report.pdf", "application/pdf", pdfBytes)), nil},
		{"clean-xlsx.eml", message(attachment("figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx)), nil},
		{"clean-invitation.eml", message(multipart("alternative", "alt", "", textPart("Meeting"),
			rawAttachment("Content-Type: text/calendar; method=REQUEST; charset=utf-8; name=\"invite.ics\"\r\n", icsBytes))), nil},
		{"clean-inline-images.eml", message(multipart("related", "rel", "",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><img src=\"cid:logo\"></body></html>",
			rawAttachment("Content-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline\r\n", pngBytes))), nil},
		{"clean-zip-of-documents.eml", message(attachment("documents.zip", "application/zip", zipBytes(t, zfile{name: "report.pdf", data: pdfBytes}, zfile{name: "sheet.xlsx", data: xlsx}))), nil},
		{"clean-names-with-exe-and-js.eml", message(
			attachment("executive-summary.pdf", "application/pdf", pdfBytes),
			attachment("json-export.csv", "text/csv", []byte("a,b\r\n1,2\r\n")),
			attachment("minutes 06.12.2017.pdf", "application/pdf", pdfBytes)), nil},
	}
}

// TestCorpus checks that testdata/attachments is what the generators make, and that
// scanning each file at every receiver reports exactly the expected codes.
func TestCorpus(t *testing.T) {
	cases := corpus(t)
	if *update {
		require.NoError(t, os.MkdirAll(corpusDir, 0o755))
		for _, c := range cases {
			require.NoError(t, os.WriteFile(filepath.Join(corpusDir, c.file), []byte(c.msg), 0o644))
		}
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.file+" reports what it should", func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir, c.file))
			require.NoError(t, err, "run go test ./attachments -run TestCorpus -update")
			assert.Equal(t, c.msg, string(data), "the file is stale; run go test ./attachments -run TestCorpus -update")
			f, err := os.Open(filepath.Join(corpusDir, c.file))
			require.NoError(t, err)
			defer f.Close()
			res, err := Check(context.Background(), f, WithReceivers("all"))
			require.NoError(t, err)
			var got []string
			for _, f := range res.Findings {
				if f.Severity != "info" && !slices.Contains(got, string(f.Code)) {
					got = append(got, string(f.Code))
				}
			}
			sort.Strings(got)
			want := slices.Clone(c.codes)
			sort.Strings(want)
			assert.Equal(t, want, got)
			for _, code := range got {
				seen[code] = true
			}
		})
	}
	t.Run("every finding code has a message in the corpus", func(t *testing.T) {
		for _, code := range allCodes {
			assert.True(t, seen[code], code)
		}
	})
}

// allCodes are the stable finding codes of this package.
var allCodes = []string{
	"attachments.forbidden", "attachments.forbidden-in-archive", "attachments.warned",
	"attachments.double-extension", "attachments.hidden-characters", "attachments.type-mismatch",
	"attachments.encrypted-archive", "attachments.nested-archive", "attachments.archive-limit",
	"attachments.archive-malformed", "attachments.name-mismatch", "attachments.disk-image",
	"attachments.macro-document", "attachments.html-attachment", "attachments.not-inspectable",
}
