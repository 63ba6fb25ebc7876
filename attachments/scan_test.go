package attachments

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scan(t testing.TB, msg string, opts ...Option) Report {
	t.Helper()
	res, err := Check(context.Background(), strings.NewReader(msg), opts...)
	require.NoError(t, err)
	return res
}

func codes(res Report) []string {
	var out []string
	for _, f := range res.Findings {
		if !slices.Contains(out, string(f.Code)) {
			out = append(out, string(f.Code))
		}
	}
	return out
}

func findingsWith(res Report, code string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if string(f.Code) == code {
			out = append(out, f)
		}
	}
	return out
}

func action(res Report, receiver string) Action {
	for _, v := range res.Receivers {
		if v.Receiver == receiver {
			return v.Action
		}
	}
	return ""
}

// allNames lists every candidate name of every file, depth first.
func allNames(as []Attachment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Names...)
		out = append(out, allNames(a.Contents)...)
	}
	return out
}

func TestEveryFindingCode(t *testing.T) {
	inner := zipBytes(t, zfile{name: "x.js", data: []byte("WScript.Echo(1)")})
	tests := []struct {
		name      string
		msg       string
		opts      []Option
		code      string
		inMessage string // a fragment the finding's message must contain
	}{
		{"an .exe attachment is forbidden", message(textPart("hi"), attachment("invoice.exe", "application/octet-stream", peBytes())),
			nil, "attachments.forbidden", "2 invoice.exe"},
		{"an .exe inside a zip is forbidden in the archive, with its path", message(textPart("hi"), attachment("invoice.zip", "application/zip", zipBytes(t, zfile{name: "docs/invoice.pdf.exe", data: peBytes()}))),
			nil, "attachments.forbidden-in-archive", "2 invoice.zip → docs/invoice.pdf.exe"},
		{"a .url file is only warned about by Outlook", message(attachment("site.url", "application/octet-stream", []byte("[InternetShortcut]\r\nURL=https://example.com/\r\n"))),
			[]Option{WithReceivers("outlook")}, "attachments.warned", "Outlook"},
		{"invoice.pdf.exe is a double extension", message(attachment("invoice.pdf.exe", "application/pdf", pdfBytes)),
			nil, "attachments.double-extension", ".pdf.exe"},
		{"a right-to-left override in a name is hidden characters", message(rawAttachment("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''annexe%E2%80%AEfdp.exe\r\n", peBytes())),
			nil, "attachments.hidden-characters", "U+202E"},
		{"a statement.pdf that starts with MZ is a type mismatch", message(attachment("statement.pdf", "application/pdf", peBytes())),
			nil, "attachments.type-mismatch", "statement.pdf"},
		{"an encrypted zip cannot be inspected", message(attachment("secret.zip", "application/zip", encryptFlags(zipBytes(t, zfile{name: "a.pdf", data: pdfBytes})))),
			nil, "attachments.encrypted-archive", "1 secret.zip"},
		{"a zip inside a zip is a nested archive", message(attachment("outer.zip", "application/zip", zipBytes(t, zfile{name: "inner.zip", data: inner}))),
			nil, "attachments.nested-archive", "outer.zip → inner.zip"},
		{"archives nested deeper than the limit are an archive limit", message(attachment("d1.zip", "application/zip", nest(t, 5, zfile{name: "x.pdf", data: pdfBytes}))),
			nil, "attachments.archive-limit", "nested 4 archives deep"},
		{"a truncated zip is malformed", message(attachment("broken.zip", "application/zip", zipBytes(t, zfile{name: "a.pdf", data: pdfBytes})[:40])),
			nil, "attachments.archive-malformed", "broken.zip"},
		{"a zip whose local name differs from its central name is a name mismatch", message(attachment("m.zip", "application/zip", patchLocalName(zipBytes(t, zfile{name: "readme.txt", data: []byte("hello")}), "readme.txt", "readme.exe"))),
			nil, "attachments.name-mismatch", "local header says \"readme.exe\""},
		{"an ISO image is a disk image", message(attachment("photos.iso", "application/octet-stream", isoBytes())),
			nil, "attachments.disk-image", "disk image"},
		{"an OLE document with a VBA project is a macro document", message(attachment("budget.xls", "application/vnd.ms-excel", oleMacroBytes())),
			nil, "attachments.macro-document", "macros"},
		{"an HTML attachment with script is an HTML attachment", message(attachment("payment.html", "text/html", []byte("<html><body><script>location.href=atob('aHR0cA==')</script></body></html>"))),
			nil, "attachments.html-attachment", "smuggling"},
		{"message/partial cannot be inspected", "Subject: part 1 of 2\r\nMIME-Version: 1.0\r\nContent-Type: message/partial; id=\"abc@example.com\"; number=1; total=2\r\n\r\nbody\r\n",
			nil, "attachments.not-inspectable", "message/partial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, tt.msg, tt.opts...)
			fs := findingsWith(res, tt.code)
			require.NotEmpty(t, fs, "codes found: %v", codes(res))
			var msgs []string
			for _, f := range fs {
				msgs = append(msgs, f.Message)
			}
			assert.Contains(t, strings.Join(msgs, "\n"), tt.inMessage)
		})
	}
}

// nest wraps a file in n zips: d1.zip holds d2.zip ... holds the file.
func nest(t testing.TB, n int, f zfile) []byte {
	data := zipBytes(t, f)
	for i := n; i > 1; i-- {
		data = zipBytes(t, zfile{name: "d" + string(rune('0'+i)) + ".zip", data: data})
	}
	return data
}

func TestCleanControlsPass(t *testing.T) {
	xlsx := zipBytes(t,
		zfile{name: "[Content_Types].xml", data: []byte(`<?xml version="1.0"?><Types/>`)},
		zfile{name: "xl/workbook.xml", data: []byte(`<workbook/>`)})
	docs := zipBytes(t, zfile{name: "report.pdf", data: pdfBytes}, zfile{name: "sheet.xlsx", data: xlsx}, zfile{name: "notes/readme.txt", data: []byte("hello")})
	tests := []struct {
		name string
		msg  string
	}{
		{"a PDF", message(textPart("see attached"), attachment("report.pdf", "application/pdf", pdfBytes))},
		{"an XLSX workbook", message(attachment("figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx))},
		{"a calendar invitation", message(multipart("alternative", "alt", "", textPart("Meeting"),
			rawAttachment("Content-Type: text/calendar; method=REQUEST; charset=utf-8; name=\"invite.ics\"\r\n", icsBytes)))},
		{"inline images", message(multipart("related", "rel", "",
			"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><img src=\"cid:logo\"></body></html>",
			rawAttachment("Content-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline\r\n", pngBytes),
			rawAttachment("Content-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: inline; filename=\"photo.png\"\r\n", pngBytes)))},
		{"a zip of documents", message(attachment("documents.zip", "application/zip", docs))},
		{"names that merely contain exe or js", message(
			attachment("executive-summary.pdf", "application/pdf", pdfBytes),
			attachment("json-export.csv", "text/csv", []byte("a,b\r\n1,2\r\n")),
			attachment("nodejs guide.pdf", "application/pdf", pdfBytes),
			attachment("exe.txt", "text/plain", []byte("plain")),
			attachment("report.js.pdf", "application/pdf", pdfBytes))},
		{"a dated file name", message(attachment("minutes 06.12.2017.pdf", "application/pdf", pdfBytes))},
	}
	for _, tt := range tests {
		t.Run(tt.name+" passes every receiver", func(t *testing.T) {
			res := scan(t, tt.msg, WithReceivers("all"))
			assert.False(t, res.Rejected())
			for _, v := range res.Receivers {
				assert.Equal(t, Accept, v.Action, v.Receiver)
			}
			for _, f := range res.Findings {
				assert.Equal(t, Severity("info"), f.Severity, "%s: %s", f.Code, f.Message)
			}
			assert.NotEmpty(t, res.Attachments)
		})
	}
}

func TestCandidateNames(t *testing.T) {
	tests := []struct {
		name    string
		headers string
		want    []string
	}{
		{"RFC 2231 continuations in ISO-8859-1 are joined and decoded",
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=iso-8859-1''r%E9sum%E9;\r\n filename*1*=.e;\r\n filename*2=\"xe\"\r\n",
			[]string{"résumé.exe"}},
		{"an RFC 2047 encoded word inside a quoted parameter is decoded",
			"Content-Type: application/octet-stream; name=\"=?UTF-8?B?aW52b2ljZS5leGU=?=\"\r\n",
			[]string{"invoice.exe"}},
		{"an RFC 2047 word in ISO-8859-1 is decoded",
			"Content-Type: application/octet-stream; name=\"=?ISO-8859-1?Q?f=E4ktura.exe?=\"\r\n",
			[]string{"fäktura.exe"}},
		{"duplicated parameters are all kept",
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"doc.pdf\"; filename=\"doc.exe\"\r\n",
			[]string{"doc.pdf", "doc.exe"}},
		{"duplicated headers are all kept",
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"doc.pdf\"\r\nContent-Disposition: attachment; filename=\"doc.exe\"\r\n",
			[]string{"doc.pdf", "doc.exe"}},
		{"Content-Type name and Content-Disposition filename are both kept",
			"Content-Type: application/pdf; name=\"doc.pdf\"\r\nContent-Disposition: inline; filename=\"doc.exe\"\r\n",
			[]string{"doc.pdf", "doc.exe"}},
		{"an unquoted name with spaces survives",
			"Content-Type: application/octet-stream; name=my file.exe\r\n",
			[]string{"my file.exe"}},
		{"a missing closing quote is tolerated",
			"Content-Type: application/octet-stream; name=\"broken.exe\r\n",
			[]string{"broken.exe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, message(rawAttachment(tt.headers, peBytes())))
			require.Len(t, res.Attachments, 1)
			assert.Equal(t, tt.want, res.Attachments[0].Names)
			assert.True(t, res.Rejected(), "every candidate is checked")
		})
	}
}

func TestWindowsNameNormalisation(t *testing.T) {
	for _, n := range []string{"INVOICE.EXE", "invoice.exe.", "invoice.exe  ", "dir\\sub\\invoice.exe", "dir/invoice.exe", "invoice．ｅｘｅ", "invoice.e\u200Bxe"} {
		t.Run(n+" is an .exe", func(t *testing.T) {
			assert.Equal(t, "exe", parseName(n).ext)
		})
	}
	t.Run("a dotted date is not a double extension", func(t *testing.T) {
		n := parseName("06.12.2017.scr")
		assert.Equal(t, "scr", n.ext)
		assert.Empty(t, n.inner)
		res := scan(t, message(attachment("06.12.2017.scr", "application/octet-stream", peBytes())))
		assert.Contains(t, codes(res), "attachments.forbidden")
		assert.NotContains(t, codes(res), "attachments.double-extension")
	})
	t.Run("padding before the real extension is still a double extension", func(t *testing.T) {
		assert.Equal(t, "pdf", parseName("invoice.pdf          .exe").inner)
	})
}

func TestStructures(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		opts     []Option
		wantName string
		wantCode string
	}{
		{"an attached message is walked recursively",
			message(textPart("fwd"), "Content-Type: message/rfc822\r\n\r\n"+message(attachment("payload.vbs", "text/plain", []byte("WScript.Echo 1")))),
			nil, "payload.vbs", "attachments.forbidden"},
		{"a uuencoded file in a text body is found",
			message(textPart("see below\r\n" + uuencode("tool.exe", peBytes()) + "bye\r\n")),
			nil, "tool.exe", "attachments.forbidden"},
		{"TNEF attachment names are read",
			message(attachment("winmail.dat", "application/ms-tnef", tnefBytes("INVOIC~1.EXE", "invoice.exe", peBytes()))),
			nil, "invoice.exe", "attachments.forbidden"},
		{"a nameless part with executable content is judged by its content",
			message(textPart("hi"), rawAttachment("Content-Type: application/octet-stream\r\n", peBytes())),
			nil, "", "attachments.forbidden"},
		{"a gzip's inner name comes from its header",
			message(attachment("report.gz", "application/gzip", gzipBytes(t, "report.exe", peBytes()))),
			[]Option{WithReceivers("gmail")}, "report.exe", "attachments.forbidden-in-archive"},
		{"a tgz is listed",
			message(attachment("backup.tgz", "application/gzip", gzipBytes(t, "", tarBytes(t, zfile{name: "bin/run.bat", data: []byte("@echo off")})))),
			nil, "bin/run.bat", "attachments.forbidden-in-archive"},
		{"a bz2's inner name comes from the outer name",
			message(attachment("script.js.bz2", "application/x-bzip2", []byte("BZh91AY&SY not really compressed"))),
			nil, "script.js", "attachments.forbidden-in-archive"},
		{"a Zip64 archive is listed",
			message(attachment("big.zip", "application/zip", zip64Bytes("setup.msi", []byte("payload")))),
			[]Option{WithReceivers("gmail")}, "setup.msi", "attachments.forbidden-in-archive"},
		{"a zip behind prefixed data is still listed",
			message(attachment("hidden.zip", "application/zip", append(bytes.Repeat([]byte("junk"), 100), zipBytes(t, zfile{name: "a.cmd", data: []byte("echo")})...))),
			nil, "a.cmd", "attachments.archive-malformed"},
		{"an encrypted zip's entry names are still checked",
			message(attachment("locked.zip", "application/zip", encryptFlags(zipBytes(t, zfile{name: "run.exe", data: peBytes()})))),
			nil, "run.exe", "attachments.forbidden-in-archive"},
		{"an encrypted zip holding a zip is rejected by Gmail",
			message(attachment("locked.zip", "application/zip", encryptFlags(zipBytes(t, zfile{name: "inner.zip", data: zipBytes(t, zfile{name: "a.pdf", data: pdfBytes})})))),
			[]Option{WithReceivers("gmail")}, "inner.zip", "attachments.forbidden-in-archive"},
		{"overlapping zip entries are detected",
			message(attachment("bomb.zip", "application/zip", overlapZip(t))),
			nil, "a.txt", "attachments.archive-malformed"},
		{"a user-blocked extension is rejected",
			message(attachment("notes.xyz", "application/octet-stream", []byte("x"))),
			[]Option{WithBlocked(".XYZ")}, "notes.xyz", "attachments.forbidden"},
		{"a zip member with a CP437 name is decoded",
			message(attachment("cp.zip", "application/zip", patchAll(zipBytes(t, zfile{name: "r\x82sum\x82.exe", data: peBytes()}), "", ""))),
			nil, "résumé.exe", "attachments.forbidden-in-archive"},
		{"a multipart/encrypted body cannot be inspected",
			multipart("encrypted", "enc", "Subject: x\r\n", "Content-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n", "Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n"),
			nil, "", "attachments.not-inspectable"},
		{"an S/MIME enveloped body cannot be inspected",
			"Subject: x\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n",
			nil, "", "attachments.not-inspectable"},
		{"a ratio bomb in a nested zip is stopped",
			message(attachment("z.zip", "application/zip", zipBytes(t, zfile{name: "inner.zip", data: zipBytes(t, zfile{name: "zeros.bin", data: make([]byte, 4<<20), raw: true})}))),
			[]Option{WithLimits(Limits{Ratio: 10})}, "inner.zip", "attachments.archive-limit"},
		{"too many entries is an archive limit",
			message(attachment("many.zip", "application/zip", zipBytes(t, zfile{name: "1.txt"}, zfile{name: "2.txt"}, zfile{name: "3.txt"}, zfile{name: "4.txt"}))),
			[]Option{WithLimits(Limits{Entries: 2})}, "1.txt", "attachments.archive-limit"},
		{"a zip with a long comment is listed",
			message(attachment("commented.zip", "application/zip", withComment(zipBytes(t, zfile{name: "go.bat", data: []byte("echo")}), 60000))),
			nil, "go.bat", "attachments.forbidden-in-archive"},
		{"a nested archive over the byte limit is an archive limit",
			message(attachment("z.zip", "application/zip", zipBytes(t, zfile{name: "inner.zip", data: zipBytes(t, zfile{name: "big.bin", data: bytes.Repeat([]byte("ab"), 1<<20), raw: true}), raw: true}))),
			[]Option{WithLimits(Limits{NestedBytes: 1 << 20})}, "inner.zip", "attachments.archive-limit"},
		{"an exhausted time budget is an archive limit",
			message(attachment("z.zip", "application/zip", zipBytes(t, zfile{name: "a.txt", data: []byte("x")}))),
			[]Option{WithLimits(Limits{Time: time.Nanosecond})}, "", "attachments.archive-limit"},
		{"an x-uuencode transfer encoding is decoded",
			message("Content-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n" + uuencode("data.bin", peBytes())),
			[]Option{WithReceivers("gmail")}, "data.bin", "attachments.forbidden"},
		{"content after the closing boundary is still scanned",
			message(textPart("hi")) + uuencode("late.exe", peBytes()),
			nil, "late.exe", "attachments.forbidden"},
		{"a multipart body behind a duplicated text/plain Content-Type is still walked",
			"Subject: x\r\nContent-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=\"dup\"\r\n\r\n--dup\r\n" + attachment("hidden.exe", "application/octet-stream", peBytes()) + "\r\n--dup--\r\n",
			nil, "hidden.exe", "attachments.forbidden"},
		{"a docm is a macro document by content",
			message(attachment("report.docx", "application/octet-stream", zipBytes(t, zfile{name: "[Content_Types].xml", data: []byte("<Types/>")}, zfile{name: "word/vbaProject.bin", data: []byte("x")}))),
			[]Option{WithReceivers("microsoft")}, "report.docx", "attachments.macro-document"},
		{"a shortcut is found by content",
			message(attachment("photo.jpg", "image/jpeg", lnkBytes())),
			[]Option{WithReceivers("microsoft")}, "photo.jpg", "attachments.type-mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, tt.msg, tt.opts...)
			if tt.wantName != "" {
				assert.Contains(t, allNames(res.Attachments), tt.wantName)
			}
			assert.Contains(t, codes(res), tt.wantCode)
		})
	}
}

func TestPartPaths(t *testing.T) {
	msg := message(textPart("hi"), multipart("mixed", "in", "", textPart("x"), attachment("a.pdf", "application/pdf", pdfBytes)),
		"Content-Type: message/rfc822\r\n\r\n"+message(textPart("y"), attachment("b.exe", "application/octet-stream", peBytes())))
	res := scan(t, msg)
	var parts []string
	for _, a := range res.Attachments {
		parts = append(parts, a.Part+" "+a.Names[0])
	}
	assert.Equal(t, []string{"2/2 a.pdf", "3/2 b.exe"}, parts)
}

func TestUnknownReceiverIsAnError(t *testing.T) {
	_, err := Check(context.Background(), strings.NewReader("Subject: x\r\n\r\nhi"), WithReceivers("yahoo"))
	require.ErrorIs(t, err, ErrUnknownReceiver)
}

// withComment appends an archive comment of n bytes (the end record's comment length).
func withComment(z []byte, n int) []byte {
	out := bytes.Clone(z)
	end := bytes.LastIndex(out, []byte(sigEnd))
	out[end+20], out[end+21] = byte(n), byte(n>>8)
	return append(out, bytes.Repeat([]byte("c"), n)...)
}

func TestHostileHeadersStayCheap(t *testing.T) {
	params := strings.Repeat("; name=\"a.pdf\"; filename*0=x; name*=utf-8''b.pdf", 20000)
	msg := message(rawAttachment("Content-Type: application/octet-stream"+params+"\r\nContent-Disposition: attachment"+params+"\r\n", pdfBytes))
	start := time.Now()
	res := scan(t, msg)
	assert.Less(t, time.Since(start), 10*time.Second)
	require.Len(t, res.Attachments, 1)
	assert.LessOrEqual(t, len(res.Attachments[0].Names), maxNames)
}

func TestHostileStructuresAreBounded(t *testing.T) {
	t.Run("multiparts nested 500 deep stop at the depth limit", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Subject: deep\r\n")
		for i := range 500 {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: application/octet-stream; name=\"deep.exe\"\r\n\r\nMZ\r\n")
		res := scan(t, b.String())
		assert.Contains(t, codes(res), "attachments.not-inspectable")
	})
	t.Run("20,000 parts stop at the part limit", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Subject: wide\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n\r\n")
		for range 20000 {
			b.WriteString("--w\r\nContent-Type: text/plain\r\n\r\nx\r\n")
		}
		b.WriteString("--w--\r\n")
		res := scan(t, b.String())
		assert.Contains(t, codes(res), "attachments.not-inspectable")
		assert.Equal(t, int64(b.Len()), res.Bytes, "the rest of the message is still read")
	})
}

func TestCancelledScanIsAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Check(ctx, strings.NewReader(message(attachment("a.pdf", "application/pdf", pdfBytes))))
	require.ErrorIs(t, err, context.Canceled)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }

func TestReadErrorIsAnError(t *testing.T) {
	_, err := Check(context.Background(), failingReader{})
	require.ErrorIs(t, err, ErrRead)
}

func TestFoldedHeadersAreReadWhole(t *testing.T) {
	t.Run("a field folded over 200,000 lines is unfolded and still judged", func(t *testing.T) {
		// The name is split across folds only between parameters, as RFC 5322 §2.2.3
		// allows; the value is then read whole.
		folds := strings.Repeat("\r\n ;", 200000)
		msg := message(rawAttachment("Content-Type: application/octet-stream"+folds+" name=\"invoice.exe\"\r\nContent-Disposition: attachment;"+folds+" filename=\"invoice.exe\"\r\n", pdfBytes))
		res := scan(t, msg)
		require.Len(t, res.Attachments, 1)
		assert.Contains(t, res.Attachments[0].Names, "invoice.exe")
		assert.True(t, res.Rejected())
	})
}

func TestDeadlineIsAnIncompleteFinding(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	res, err := Check(ctx, strings.NewReader(message(attachment("a.pdf", "application/pdf", pdfBytes))))
	require.NoError(t, err, "a deadline is reported, not an error")
	require.Equal(t, []string{"attachments.archive-limit"}, codes(res))
	assert.True(t, res.Findings[0].Incomplete)
	assert.Contains(t, res.Findings[0].Message, "the time limit was reached")
}

func TestInputThatIsNotAMessage(t *testing.T) {
	tests := []struct{ name, in, why string }{
		{"empty input", "", "it is empty"},
		{"an ELF header", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00\r\nName: x\r\n", "is not a header field"},
		{"a zip file", string(zipBytes(t, zfile{name: "a.exe", data: peBytes()})), "is not a header field"},
		{"blank lines first", "\r\nSubject: x\r\n", "it has no header fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, tt.in)
			assert.Contains(t, res.NotMessage, tt.why)
			assert.Equal(t, []string{"attachments.not-a-message"}, codes(res))
			assert.Empty(t, res.Receivers, "no receiver verdict on what is not a message")
			assert.Equal(t, int64(len(tt.in)), res.Bytes)
		})
	}
	t.Run("an mbox From line before the header is a message", func(t *testing.T) {
		res := scan(t, "From alice@example.com Fri Nov 27 14:48:00 2026\r\n"+message(attachment("a.exe", "application/octet-stream", peBytes())))
		assert.Empty(t, res.NotMessage)
		assert.True(t, res.Rejected())
	})
}
