package attachments

import (
	"bytes"
	"context"
	"testing"
)

// FuzzScan: any byte sequence is a message; Check must not panic, must not fail (the
// reader cannot fail), and must account for every part it reports.
func FuzzScan(f *testing.F) {
	inner := zipBytes(f, zfile{name: "x.js", data: []byte("WScript.Echo(1)")})
	seeds := []string{
		"",
		"\x7fELF\x02\x01\x01\x00",
		"From alice@example.com Fri Nov 27 14:48:00 2026\r\nSubject: x\r\n\r\nhello",
		"Subject: x\r\n\r\nhello",
		message(textPart("hi"), attachment("invoice.exe", "application/octet-stream", peBytes())),
		message(attachment("a.zip", "application/zip", zipBytes(f, zfile{name: "docs/a.pdf.exe", data: peBytes()}, zfile{name: "in.zip", data: inner}))),
		message(rawAttachment("Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=iso-8859-1''r%E9sum%E9;\r\n filename*1=\".exe\"\r\n", pdfBytes)),
		message(textPart("x\r\n" + uuencode("tool.exe", peBytes()))),
		message(attachment("winmail.dat", "application/ms-tnef", tnefBytes("A~1.EXE", "a.exe", peBytes()))),
		message(attachment("b.tgz", "application/gzip", gzipBytes(f, "", tarBytes(f, zfile{name: "run.bat", data: []byte("@echo off")})))),
		message("Content-Type: message/rfc822\r\n\r\n" + message(attachment("p.vbs", "text/plain", []byte("x")))),
		"Content-Type: message/partial; id=x; number=1\r\n\r\nbody",
		message(attachment("bomb.zip", "application/zip", overlapZip(f))),
		message(attachment("big.zip", "application/zip", zip64Bytes("setup.msi", []byte("payload")))),
		message(attachment("f.7z", "application/x-7z-compressed", sevenZipEncoded(sevenZipHeader("a.txt", "go.cmd"), nil))),
		message(attachment("f.rar", "application/vnd.rar", rar5Bytes(zfile{name: "bin/setup.exe", data: peBytes()}))),
		message(attachment("i.iso", "application/octet-stream", isoImage("A.EXE", "a.exe", "B.TXT", "b.txt", []byte("x")))),
		message(attachment("d.cab", "application/vnd.ms-cab-compressed", cabBytes("a.txt", "b.cmd"))),
		message(attachment("s.7z", "application/x-7z-compressed", sevenZipAESContent("inner.zip"))),
		message(textPart("x\r\nbegin-base64 644 a.exe\r\nTVqQAAMAAAAEAAAA//8AALgA\r\n====\r\n")),
		binhexMessage("setup.exe", peBytes()),
		message(textPart("x\r\n" + binhexEncode("run.bat", "TEXT", "ttxt", []byte("@echo off"), nil))),
		message(attachment("l.tar.xz", "application/x-xz", xzBytes(f, tarBytes(f, zfile{name: "logs/run.bat", data: []byte("@echo off")})))),
		"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n" + message(attachment("p.vbs", "text/plain", []byte("x"))) + "\r\n--d--\r\n",
		"Subject: x\r\nContent-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=d\r\n\r\n--d\r\nContent-Type: application/octet-stream; name*0*=utf-8''a%E2%80%AE; name*1=\"txt.exe\"\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n" + uuencode("x", peBytes()) + "--d--\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Check(context.Background(), bytes.NewReader(data), WithReceivers("all"), WithMemory(1<<16), WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatalf("Scan failed on an in-memory message: %v", err)
		}
		if res.Bytes != int64(len(data)) {
			t.Fatalf("read %d of %d bytes", res.Bytes, len(data))
		}
		if res.NotMessage != "" {
			// Not a message: nothing to judge, and it says so.
			if len(res.Receivers) != 0 || len(res.Attachments) != 0 || len(res.Findings) != 1 || res.Findings[0].Code != "attachments.not-a-message" {
				t.Fatalf("not a message (%s), yet %d verdicts, %d attachments, findings %v", res.NotMessage, len(res.Receivers), len(res.Attachments), res.Findings)
			}
			return
		}
		if len(res.Receivers) != 4 {
			t.Fatalf("want a verdict per receiver, got %d", len(res.Receivers))
		}
		var check func(as []Attachment)
		check = func(as []Attachment) {
			for _, a := range as {
				if a.Part == "" {
					t.Fatalf("attachment without a part path: %+v", a)
				}
				if len(a.Verdicts) != 4 {
					t.Fatalf("attachment %s has %d verdicts", a.Part, len(a.Verdicts))
				}
				check(a.Contents)
			}
		}
		check(res.Attachments)
	})
}

// FuzzListZip: the zip lister must not panic on any bytes, must respect its entry
// bound, and every entry must have a name and a consistent offset.
func FuzzListZip(f *testing.F) {
	f.Add(zipBytes(f, zfile{name: "a.txt", data: []byte("hello")}, zfile{name: "dir/b.exe", data: peBytes()}))
	f.Add(overlapZip(f))
	f.Add(zip64Bytes("setup.msi", []byte("payload")))
	f.Add(encryptFlags(zipBytes(f, zfile{name: "secret.zip", data: []byte("x")})))
	f.Add(patchLocalName(zipBytes(f, zfile{name: "readme.txt", data: []byte("x")}), "readme.txt", "readme.exe"))
	f.Add(append(bytes.Repeat([]byte("junk"), 10), zipBytes(f, zfile{name: "a.cmd", data: []byte("x")})...))
	f.Add([]byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 50
		z := listZip(bytes.NewReader(data), int64(len(data)), limit)
		if len(z.entries) > limit {
			t.Fatalf("%d entries listed, limit %d", len(z.entries), limit)
		}
		for _, e := range z.entries {
			if len(e.names) == 0 {
				t.Fatalf("entry without a name: %+v", e)
			}
			if e.dataOff >= 0 && e.dataOff < e.localOff {
				t.Fatalf("data before its header: %+v", e)
			}
		}
		z.classify()
	})
}
