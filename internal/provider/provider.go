// Package provider is the one table of mail providers that the SPF, DKIM and MX checks
// share: which MX hosts, SPF includes and DKIM CNAME targets reveal a provider, the SPF
// include it documents for its customers, and the DKIM selectors it signs with.
//
// The SPF includes were checked on 2026-12-06 against each provider's setup guide (or,
// where that page could not be read, two independent setup guides that quote it).
// Providers change these rarely, but they do: when one changes, change Verified too.
package provider

import "strings"

// Verified is the date the SPF includes below were last checked against the providers'
// documentation.
const Verified = "2026-12-06"

// Provider is one mail service.
type Provider struct {
	// Name is how users know it: "Google Workspace".
	Name string
	// MX lists the domains that, as or under an MX host, show that the domain receives
	// its mail at the provider (a mailbox provider). Empty for sending-only services.
	MX []string
	// Hints lists other domains that, as or under an SPF include or redirect target or
	// a DKIM CNAME target, show that the domain uses the provider.
	Hints []string
	// SPF is the include the provider documents for its customers' SPF records ("" when
	// it sends with its own envelope domain and documents none, or it is per account).
	SPF string
	// Selectors are the DKIM selectors it signs with, when they can be guessed.
	Selectors []string
	// DKIMCNAME lists the domains that, as or under the target of a
	// <selector>._domainkey CNAME, show that the provider signs for the domain.
	DKIMCNAME []string
	// Note is said when the provider is inferred but none of its keys is found, e.g.
	// when its selectors are per-customer and cannot be guessed.
	Note string
}

// table is ordered as DKIM discovery probes it: mailbox providers first.
var table = []Provider{
	{Name: "Google Workspace", MX: []string{"google.com", "googlemail.com"},
		SPF: "_spf.google.com", Selectors: []string{"google"}},
	{Name: "Microsoft 365", MX: []string{"outlook.com", "office365.com"},
		Hints: []string{"onmicrosoft.com", "dkim.mail.microsoft"},
		SPF:   "spf.protection.outlook.com", Selectors: []string{"selector1", "selector2"},
		DKIMCNAME: []string{"onmicrosoft.com", "dkim.mail.microsoft"}},
	{Name: "Mailchimp", Hints: []string{"mcsv.net", "mailchimp.com", "mcdlv.net"},
		Selectors: []string{"k1", "k2", "k3"}, DKIMCNAME: []string{"mcsv.net"},
		Note: "Mailchimp sends with its own envelope domain and documents no SPF include"},
	{Name: "Mandrill", Hints: []string{"mandrillapp.com"}, SPF: "spf.mandrillapp.com",
		Selectors: []string{"mandrill"}, DKIMCNAME: []string{"mandrillapp.com"}},
	{Name: "SendGrid", Hints: []string{"sendgrid.net"}, SPF: "sendgrid.net",
		Selectors: []string{"s1", "s2", "smtpapi"}, DKIMCNAME: []string{"sendgrid.net"}},
	{Name: "Fastmail", MX: []string{"messagingengine.com", "fastmail.com"}, Hints: []string{"fmhosted.com"},
		SPF: "spf.messagingengine.com", Selectors: []string{"fm1", "fm2", "fm3"}, DKIMCNAME: []string{"fmhosted.com"}},
	{Name: "Proton", MX: []string{"protonmail.ch", "proton.me"}, Hints: []string{"proton.ch"},
		SPF: "_spf.protonmail.ch", Selectors: []string{"protonmail", "protonmail2", "protonmail3"},
		DKIMCNAME: []string{"protonmail.ch", "proton.ch"}},
	// Zoho's include depends on the data centre; the MX host tells which (mx.zoho.eu).
	{Name: "Zoho", MX: []string{"zoho.com", "zohomail.com"}, SPF: "zoho.com", Selectors: []string{"zoho", "zmail"}},
	{Name: "Zoho (EU)", MX: []string{"zoho.eu"}, SPF: "zoho.eu", Selectors: []string{"zoho", "zmail"}},
	{Name: "Zoho (India)", MX: []string{"zoho.in"}, SPF: "zoho.in", Selectors: []string{"zoho", "zmail"}},
	{Name: "iCloud", MX: []string{"icloud.com", "me.com"}, Hints: []string{"icloudmailadmin.com"},
		SPF: "icloud.com", Selectors: []string{"sig1"}, DKIMCNAME: []string{"icloudmailadmin.com"}},
	{Name: "HubSpot", Hints: []string{"hubspotemail.net", "hubspot.com"}, Selectors: []string{"hs1", "hs2"},
		DKIMCNAME: []string{"hubspotemail.net"},
		Note:      "HubSpot's SPF include is per account (<id>.spf0<n>.hubspotemail.net): take it from HubSpot's domain settings"},
	{Name: "Mailjet", Hints: []string{"mailjet.com"}, SPF: "spf.mailjet.com", Selectors: []string{"mailjet"}},
	{Name: "Mailgun", MX: []string{"mailgun.org"}, SPF: "mailgun.org",
		Note: "Mailgun's DKIM selectors are chosen per domain: take yours from the Mailgun control panel"},
	{Name: "Postmark", Hints: []string{"mtasv.net", "postmarkapp.com"}, SPF: "spf.mtasv.net",
		Note: "Postmark's DKIM selectors are per domain (<date>pm): take yours from Postmark's DNS settings"},
	// No MX suffix: amazonaws.com MX hosts are as often EC2 machines running their own
	// mail server as SES inbound endpoints.
	{Name: "Amazon SES", Hints: []string{"amazonses.com"}, SPF: "amazonses.com",
		DKIMCNAME: []string{"amazonses.com"},
		Note:      "Amazon SES signs with per-domain token selectors (<token>._domainkey, CNAMEs to dkim.amazonses.com) that cannot be guessed: take them from the SES console or a message's s= tag"},
}

// All returns the table, a fresh copy free to change.
func All() []Provider {
	out := make([]Provider, len(table))
	for i, p := range table {
		out[i] = p
		out[i].MX = append([]string(nil), p.MX...)
		out[i].Hints = append([]string(nil), p.Hints...)
		out[i].Selectors = append([]string(nil), p.Selectors...)
		out[i].DKIMCNAME = append([]string(nil), p.DKIMCNAME...)
	}
	return out
}

// Under reports whether host is domain or a name below it, ignoring case and a final dot.
func Under(host, domain string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// ByMX returns the mailbox provider whose mail servers host is one of.
func ByMX(host string) (Provider, bool) {
	for _, p := range All() {
		for _, d := range p.MX {
			if Under(host, d) {
				return p, true
			}
		}
	}
	return Provider{}, false
}

// ByName returns the provider that a name reveals: an MX host, an SPF include or
// redirect target, or a DKIM CNAME target.
func ByName(name string) (Provider, bool) {
	for _, p := range All() {
		for _, list := range [][]string{p.MX, p.Hints, p.DKIMCNAME, {p.SPF}} {
			for _, d := range list {
				if d != "" && Under(name, d) {
					return p, true
				}
			}
		}
	}
	return Provider{}, false
}
