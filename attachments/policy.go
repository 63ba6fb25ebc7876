package attachments

import (
	"fmt"
	"slices"
	"strings"
)

// Action is what a receiver does with a message that carries a given file.
type Action string

// The actions, from harmless to fatal.
const (
	// Accept: the receiver delivers the message and the file.
	Accept Action = "accept"
	// Warn: the message is delivered but the client hides or blocks the file (Outlook's
	// Level 1 list).
	Warn Action = "warn"
	// Reject: the receiver refuses the whole message at SMTP time.
	Reject Action = "reject"
)

func (a Action) rank() int {
	switch a {
	case Reject:
		return 2
	case Warn:
		return 1
	}
	return 0
}

// Policy is one receiver's attachment rules, kept as versioned data: the list, where it
// was published and when it was last checked against that source.
type Policy struct {
	// Name selects the policy (--receiver NAME).
	Name string `json:"name"`
	// Title names the receiver in sentences.
	Title string `json:"title"`
	// Source is where the list is published.
	Source string `json:"source"`
	// Date is when the list was written from its source (YYYY-MM-DD); update it
	// whenever the list is compared with the source again.
	Date string `json:"date"`
	// Action is what the receiver does with a listed file: Reject or Warn.
	Action Action `json:"action"`
	// Extensions are the listed file name extensions, lower case, without the dot.
	Extensions []string `json:"extensions"`
	// InsideArchives: listed files are also caught inside zip, tar, gzip, 7z and rar.
	InsideArchives bool `json:"inside_archives"`
	// TrueType: the receiver sniffs content, so an executable named .pdf is still an .exe.
	TrueType bool `json:"true_type"`
	// EncryptedArchiveWithArchive: a password-protected archive that holds an archive is
	// rejected (Gmail).
	EncryptedArchiveWithArchive bool `json:"encrypted_archive_with_archive,omitempty"`
	// Reason is the receiver's answer, in words, when it refuses the message.
	Reason string `json:"reason"`
	// MaxMessageBytes is the largest message, as encoded on the wire, that the
	// receiver accepts by default; 0 when it publishes none (or the policy is not a
	// mail service). SizeSource and SizeDate say where the figure was read and when.
	MaxMessageBytes int64  `json:"max_message_bytes,omitempty"`
	SizeSource      string `json:"size_source,omitempty"`
	SizeDate        string `json:"size_date,omitempty"`
}

func (p *Policy) lists(ext string) bool {
	return ext != "" && slices.Contains(p.Extensions, ext)
}

func exts(list string) []string { return strings.Fields(list) }

// policies are the built-in receiver policies. Keep each list exactly as its source
// publishes it; update Date whenever the list is compared with the source again.
var policies = []Policy{
	{
		Name:   "infomaniak",
		Title:  "Infomaniak",
		Source: "Infomaniak Mail FAQ: attachment types refused, also inside compressed files (list as quoted in mailcheck issue 6)",
		Date:   "2026-11-27",
		Action: Reject,
		Extensions: exts(`exe com cmd cpl hta scf sct lnk bat js jse wsh ws wsf wsc
			vbe vb vbs shs pif scr`),
		InsideArchives: true,
		Reason:         `rejects the message at SMTP time ("554 5.7.0 ... rejected by headers rule filter", bounced as "Spam Message Rejected")`,
		// Infomaniak FAQ 2351, "Understanding email size limits" (infomaniak.com/en/support/
		// faq/2351, page dated 2026-11-05, read 2026-11-27): "The maximum size of an email
		// in sending and receiving is 210,763,776 bytes, or 201 MB exactly", header and
		// body included; its web app moves attachments over 25 MB to a SwissTransfer link.
		MaxMessageBytes: 210_763_776,
		SizeSource:      "Infomaniak FAQ 2351, Understanding email size limits: 210,763,776 bytes (201 MB), header and body included",
		SizeDate:        "2026-11-27",
	},
	{
		Name:   "gmail",
		Title:  "Gmail",
		Source: "Gmail Help: File types blocked in Gmail (support.google.com/mail/answer/6590)",
		Date:   "2026-11-27",
		Action: Reject,
		Extensions: exts(`ade adp apk appx appxbundle bat cab chm cmd com cpl diagcab
			diagcfg diagpkg dll dmg ex ex_ exe hta img ins iso isp jar jnlp js jse lib lnk
			mde mjs msc msi msix msixbundle msp mst nsh pif ps1 scr sct shb sys vb vbe vbs
			vhd vxd wsc wsf wsh xll`),
		InsideArchives:              true,
		TrueType:                    true,
		EncryptedArchiveWithArchive: true,
		Reason:                      `rejects the message ("552 5.7.0 This message was blocked because its content presents a potential security issue")`,
		// Gmail limits what its users send to 25 MB, but receives messages up to 50 MB
		// since Google's Workspace Updates post of 2017-03-01 ("Gmail users can now
		// receive attachments up to 50 MB"), as reported that day by androidpolice.com
		// and others; read 2026-11-27 from those secondary pages (Google's own help page,
		// support.google.com/mail/answer/6584, was not in the search index, so compare it
		// before relying on this). This is a receiver policy, so the receiving limit
		// applies; MB is read as 10^6 bytes, the smaller reading.
		MaxMessageBytes: 50_000_000,
		SizeSource:      "Google Workspace Updates, 2017-03-01 (as reported): Gmail receives messages up to 50 MB; it sends up to 25 MB (support.google.com/mail/answer/6584)",
		SizeDate:        "2026-11-27",
	},
	{
		Name:   "microsoft",
		Title:  "Microsoft 365 (Exchange Online / Defender common attachments filter)",
		Source: "Microsoft Learn: Anti-malware protection in EOP, common attachments filter default file types",
		Date:   "2026-11-27",
		Action: Reject,
		Extensions: exts(`ace ani apk app appx arj bat cab cmd com deb dex dll docm elf
			exe hta img iso jar jnlp kext lha lib library lnk lzh macho msc msi msix msp mst
			pif ppa ppam reg rev scf scr sct sys uif vb vbe vbs vxd wsc wsf wsh xll xz z`),
		TrueType: true,
		Reason:   `quarantines or rejects the message as malware ("the common attachments filter found a blocked file type")`,
		// Microsoft Learn, "Exchange Online limits", Message limits (learn.microsoft.com/
		// office365/servicedescriptions/exchange-online-service-description/exchange-
		// online-limits, read 2026-11-27 as quoted by secondary pages): the default
		// maximum message size is 35 MB for sending and 36 MB for receiving; admins may
		// raise it to 150 MB. Exchange's MB is 2^20 bytes (ByteQuantifiedSize).
		MaxMessageBytes: 36 << 20,
		SizeSource:      "Microsoft Learn, Exchange Online limits: default maximum receive size 36 MB (admins may set up to 150 MB)",
		SizeDate:        "2026-11-27",
	},
	{
		Name:   "outlook",
		Title:  "Outlook (Level 1 attachments)",
		Source: "Microsoft Support: Blocked attachments in Outlook (Level 1 file types)",
		Date:   "2026-11-27",
		Action: Warn,
		Extensions: exts(`ade adp app application appref-ms asp aspx asx bas bat bgi cab
			cer chm cmd cnt com cpl crt csh der diagcab exe fxp gadget grp hlp hpj hta htc
			inf ins iso isp its jar jnlp js jse ksh lnk mad maf mag mam maq mar mas mat mau
			mav maw mcf mda mdb mde mdt mdw mdz msc msh msh1 msh2 mshxml msh1xml msh2xml msi
			msp mst msu ops osd pcd pif pl plg prf prg printerexport ps1 ps1xml ps2 ps2xml
			psc1 psc2 psd1 psdm1 pst py pyc pyo pyw pyz pyzw reg scf scr sct shb shs theme
			tmp url vb vbe vbp vbs vhd vhdx vsmacros vsw webpnp website ws wsc wsf wsh xbap
			xll xnk`),
		Reason: "delivers the message but hides the attachment from the recipient (Outlook Level 1 file type)",
		// No MaxMessageBytes: Outlook is a client, and the size limit is its mail
		// server's (Microsoft 365: the microsoft policy). Outlook.com's own limit was not
		// found in Microsoft's documentation in the search index (2026-11-27).
	},
}

// DefaultReceiver is the policy used when none is selected.
const DefaultReceiver = "infomaniak"

// Policies returns a copy of the built-in receiver policies.
func Policies() []Policy {
	out := make([]Policy, len(policies))
	for i, p := range policies {
		p.Extensions = slices.Clone(p.Extensions)
		out[i] = p
	}
	return out
}

// LookupPolicy returns the built-in policy with that name.
func LookupPolicy(name string) (Policy, bool) {
	for _, p := range Policies() {
		if p.Name == strings.ToLower(strings.TrimSpace(name)) {
			return p, true
		}
	}
	return Policy{}, false
}

// selectPolicies resolves receiver names ("all" for every policy) and adds the user's
// own blocked extensions as the "custom" receiver.
func selectPolicies(names []string, blocked []string) ([]Policy, error) {
	if len(names) == 0 {
		names = []string{DefaultReceiver}
	}
	var out []Policy
	add := func(p Policy) {
		if !slices.ContainsFunc(out, func(q Policy) bool { return q.Name == p.Name }) {
			out = append(out, p)
		}
	}
	for _, n := range names {
		if strings.EqualFold(strings.TrimSpace(n), "all") {
			for _, p := range Policies() {
				add(p)
			}
			continue
		}
		p, ok := LookupPolicy(n)
		if !ok {
			return nil, fmt.Errorf("%w: %q (known: infomaniak, gmail, microsoft, outlook, all)", ErrUnknownReceiver, n)
		}
		add(p)
	}
	if len(blocked) > 0 {
		var list []string
		for _, b := range blocked {
			e := strings.ToLower(strings.TrimLeft(strings.TrimSpace(b), "*."))
			if e != "" && !slices.Contains(list, e) {
				list = append(list, e)
			}
		}
		if len(list) > 0 {
			add(Policy{
				Name: "custom", Title: "your block list", Source: "--block / WithBlocked",
				Action: Reject, Extensions: list, InsideArchives: true,
				Reason: "rejects the message",
			})
		}
	}
	return out, nil
}
