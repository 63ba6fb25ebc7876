package reputation

// ListsChecked is the date the return codes, removal pages and usage terms of
// DefaultLists were last read from each operator's published documentation.
const ListsChecked = "2026-12-06"

// Kind says what a list holds.
type Kind string

// The kinds of list.
const (
	// KindIP lists IP addresses (queried reversed under the zone).
	KindIP Kind = "ip"
	// KindDomain lists domain names (queried as <domain>.<zone>).
	KindDomain Kind = "domain"
)

// List is one DNS blocklist and how to read its answers.
type List struct {
	// ID is a short stable name ("spamhaus-zen").
	ID   string `json:"id"`
	Name string `json:"name"`
	Zone string `json:"zone"`
	Kind Kind   `json:"kind"`
	// IPv6 is set when the list answers nibble-form IPv6 queries; otherwise IPv6
	// addresses are not queried.
	IPv6 bool `json:"ipv6,omitempty"`
	// Major marks a list that most large receivers consult: a listing there holds
	// the report's grade down (SCORING.md).
	Major bool `json:"major,omitempty"`
	// Listed maps each return code that means "listed" to its published meaning.
	Listed map[string]string `json:"listed,omitempty"`
	// Bitmask, for lists that sum their sub-lists into the last octet of
	// 127.0.0.x, maps each bit to its sub-list.
	Bitmask map[uint8]string `json:"bitmask,omitempty"`
	// Refused maps each return code that means "no answer for you" (public resolver,
	// over quota, blocked querier) to its meaning. Such an answer is not a listing.
	Refused map[string]string `json:"refused,omitempty"`
	// Removal is the page where a listing is looked up and removal requested.
	Removal string `json:"removal"`
	// Terms summarises who may query the list for free.
	Terms string `json:"terms"`
}

// spamhausErrors are the 127.255.255.0/24 codes every Spamhaus zone may return
// (Spamhaus, "DNSBL return codes: technical update", 2019, and the 2021 public-mirror
// notice): errors about the query, which must never be read as a listing.
var spamhausErrors = map[string]string{
	"127.255.255.252": "typing error in the DNSBL name",
	"127.255.255.254": "query through a public or open resolver (Spamhaus refuses those; use your own resolver or a DQS key)",
	"127.255.255.255": "excessive number of queries (over the free public-mirror quota)",
}

func with(m map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// DefaultLists returns the lists checked unless WithLists says otherwise: the
// well-known public lists that large receivers and spam filters consult, with their
// published return codes (read on ListsChecked).
func DefaultLists() []List {
	return []List{
		{
			ID: "spamhaus-zen", Name: "Spamhaus ZEN", Zone: "zen.spamhaus.org", Kind: KindIP, IPv6: true, Major: true,
			Listed: map[string]string{
				"127.0.0.2":  "SBL: a known spam source or spam operation",
				"127.0.0.3":  "SBL CSS: snowshoe spam source detected by automation",
				"127.0.0.4":  "XBL: exploited or infected machine (CBL)",
				"127.0.0.5":  "XBL",
				"127.0.0.6":  "XBL",
				"127.0.0.7":  "XBL",
				"127.0.0.9":  "SBL DROP/EDROP: a hijacked or criminal network",
				"127.0.0.10": "PBL (ISP-maintained): an end-user address that should not send mail directly",
				"127.0.0.11": "PBL (Spamhaus-maintained): an end-user address that should not send mail directly",
				"127.0.0.30": "BCL: a botnet controller",
			},
			Refused: spamhausErrors,
			Removal: "https://check.spamhaus.org/",
			Terms:   "free for low-volume non-commercial use through your own resolver; public resolvers are refused (127.255.255.254); otherwise a DQS key or a subscription",
		},
		{
			ID: "spamhaus-dbl", Name: "Spamhaus DBL", Zone: "dbl.spamhaus.org", Kind: KindDomain, Major: true,
			Listed: map[string]string{
				"127.0.1.2":   "low-reputation (spam) domain",
				"127.0.1.4":   "phishing domain",
				"127.0.1.5":   "malware domain",
				"127.0.1.6":   "botnet C&C domain",
				"127.0.1.102": "abused legitimate domain (spam)",
				"127.0.1.103": "abused redirector or URL shortener",
				"127.0.1.104": "abused legitimate domain (phishing)",
				"127.0.1.105": "abused legitimate domain (malware)",
				"127.0.1.106": "abused legitimate domain (botnet C&C)",
			},
			Refused: with(spamhausErrors, map[string]string{"127.0.1.255": "an IP address queried against a domain list"}),
			Removal: "https://check.spamhaus.org/",
			Terms:   "as Spamhaus ZEN",
		},
		{
			ID: "spamcop", Name: "SpamCop", Zone: "bl.spamcop.net", Kind: KindIP,
			Listed:  map[string]string{"127.0.0.2": "reported by SpamCop users or seen at its spam traps"},
			Removal: "https://www.spamcop.net/bl.shtml",
			Terms:   "free; listings expire on their own about 24 hours after the reports stop",
		},
		{
			ID: "barracuda", Name: "Barracuda BRBL", Zone: "b.barracudacentral.org", Kind: KindIP,
			Listed:  map[string]string{"127.0.0.2": "poor sending reputation (Barracuda Reputation Block List)"},
			Removal: "https://www.barracudacentral.org/rbl/removal-request",
			Terms:   "free, but the querying resolver's address must be registered at barracudacentral.org; unregistered resolvers get no answer",
		},
		{
			ID: "surbl", Name: "SURBL multi", Zone: "multi.surbl.org", Kind: KindDomain,
			Bitmask: map[uint8]string{
				4:   "DM: disposable mail domain",
				8:   "PH: phishing",
				16:  "MW: malware",
				32:  "CT: click-tracking domain",
				64:  "ABUSE: spam and abuse",
				128: "CR: cracked site",
			},
			Refused: map[string]string{"127.0.0.1": "query blocked: the querier is over SURBL's free-use limit or refused"},
			Removal: "https://www.surbl.org/surbl-analysis",
			Terms:   "free for small sites through public DNS under a volume limit; a data feed for professional use",
		},
		{
			ID: "uceprotect-1", Name: "UCEPROTECT Level 1", Zone: "dnsbl-1.uceprotect.net", Kind: KindIP,
			Listed:  map[string]string{"127.0.0.2": "seen sending to UCEPROTECT spam traps"},
			Removal: "https://www.uceprotect.net/en/rblcheck.php",
			Terms:   "free; listings expire 7 days after the last spam (express removal is paid); used by few large receivers",
		},
	}
}
