package attachments

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// independentDir holds messages made by tools that are not this package's generators
// (Python's email/zipfile/tarfile/gzip/bz2/lzma, zip, 7z, genisoimage, gcab, uuencode):
// see its README.md and generate.py. Our own generator and our parser could share blind
// spots; these files cannot.
const independentDir = "../testdata/attachments/independent"

// independentCase is the expected outcome for one file, derived from issue 6's rules and
// the receivers' published lists (policy.go), not from what Check happens to return.
type independentCase struct {
	file       string
	infomaniak Action
	gmail      Action
	// codes are exactly the warning and error codes a scan for infomaniak and gmail
	// reports.
	codes []string
	// name, when set, must be one of the decoded candidate names of some file: it
	// proves the header or archive encoding was read right.
	name string
}

const (
	forbidden   = "attachments.forbidden"
	inArchive   = "attachments.forbidden-in-archive"
	doubleExt   = "attachments.double-extension"
	hiddenChars = "attachments.hidden-characters"
	encrypted   = "attachments.encrypted-archive"
	nestedArc   = "attachments.nested-archive"
	diskImage   = "attachments.disk-image"
	htmlScript  = "attachments.html-attachment"
)

var independentCases = []independentCase{
	// Forbidden files attached directly, named the way each email policy writes them.
	{"direct-exe-default-policy.eml", Reject, Reject, []string{forbidden}, "setup.exe"},
	{"direct-js-uppercase-smtp-policy.eml", Reject, Reject, []string{forbidden}, "INVOICE.JS"},
	{"direct-cmd-mixed-case-smtp-policy.eml", Reject, Reject, []string{forbidden}, "Start.CmD"},
	// Windows drops trailing dots and spaces when it saves a file.
	{"direct-bat-trailing-dot-compat32.eml", Reject, Reject, []string{forbidden}, "run.bat."},
	{"direct-scr-trailing-space.eml", Reject, Reject, []string{forbidden}, "holiday photo.scr "},
	// RFC 2231 §4: charset'language'percent-encoded; §3: continuations.
	{"rfc2231-utf8-exe.eml", Reject, Reject, []string{forbidden}, "Rechnung März 2024.exe"},
	{"rfc2231-latin1-vbs-compat32.eml", Reject, Reject, []string{forbidden}, "résumé.vbs"},
	{"rfc2231-long-continuation-pif.eml", Reject, Reject, []string{forbidden},
		"Überweisungsbestätigung für das Quartal " + strings.Repeat("é", 60) + " final.pif"},
	// RFC 2047 encoded word inside a quoted parameter (RFC 2047 §5 forbids it; mailers
	// write it anyway and receivers decode it).
	{"rfc2047-lnk-compat32.eml", Reject, Reject, []string{forbidden}, "facture-électricité.lnk"},
	{"double-extension-pdf-exe.eml", Reject, Reject, []string{forbidden, doubleExt}, "invoice.pdf.exe"},
	{"bidi-rtlo-exe.eml", Reject, Reject, []string{forbidden, hiddenChars}, "annexe\u202efdp.exe"},
	{"bidi-rtlo-real-pdf.eml", Accept, Accept, []string{hiddenChars}, "report\u202etxt.pdf"},
	{"lnk-by-name.eml", Reject, Reject, []string{forbidden}, "Documents.lnk"},
	// An HTA is HTML with script that Windows runs: listed, and the smuggling shape.
	{"hta-direct.eml", Reject, Reject, []string{forbidden, htmlScript}, "update.hta"},
	// Disk images and cabinets: .iso/.img/.cab are on Gmail's list, not Infomaniak's; an
	// .exe inside one is a file inside a container for both.
	{"iso-genisoimage.eml", Accept, Reject, []string{forbidden, diskImage}, "readme.txt"},
	{"iso-with-exe-named-img.eml", Reject, Reject, []string{forbidden, inArchive, diskImage}, "setup.exe"},
	{"cab-gcab-with-exe.eml", Reject, Reject, []string{forbidden, inArchive}, "setup.exe"},
	// Zip archives from zipfile and the zip CLI.
	{"zip-deflated-exe.eml", Reject, Reject, []string{inArchive}, "tools/setup.exe"},
	{"zip-cp437-name-scr.eml", Reject, Reject, []string{inArchive}, "Übersicht.scr"},
	{"zip-utf8-flag-js.eml", Reject, Reject, []string{inArchive}, "отчёт.js"},
	{"zip64-forced-vbs.eml", Reject, Reject, []string{inArchive}, "payload.vbs"},
	{"zip-double-extension-jpg-scr.eml", Reject, Reject, []string{inArchive, doubleExt}, "scan.jpg.scr"},
	{"zip-cli-stored-bat.eml", Reject, Reject, []string{inArchive}, "run.bat"},
	// Encrypted zip entries still have readable names.
	{"zip-cli-encrypted-exe.eml", Reject, Reject, []string{inArchive, encrypted}, "invoice.exe"},
	// Gmail rejects a password-protected archive that contains an archive.
	{"zip-cli-encrypted-holding-zip.eml", Accept, Reject, []string{inArchive, encrypted, nestedArc}, "inner.zip"},
	// Nesting within the default depth limit (3 levels below the attachment) is opened.
	{"nested-zip-1-deep-js.eml", Reject, Reject, []string{inArchive}, "x.js"},
	{"nested-zip-2-deep-js.eml", Reject, Reject, []string{inArchive, nestedArc}, "x.js"},
	{"nested-zip-3-deep-js.eml", Reject, Reject, []string{inArchive, nestedArc}, "x.js"},
	// Four archives deep is past the default limit (3 archives, the attachment being the
	// first): the innermost zip is not opened, which must be a finding, never a silent
	// pass (issue 6: "Exceeding a limit is itself a finding").
	{"nested-zip-4-deep-js.eml", Accept, Accept, []string{"attachments.archive-limit", nestedArc}, "inner3.zip"},
	// tar, gzip, bzip2, xz.
	{"targz-with-zip-with-cmd.eml", Reject, Reject, []string{inArchive, nestedArc}, "start.cmd"},
	{"targz-hta.eml", Reject, Reject, []string{inArchive}, "app/help.hta"},
	{"tarbz2-wsf.eml", Reject, Reject, []string{inArchive}, "job.wsf"},
	// RFC 1952 §2.3.1: FNAME is the original file name.
	{"gzip-fname-exe.eml", Reject, Reject, []string{inArchive}, "payload.exe"},
	{"bzip2-outer-name-js.eml", Reject, Reject, []string{inArchive}, "script.js"},
	{"xz-outer-name-exe.eml", Reject, Reject, []string{inArchive}, "tool.exe"},
	// 7z from p7zip.
	{"7z-vbs.eml", Reject, Reject, []string{inArchive}, "run.vbs"},
	{"7z-with-zip-with-vbe.eml", Reject, Reject, []string{inArchive, nestedArc}, "macro.vbe"},
	{"7z-encrypted-data-exe.eml", Reject, Reject, []string{inArchive, encrypted}, "setup.exe"},
	// -mhe=on encrypts the names too: nothing can be checked, which must be said (a
	// warning), never a clean pass; no receiver can name a listed extension.
	{"7z-encrypted-headers.eml", Accept, Accept, []string{encrypted}, "secure.7z"},
	// Forwarded mail and uuencode.
	{"forwarded-rfc822-scr.eml", Reject, Reject, []string{forbidden}, "screensaver.scr"},
	{"uuencode-cli-exe.eml", Reject, Reject, []string{forbidden}, "update.exe"},
	// More header forms: raw UTF-8 (RFC 6532), ASCII continuations, a language tag,
	// several adjacent encoded words (RFC 2047 §6.2: the space between them is dropped),
	// an ISO-8859-1 encoded word in Content-Type name only, inline disposition, a
	// Windows path (quoted-pair backslashes, RFC 5322 §3.2.4), a zero-width space.
	{"smtputf8-raw-utf8-name-exe.eml", Reject, Reject, []string{forbidden}, "Счёт-фактура.exe"},
	{"rfc2231-ascii-continuation-long-js.eml", Reject, Reject, []string{forbidden},
		"quarterly-financial-statement-" + strings.Repeat("x", 80) + "-final-version.js"},
	{"rfc2231-language-tag-exe.eml", Reject, Reject, []string{forbidden}, "update.exe"},
	{"rfc2047-multiple-encoded-words-scr.eml", Reject, Reject, []string{forbidden},
		"Überweisung-Bestätigung-Zahlungsaufforderung-" + strings.Repeat("ä", 20) + ".scr"},
	{"rfc2047-latin1-name-only-bat.eml", Reject, Reject, []string{forbidden}, "commande-numéro.bat"},
	{"inline-disposition-exe.eml", Reject, Reject, []string{forbidden}, "viewer.exe"},
	{"backslash-path-js.eml", Reject, Reject, []string{forbidden}, `C:\Users\alice\Desktop\run.js`},
	{"zero-width-space-exe.eml", Reject, Reject, []string{forbidden, hiddenChars}, "invoice\u200b.exe"},
	// More zip shapes: data descriptors (APPNOTE 4.3.9), a 65,535-byte comment, the zip
	// CLI's own Zip64 (-fz), WinZip AES entries written by 7z (method 99, names in the
	// clear), a bidi override inside an entry name.
	{"zip-data-descriptor-exe.eml", Reject, Reject, []string{inArchive}, "stream/setup.exe"},
	{"zip-long-comment-js.eml", Reject, Reject, []string{inArchive}, "readme.JS"},
	{"zip-cli-zip64-cpl.eml", Reject, Reject, []string{inArchive}, "tool.cpl"},
	{"zip-aes-7z-exe.eml", Reject, Reject, []string{inArchive, encrypted}, "invoice.exe"},
	{"zip-bidi-name-exe.eml", Reject, Reject, []string{inArchive, hiddenChars}, "photo\u202egpj.exe"},
	// tar long names: PAX "path" records and GNU ././@LongLink entries.
	{"tar-pax-long-name-vbs.eml", Reject, Reject, []string{inArchive}, longTarDir + "start.vbs"},
	{"tar-gnu-long-name-vbs.eml", Reject, Reject, []string{inArchive}, longTarDir + "start.vbs"},
	// A gzip without FNAME: the inner name is the outer name less .gz.
	{"gzip-no-fname-outer-name-exe.eml", Reject, Reject, []string{inArchive}, "report.exe"},
	// uuencode -m writes "begin-base64 644 name" (POSIX uuencode).
	{"uuencode-base64-cli-exe.eml", Reject, Reject, []string{forbidden}, "patch.exe"},
	{"forwarded-twice-js.eml", Reject, Reject, []string{forbidden}, "tracking.js"},
	{"clean-forwarded-pdf.eml", Accept, Accept, nil, "com.example.report.pdf"},
	{"clean-listed-words-in-names.eml", Accept, Accept, nil, "scr.bat.pdf"},
	// Quoted-pair escapes in a quoted filename (RFC 2045 §5.1 / RFC 5322 §3.2.4).
	{"quotes-and-semicolon-name-exe.eml", Reject, Reject, []string{forbidden}, `pay "now"; invoice.exe`},
	{"rfc2231-content-type-name-only-com.eml", Reject, Reject, []string{forbidden}, "Lieferschein-Nr-4711.com"},
	{"forwarded-rfc822-base64-wsf.eml", Reject, Reject, []string{forbidden}, "payload.wsf"},
	// Issue 6: "a part with no name but executable content is checked by its content".
	{"nameless-pe-octet-stream.eml", Reject, Reject, []string{forbidden}, ""},
	{"quoted-printable-exe.eml", Reject, Reject, []string{forbidden}, "qp-setup.exe"},
	{"zip-backslash-name-bat.eml", Reject, Reject, []string{inArchive}, `bin\run.bat`},
	{"zip-trailing-space-name-vbs.eml", Reject, Reject, []string{inArchive}, "run.vbs "},
	// A gzip whose content is a tar, whatever its name (the scanner peeks for ustar).
	{"gzip-holding-tar-exe.eml", Reject, Reject, []string{inArchive}, "tools/setup.exe"},
	// Infomaniak and Gmail look inside compressed files; an xz-compressed tar is one.
	{"tarxz-bat.eml", Reject, Reject, []string{inArchive}, "logs/cleanup.bat"},
	// A 7z empty file has no stream (7zFormat.txt: kEmptyStream) but has a name.
	{"7z-empty-bat.eml", Reject, Reject, []string{inArchive}, "run.bat"},
	{"7z-encrypted-holding-zip.eml", Accept, Reject, []string{inArchive, encrypted, nestedArc}, "inner.zip"},
	// Types only Gmail lists.
	{"jar-gmail-only.eml", Accept, Reject, []string{forbidden}, "app.jar"},
	{"ps1-gmail-only.eml", Accept, Reject, []string{forbidden}, "setup.ps1"},
	{"docm-macro.eml", Accept, Accept, []string{"attachments.macro-document"}, "contract.docm"},
	{"multipart-signed-wsc.eml", Reject, Reject, []string{forbidden}, "task.wsc"},
	// S/MIME enveloped data (RFC 8551 §3.3): the content cannot be inspected.
	{"smime-enveloped.eml", Accept, Accept, []string{"attachments.not-inspectable"}, "smime.p7m"},
	// Encoded words in East Asian and Cyrillic charsets, as Python writes them (its
	// codec names big5_tw and eucgb2312_cn included: mailers decode such aliases).
	{"rfc2047-iso-2022-jp-name.eml", Reject, Reject, []string{forbidden}, "請求書.exe"},
	{"rfc2047-gb2312-name.eml", Reject, Reject, []string{forbidden}, "发票.scr"},
	{"rfc2047-big5-name.eml", Reject, Reject, []string{forbidden}, "發票.bat"},
	{"rfc2047-windows-1251-name.eml", Reject, Reject, []string{forbidden}, "счёт.js"},
	{"rfc2231-shift-jis-pif.eml", Reject, Reject, []string{forbidden}, "見積書.pif"},
	// RFC 2046 §5.1.5: a digest part without headers is message/rfc822.
	{"digest-default-rfc822-vbe.eml", Reject, Reject, []string{forbidden}, "digest-item.vbe"},
	{"html-with-script.eml", Accept, Accept, []string{htmlScript}, "invoice.htm"},
	{"svg-with-script.eml", Accept, Accept, []string{htmlScript}, "logo.svg"},
	{"double-extension-pdf-lnk.eml", Reject, Reject, []string{forbidden, doubleExt}, "Invoice.pdf.lnk"},
	{"zip-cli-utf8-name-exe.eml", Reject, Reject, []string{inArchive}, "Rechnung_März.exe"},
	{"zip-path-traversal-bat.eml", Reject, Reject, []string{inArchive}, "../../Startup/run.bat"},
	{"clean-odt.eml", Accept, Accept, nil, "Protokoll.odt"},
	// Archives inside compressed files and containers inside zips: each is opened
	// (issue 6: nested archives are decompressed, under the limits) and is an archive
	// inside an archive.
	{"zip-in-gzip-exe.eml", Reject, Reject, []string{inArchive, nestedArc}, "setup.exe"},
	{"zip-in-bzip2-js.eml", Reject, Reject, []string{inArchive, nestedArc}, "run.js"},
	{"cab-in-zip-exe.eml", Reject, Reject, []string{inArchive, nestedArc}, "setup.exe"},
	{"iso-in-zip-exe.eml", Reject, Reject, []string{inArchive, nestedArc, diskImage}, "setup.exe"},
	// An encrypted-header 7z inside a zip: still not a clean pass.
	{"encrypted-headers-7z-in-zip.eml", Accept, Accept, []string{encrypted, nestedArc}, "secret.7z"},
	// Issue 6: duplicated headers: every candidate is checked and the finding lists them.
	{"duplicate-disposition-exe.eml", Reject, Reject, []string{forbidden, "attachments.name-mismatch"}, "document.exe"},
	// A zip renamed data.bin inside a zip: its first bytes say zip, so it is opened as
	// the nested archive it is (receivers that sniff do the same) and run.js is seen.
	{"zip-in-zip-named-bin.eml", Reject, Reject, []string{inArchive, nestedArc}, "data.bin"},
	// A PE named statement.pdf inside a zip: Gmail judges by the true type and rejects
	// it; Infomaniak matches names only and accepts it.
	{"zip-pe-named-pdf.eml", Accept, Reject, []string{inArchive, "attachments.type-mismatch"}, "statement.pdf"},
	// Clean controls: every receiver accepts them, with no warning.
	{"clean-pdf.eml", Accept, Accept, nil, "exercise.pdf"},
	{"clean-docx.eml", Accept, Accept, nil, "Executive Summary.docx"},
	{"clean-xlsx.eml", Accept, Accept, nil, "figures 06.12.2017.xlsx"},
	{"clean-text-names.eml", Accept, Accept, nil, "jsmith-notes.txt"},
	{"clean-ics-invite.eml", Accept, Accept, nil, "invite.ics"},
	{"clean-inline-png-related.eml", Accept, Accept, nil, "logo.png"},
	{"clean-zip-of-pdfs.eml", Accept, Accept, nil, "exe-summary.pdf"},
	{"clean-latin1-name-compat32.eml", Accept, Accept, nil, "Résumé José.pdf"},
	{"clean-targz-of-documents.eml", Accept, Accept, nil, "docs/report.pdf"},
}

// longTarDir is the 130-byte directory of the tar long-name cases.
const longTarDir = "Projekte/Unterordner-Unterordner-Unterordner-Unterordner-Unterordner-Unterordner-Unterordner-Unterordner-Unterordner-Ä/"

// TestIndependentCorpus scans every file of the independent corpus and checks each
// receiver's verdict, the finding codes and the decoded names.
func TestIndependentCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(independentDir, "*.eml"))
	require.NoError(t, err)
	listed := map[string]bool{}
	for _, c := range independentCases {
		listed[c.file] = true
	}
	for _, f := range files {
		assert.True(t, listed[filepath.Base(f)], "%s has no expectation in independentCases", filepath.Base(f))
	}
	for _, c := range independentCases {
		t.Run(c.file+" gets the receivers' verdicts", func(t *testing.T) {
			f, err := os.Open(filepath.Join(independentDir, c.file))
			require.NoError(t, err)
			defer f.Close()
			res, err := Check(context.Background(), f, WithReceivers("infomaniak", "gmail"))
			require.NoError(t, err)
			require.Len(t, res.Receivers, 2)
			assert.Equal(t, c.infomaniak, res.Receivers[0].Action, "infomaniak: %s", res.Receivers[0].Reason)
			assert.Equal(t, c.gmail, res.Receivers[1].Action, "gmail: %s", res.Receivers[1].Reason)
			var got []string
			for _, f := range res.Findings {
				if f.Severity != "info" && !slices.Contains(got, string(f.Code)) {
					got = append(got, string(f.Code))
				}
			}
			sort.Strings(got)
			want := slices.Clone(c.codes)
			sort.Strings(want)
			assert.Equal(t, want, got, "findings: %v", res.Findings)
			if c.name != "" {
				assert.Contains(t, allNames(res.Attachments), c.name)
			}
		})
	}
}
