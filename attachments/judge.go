package attachments

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/internal/finding"
)

// Facts were gathered while walking; judging turns them into verdicts per receiver and
// findings, in one place.

var macroExts = setOf("docm dotm xlsm xltm xlam pptm potm ppam ppsm sldm")
var diskImageExts = setOf("iso img vhd vhdx dmg udf")

func (s *scanner) judge() {
	worst := make([]Verdict, len(s.policies))
	for i, p := range s.policies {
		worst[i] = Verdict{Receiver: p.Name, Action: Accept}
	}
	for i := range s.res.Attachments {
		s.judgeFile(&s.res.Attachments[i], worst)
	}
	s.res.Receivers = worst
	slices.SortStableFunc(s.res.Findings, func(a, b Finding) int {
		return cmp.Compare(b.Severity.Rank(), a.Severity.Rank())
	})
}

func (s *scanner) judgeFile(a *Attachment, worst []Verdict) {
	var rejecters, warners []string
	for i, p := range s.policies {
		v := s.verdict(a, &p)
		a.Verdicts = append(a.Verdicts, v)
		if v.Action.rank() > worst[i].Action.rank() {
			worst[i] = Verdict{Receiver: p.Name, Action: v.Action, Reason: fmt.Sprintf("%s %s: %s", p.Title, p.Reason, v.Reason)}
		}
		switch v.Action {
		case Reject:
			rejecters = append(rejecters, p.Title+" ("+v.Reason+")")
		case Warn:
			warners = append(warners, p.Title+" ("+v.Reason+")")
		}
	}
	ev := &finding.Evidence{Name: a.loc, Records: a.Names, Detail: "detected type: " + describeType(a.Type)}
	if len(rejecters) > 0 {
		code, where := CodeForbidden, "Attachment"
		if a.inArc {
			code, where = CodeForbiddenInArchive, "Archive entry"
		}
		msg := fmt.Sprintf("%s %s is rejected by %s.", where, a.loc, strings.Join(rejecters, ", "))
		if len(warners) > 0 {
			msg += fmt.Sprintf(" It is hidden from the recipient by %s.", strings.Join(warners, ", "))
		}
		s.add(Finding{Code: code, Severity: finding.Error, Message: msg,
			Fix:      "Do not attach this file type: share it by link, or send a document format (PDF) instead. Renaming or zipping it does not help: receivers look inside archives and at the content.",
			Evidence: ev})
	} else if len(warners) > 0 {
		s.add(Finding{Code: CodeWarned, Severity: finding.Warning,
			Message:  fmt.Sprintf("Attachment %s is delivered but hidden from the recipient by %s.", a.loc, strings.Join(warners, ", ")),
			Fix:      "Share this file type by link, or send it in a format the recipient's client opens (PDF).",
			Evidence: ev})
	}
	var hidden []string
	for _, n := range a.names {
		for _, h := range n.hidden {
			if !slices.Contains(hidden, h) {
				hidden = append(hidden, h)
			}
		}
	}
	if len(hidden) > 0 {
		s.add(Finding{Code: CodeHiddenCharacters, Severity: finding.Warning,
			Message:  fmt.Sprintf("File name of %s contains invisible or direction-changing characters (%s): what the recipient sees is not the real name.", a.loc, strings.Join(hidden, ", ")),
			Fix:      "Rename the file with plain characters only.",
			Ref:      "Unicode TR #9 (bidirectional controls); CVE-2021-42574",
			Evidence: &finding.Evidence{Name: a.loc, Records: a.Names, Detail: strings.Join(hidden, " ")}})
	}
	for _, n := range a.names {
		if n.inner != "" && (riskyExts[n.ext] || s.customBlocks(n.ext)) {
			s.add(Finding{Code: CodeDoubleExtension, Severity: finding.Warning,
				Message:  fmt.Sprintf("File %s has a double extension (.%s.%s): it looks like a .%s but opens as .%s.", a.loc, n.inner, n.ext, n.inner, n.ext),
				Fix:      "Give the file a single, true extension.",
				Evidence: &finding.Evidence{Name: a.loc, Records: []string{n.raw}}})
			break
		}
	}
	if mis := s.mismatch(a); mis != "" {
		sev := finding.Warning
		if a.Type.executable() {
			sev = finding.Error
		}
		s.add(Finding{Code: CodeTypeMismatch, Severity: sev,
			Message:  fmt.Sprintf("File %s is %s but %s.", a.loc, describeType(a.Type), mis),
			Fix:      "Send the file under its true type; receivers that sniff content (Gmail, Microsoft 365) judge it by what it is.",
			Evidence: ev})
	}
	if a.Type.diskImage() || slices.ContainsFunc(a.names, func(n name) bool { return diskImageExts[n.ext] }) {
		s.add(Finding{Code: CodeDiskImage, Severity: finding.Warning,
			Message:  fmt.Sprintf("File %s is a disk image: mounting it bypasses Windows' mark-of-the-web, a common malware vector, and Gmail and Microsoft 365 block it.", a.loc),
			Fix:      "Send the files themselves, or share the image by link.",
			Evidence: ev})
	}
	if a.Type == TypeOLEMacro || a.Type == TypeOOXMLMacro || a.Type == TypeODFMacro ||
		slices.ContainsFunc(a.names, func(n name) bool { return macroExts[n.ext] }) {
		s.add(Finding{Code: CodeMacroDocument, Severity: finding.Warning,
			Message:  fmt.Sprintf("Document %s contains macros (or is a macro-enabled type): Office blocks macros from the internet and receivers quarantine such documents.", a.loc),
			Fix:      "Save as a macro-free format (.docx, .xlsx, .pptx) or PDF.",
			Ref:      "[MS-OVBA] §2.2",
			Evidence: ev})
	}
	if a.script {
		s.add(Finding{Code: CodeHTMLAttachment, Severity: finding.Warning,
			Message:  fmt.Sprintf("Attachment %s is HTML or SVG with script: the shape of HTML smuggling, which receivers block or quarantine.", a.loc),
			Fix:      "Send a PDF, or put the content in the message body without script.",
			Evidence: ev})
	}
	if a.nested {
		detail := "an archive inside an archive"
		sev := finding.Warning
		if a.encNest {
			detail = "an encrypted archive entry that is itself an archive: Gmail rejects password-protected archives that contain archives"
		}
		s.add(Finding{Code: CodeNestedArchive, Severity: sev,
			Message:  fmt.Sprintf("Archive entry %s is %s.", a.loc, detail),
			Fix:      "Put the files in one archive, without nesting.",
			Evidence: &finding.Evidence{Name: a.loc, Records: a.Names}})
	}
	if a.encNest {
		s.encrypted(a, "an encrypted entry is itself an archive, so its contents are invisible", false)
	}
	for i := range a.Contents {
		s.judgeFile(&a.Contents[i], worst)
	}
}

func (s *scanner) customBlocks(ext string) bool {
	for _, p := range s.policies {
		if p.Name == "custom" && p.lists(ext) {
			return true
		}
	}
	return false
}

// verdict is one receiver's decision on one file.
func (s *scanner) verdict(a *Attachment, p *Policy) Verdict {
	v := Verdict{Receiver: p.Name, Action: Accept}
	if a.inArc && !p.InsideArchives {
		return v
	}
	for _, n := range a.names {
		if p.lists(n.ext) {
			if p.Name == "custom" {
				return Verdict{Receiver: p.Name, Action: p.Action, Reason: fmt.Sprintf("%q ends in .%s, which you asked to block", n.clean, n.ext)}
			}
			return Verdict{Receiver: p.Name, Action: p.Action, Reason: fmt.Sprintf("%q has the listed extension .%s", n.clean, n.ext)}
		}
	}
	if te := trueExt[a.Type]; te != "" && (p.TrueType || len(a.names) == 0) && p.lists(te) {
		return Verdict{Receiver: p.Name, Action: p.Action, Reason: fmt.Sprintf("its content is %s (.%s)", a.Type, te)}
	}
	if a.encNest && p.EncryptedArchiveWithArchive {
		return Verdict{Receiver: p.Name, Action: p.Action, Reason: "a password-protected archive that contains an archive"}
	}
	return v
}

// mismatch says how a file's names or declared type contradict its content, "" if not.
func (s *scanner) mismatch(a *Attachment) string {
	honest := honestExts[a.Type]
	if honest == nil {
		return ""
	}
	if len(a.names) == 0 {
		ct := a.ContentType
		if a.Type.executable() && (ct == "application/pdf" || strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "text/") ||
			strings.HasPrefix(ct, "application/vnd.") || strings.HasPrefix(ct, "application/msword")) {
			return fmt.Sprintf("is declared as %s", ct)
		}
		return ""
	}
	for _, n := range a.names {
		if honest[n.ext] || n.ext == "" && (a.Type == TypeELF || a.Type == TypeMachO) {
			return ""
		}
	}
	n := a.names[0]
	if !a.Type.executable() && !a.Type.diskImage() && a.Type != TypeCAB {
		// Text formats mislabelled as another text format are common and harmless; only
		// a disguise as a document or image is reported.
		if !decoyExts[n.ext] || n.ext == "txt" || n.ext == "xml" || n.ext == "csv" || n.ext == "html" || n.ext == "htm" {
			return ""
		}
	}
	if n.ext == "" {
		return fmt.Sprintf("is named %q, without an extension", n.clean)
	}
	return fmt.Sprintf("is named %q (.%s)", n.clean, n.ext)
}
