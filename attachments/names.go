package attachments

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// name is one candidate file name and what Windows would make of it.
type name struct {
	raw    string   // as decoded from the header or archive
	clean  string   // as Windows would save it: base name, NFKC, no hidden characters, no trailing dots or spaces
	ext    string   // the extension Windows would run it by, lower case without the dot
	inner  string   // the decoy extension of a double extension ("pdf" in invoice.pdf.exe)
	hidden []string // bidi controls and zero-width characters, as U+XXXX
}

// hiddenRune reports characters that change how a name is displayed without being seen:
// Unicode bidirectional controls (Trojan Source, "annexe\u202Etxt.exe") and zero-width
// characters, plus C0/C1 controls which no legitimate file name contains.
func hiddenRune(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return true // bidi embeddings, overrides, isolates and marks
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0xFEFF, r == 0x180E, r == 0x00AD, r == 0x034F:
		return true // zero-width space/joiners, word joiner, BOM, soft hyphen
	case r < 0x20, r >= 0x7F && r < 0xA0:
		return true
	}
	return false
}

// parseName normalises a candidate name the way Windows will save and open it: both /
// and \ separate directories, Unicode is NFKC-normalised (fullwidth "．ｅｘｅ" is ".exe"),
// trailing dots and spaces are dropped by the Win32 layer, and the extension is compared
// case-insensitively.
func parseName(raw string) name {
	n := name{raw: raw}
	var b strings.Builder
	for _, r := range raw {
		if hiddenRune(r) {
			h := fmt.Sprintf("U+%04X", r)
			if !slices.Contains(n.hidden, h) {
				n.hidden = append(n.hidden, h)
			}
			continue
		}
		b.WriteRune(r)
	}
	s := norm.NFKC.String(b.String())
	s = strings.TrimRight(s, "/\\ ")
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	s = strings.TrimRightFunc(s, func(r rune) bool { return r == '.' || unicode.IsSpace(r) })
	n.clean = s
	parts := strings.Split(s, ".")
	if len(parts) >= 2 {
		n.ext = strings.ToLower(strings.TrimSpace(parts[len(parts)-1]))
	}
	if len(parts) >= 3 {
		in := strings.ToLower(strings.TrimSpace(parts[len(parts)-2]))
		// A dotted date or number ("06.12.2017.scr") is not a decoy extension: only
		// well-known document and media extensions are.
		if decoyExts[in] && n.ext != in {
			n.inner = in
		}
	}
	return n
}

// decoyExts are the extensions a double-extension trick pretends to be.
var decoyExts = setOf(`pdf doc docx xls xlsx ppt pptx rtf txt csv odt ods odp jpg jpeg png
	gif bmp tif tiff heic webp mp3 mp4 wav avi mov wmv zip rar 7z html htm xml eml msg
	ics vcf`)

// archiveExts name containers this package opens, so that one found inside another
// archive is opened too: a .cab or .iso inside a zip is listed like the same file
// attached directly (issue 6: archives inside archives are opened down to the depth
// limit). An .img is opened when its content is an ISO 9660 image.
var archiveExts = setOf(`zip gz tgz gzip tar bz2 tbz tbz2 7z rar xz txz cab iso img`)

// zipDocumentExts are zip-based documents and packages: archives by format, but files
// to the user, so their entries are not attachments and are not descended into.
var zipDocumentExts = setOf(`docx docm dotx dotm xlsx xlsm xltx xltm xlsb xlam pptx pptm potx potm ppsx ppsm ppam
odt ods odp odg odf ott ots otp epub jar apk aab ipa xpi crx nupkg vsix appx appxbundle msix msixbundle whl war ear kmz 3mf idml`)

// riskyExts is every extension a built-in policy lists: the targets of a double
// extension worth reporting.
var riskyExts = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range policies {
		for _, e := range p.Extensions {
			m[e] = true
		}
	}
	return m
}()

func setOf(list string) map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(list) {
		m[e] = true
	}
	return m
}

// maxNames bounds the candidate names kept per file: a header can repeat a parameter
// thousands of times, and no receiver reads more than a few.
const maxNames = 32

// parseNames parses and de-duplicates candidate names, keeping their order.
func parseNames(raws []string) []name {
	var out []name
	seen := map[string]bool{}
	for _, r := range raws {
		if len(out) == maxNames {
			break
		}
		if strings.TrimSpace(r) == "" || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, parseName(r))
	}
	return out
}

func rawNames(ns []name) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.raw
	}
	return out
}

// displayName is the first candidate, for messages.
func displayName(ns []name) string {
	if len(ns) == 0 {
		return "(no name)"
	}
	return ns[0].raw
}
