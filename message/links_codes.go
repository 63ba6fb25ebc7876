package message

import "github.com/mailcheck/mailcheck/internal/finding"

// The finding codes of the content rules (links, HTML-only, size). Codes are API:
// documented in the README, never renamed.
const (
	// CodeMalformedLink: a link in a text or HTML part that no browser can follow and
	// that URL filters score as broken: a scheme without its colon or slashes
	// ("http//x", "http:/x"), a misspelt scheme ("htp://"), an empty host, or a host
	// that starts with a dot ("http://.example.com").
	CodeMalformedLink finding.Code = "message.malformed-link"
	// CodeLinkTextMismatch: an HTML link whose visible text shows one registrable
	// domain while its target is another, the shape of phishing that filters score.
	CodeLinkTextMismatch finding.Code = "message.link-text-mismatch"
	// CodeIPLink: a link whose host is an IP address (dotted, bracketed IPv6, or the
	// numeric forms browsers read as IPv4), which filters score as suspicious.
	CodeIPLink finding.Code = "message.ip-link"
	// CodeHTMLOnly: the message has an HTML body and no text/plain alternative.
	CodeHTMLOnly finding.Code = "message.html-only"
	// CodeTooLarge: the message is larger than a selected receiver's published
	// maximum message size, so that receiver refuses it (552 5.3.4).
	CodeTooLarge finding.Code = "message.too-large"
	// CodeLinkListed: a link goes to a domain on a domain blocklist (Spamhaus DBL,
	// SURBL) that receivers' URL filters consult. Reported by CheckMessage only when
	// the blocklist lookups are asked for (mailcheck.WithReputation(true)).
	CodeLinkListed finding.Code = "message.link-listed"
	// CodeLinksIncomplete: the time limit came before the link rules had read the
	// message's text; the links are unknown, not good.
	CodeLinksIncomplete finding.Code = "message.links-incomplete"
)
