package spf_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/spf"
)

const fixesZone = "../testdata/zones/fixes-spf.zone"

func loadFixes(t *testing.T) *dnscheck.Zone {
	t.Helper()
	z, err := dnscheck.LoadZoneFile(fixesZone)
	require.NoError(t, err)
	return z
}

func auditFixZone(t *testing.T, z *dnscheck.Zone, domain string, opts ...spf.Option) *spf.Report {
	t.Helper()
	r := dnscheck.NewZoneResolver(z)
	rep, err := spf.Check(context.Background(), r, domain, append(opts, spf.WithType99Lookup(r.LookupType99SPF))...)
	require.NoError(t, err)
	return rep
}

func findCode(fs []spf.Finding, code finding.Code) *spf.Finding {
	for i := range fs {
		if fs[i].Code == code {
			return &fs[i]
		}
	}
	return nil
}

func publish(name, value string) []finding.FixRecord {
	return []finding.FixRecord{{Action: finding.Publish, Name: name, Type: "TXT", Value: value}}
}

func replace(name, old, value string) []finding.FixRecord {
	return []finding.FixRecord{{Action: finding.Replace, Name: name, Type: "TXT", Replaces: old, Value: value}}
}

// spfFixCases are the SPF fix cases of testdata/zones/fixes-spf.zone: what the finding
// says, what its fix says and the records it changes.
var spfFixCases = []struct {
	name, domain string
	code         finding.Code
	severity     finding.Severity
	message, fix string // substrings
	records      []finding.FixRecord
	ips          []netip.Addr
}{
	{"no SPF with Google Workspace MX includes Google, not mx", "google.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "Google Workspace, seen in MX aspmx.l.google.com",
		publish("google.fixes.example", "v=spf1 include:_spf.google.com -all"), nil},
	{"no SPF with Microsoft 365 MX includes Microsoft", "m365.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "Microsoft 365",
		publish("m365.fixes.example", "v=spf1 include:spf.protection.outlook.com -all"), nil},
	{"no SPF with the domain's own MX authorizes mx", "own.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "own mail servers (mx)", publish("own.fixes.example", "v=spf1 mx -all"), nil},
	{"no SPF with its own MX and Google's gets both", "mixed.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "Google Workspace", publish("mixed.fixes.example", "v=spf1 mx include:_spf.google.com -all"), nil},
	{"a sending IP not covered by the provider is added, a covered one is not", "google.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "the sending IP 203.0.113.50",
		publish("google.fixes.example", "v=spf1 include:_spf.google.com ip4:203.0.113.50 -all"),
		[]netip.Addr{netip.MustParseAddr("192.0.2.5"), netip.MustParseAddr("203.0.113.50")}},
	{"a parked domain (null MX) gets v=spf1 -all", "parked.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "null MX", publish("parked.fixes.example", "v=spf1 -all"), nil},
	{"no MX but an address authorizes a", "web.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "own address (a)", publish("web.fixes.example", "v=spf1 a -all"), nil},
	{"a provider whose include cannot be confirmed is named, with no record to paste", "fastmail.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "Fastmail's include spf.messagingengine.com publishes no SPF record now: take the include from Fastmail's current documentation", nil, nil},
	{"with nothing to build from, the fix is prose only", "bare.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "v=spf1 ip4:<your mail server's address> -all", nil, nil},
	{"include= is named a typo for include:, not removed", "includeeq.fixes.example", spf.CodeUnknownModifier, finding.Error,
		`"include=_spf.infra.example", a typo for "include:_spf.infra.example"`, "Replace the record with: v=spf1 include:_spf.infra.example -all",
		replace("includeeq.fixes.example", "v=spf1 include=_spf.infra.example -all", "v=spf1 include:_spf.infra.example -all"), nil},
	{"redirect: is named a typo for redirect=", "redircolon.fixes.example", spf.CodeSyntax, finding.Error,
		`typo: "redirect:_spf.infra.example" for "redirect=_spf.infra.example"`, "v=spf1 redirect=_spf.infra.example",
		replace("redircolon.fixes.example", "v=spf1 redirect:_spf.infra.example", "v=spf1 redirect=_spf.infra.example"), nil},
	{"an IP in a: is corrected to ip4:", "iplit.fixes.example", spf.CodeIPInDomainSpec, finding.Error,
		`"a:192.0.2.1" for "ip4:192.0.2.1"`, "Replace the record with: v=spf1 ip4:192.0.2.1 -all",
		replace("iplit.fixes.example", "v=spf1 a:192.0.2.1 -all", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"v=spf1.0 is named as the reason receivers see no SPF record", "version.fixes.example", spf.CodeMissing, finding.Error,
		`"v=spf1.0" for "v=spf1"`, "Replace the TXT record with: v=spf1 mx -all",
		replace("version.fixes.example", "v=spf1.0 mx -all", "v=spf1 mx -all"), nil},
	{"quotes published as part of the record are named", "quoted.fixes.example", spf.CodeMissing, finding.Error,
		"stray quotes", "v=spf1 ip4:192.0.2.1 -all",
		replace("quoted.fixes.example", `"v=spf1 ip4:192.0.2.1 -all"`, "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"-all. loses its dot", "alldot.fixes.example", spf.CodeSyntax, finding.Error,
		`"-all." for "-all"`, "v=spf1 ip4:192.0.2.1 -all",
		replace("alldot.fixes.example", "v=spf1 ip4:192.0.2.1 -all.", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"~all; loses its semicolon", "allsemi.fixes.example", spf.CodeSyntax, finding.Error,
		`"~all;" for "~all"`, "v=spf1 ip4:192.0.2.1 ~all",
		replace("allsemi.fixes.example", "v=spf1 ip4:192.0.2.1 ~all;", "v=spf1 ip4:192.0.2.1 ~all"), nil},
	{"ipv4: and ip: are ip4: and ip6:", "ipv4.fixes.example", spf.CodeSyntax, finding.Error,
		`"ip:2001:db8::1" for "ip6:2001:db8::1"`, "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 -all",
		replace("ipv4.fixes.example", "v=spf1 ipv4:192.0.2.0/24 ip:2001:db8::1 -all", "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::1 -all"), nil},
	{"exp: is exp=", "expcolon.fixes.example", spf.CodeSyntax, finding.Error,
		`"exp:why.infra.example" for "exp=why.infra.example"`, "v=spf1 ip4:192.0.2.1 -all exp=why.infra.example",
		replace("expcolon.fixes.example", "v=spf1 ip4:192.0.2.1 -all exp:why.infra.example", "v=spf1 ip4:192.0.2.1 -all exp=why.infra.example"), nil},
	{"+all becomes -all, with the warning to list every sender first", "allpass.fixes.example", spf.CodeAllPass, finding.Error,
		`ends in "+all"`, "check that the list is complete first",
		replace("allpass.fixes.example", "v=spf1 ip4:192.0.2.1 +all", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"?all becomes ~all", "allneutral.fixes.example", spf.CodeAllNeutral, finding.Warning,
		"ends in ?all", "v=spf1 ip4:192.0.2.1 ~all",
		replace("allneutral.fixes.example", "v=spf1 ip4:192.0.2.1 ?all", "v=spf1 ip4:192.0.2.1 ~all"), nil},
	{"a record without all gets ~all", "noall.fixes.example", spf.CodeNoAll, finding.Warning,
		`no "all"`, "v=spf1 ip4:192.0.2.1 ~all",
		replace("noall.fixes.example", "v=spf1 ip4:192.0.2.1", "v=spf1 ip4:192.0.2.1 ~all"), nil},
	{"all moves after the terms that follow it", "afterall.fixes.example", spf.CodeTermsAfterAll, finding.Warning,
		"never evaluated", "v=spf1 ip4:192.0.2.1 -all",
		replace("afterall.fixes.example", "v=spf1 -all ip4:192.0.2.1", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"a redirect beside all is dropped, as receivers do", "redirall.fixes.example", spf.CodeRedirectIgnored, finding.Warning,
		"the redirect is ignored", "v=spf1 ip4:192.0.2.1 -all",
		replace("redirall.fixes.example", "v=spf1 ip4:192.0.2.1 -all redirect=_spf.infra.example", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"an unknown modifier that is no typo is removed", "unknownmod.fixes.example", spf.CodeUnknownModifier, finding.Warning,
		`unknown modifier "foo=bar"`, "v=spf1 ip4:192.0.2.1 -all",
		replace("unknownmod.fixes.example", "v=spf1 ip4:192.0.2.1 foo=bar -all", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"two records are merged, keeping both providers", "multi.fixes.example", spf.CodeMultipleRecords, finding.Error,
		"publishes 2 SPF records", "v=spf1 include:_spf.google.com include:sendgrid.net -all",
		[]finding.FixRecord{
			{Action: finding.Replace, Name: "multi.fixes.example", Type: "TXT", Replaces: "v=spf1 include:_spf.google.com -all", Value: "v=spf1 include:_spf.google.com include:sendgrid.net -all"},
			{Action: finding.Delete, Name: "multi.fixes.example", Type: "TXT", Replaces: "v=spf1 include:sendgrid.net -all"},
		}, nil},
	{"a record published only as type 99 is published as TXT", "type99only.fixes.example", spf.CodeMissing, finding.Error,
		"has no SPF record", "type 99", publish("type99only.fixes.example", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"a type 99 record beside the TXT record is deleted", "type99both.fixes.example", spf.CodeType99, finding.Warning,
		"RR type 99", "Delete the type 99",
		[]finding.FixRecord{{Action: finding.Delete, Name: "type99both.fixes.example", Type: "SPF", Replaces: "v=spf1 ip4:192.0.2.1 -all"}}, nil},
	{"an include looping back to the domain is dropped from the owner's record", "loopself.fixes.example", spf.CodeLoop, finding.Error,
		"loops back", "Remove include:loopself.fixes.example from the record of _spf.loopself.fixes.example",
		replace("_spf.loopself.fixes.example", "v=spf1 ip4:192.0.2.1 include:loopself.fixes.example ~all", "v=spf1 ip4:192.0.2.1 ~all"), nil},
	{"a terms naming hosts without addresses are dropped, as they match nothing", "voids.fixes.example", spf.CodeVoidLimit, finding.Error,
		"3 lookups", "v=spf1 ip4:192.0.2.1 -all",
		replace("voids.fixes.example", "v=spf1 a:gone1.voids.fixes.example a:gone2.voids.fixes.example a:gone3.voids.fixes.example ip4:192.0.2.1 -all", "v=spf1 ip4:192.0.2.1 -all"), nil},
	{"an a term whose host has only an IPv6 address stays", "voids6.fixes.example", spf.CodeVoidLimit, finding.Error,
		"3 lookups", "v=spf1 a:v6only.voids6.fixes.example -all",
		replace("voids6.fixes.example", "v=spf1 a:gone1.voids.fixes.example a:gone2.voids.fixes.example a:v6only.voids6.fixes.example -all", "v=spf1 a:v6only.voids6.fixes.example -all"), nil},
	{"the domain's own include target spoiled by a typo is corrected", "incnear.fixes.example", spf.CodeIncludeMissing, finding.Error,
		`"V=SPF1.0" for "v=spf1"`, "Replace the TXT record at _spf.incnear.fixes.example with: v=spf1 ip4:192.0.2.1 ~all",
		replace("_spf.incnear.fixes.example", "V=SPF1.0 ip4:192.0.2.1 ~all", "v=spf1 ip4:192.0.2.1 ~all"), nil},
	{"a provider's record gets advice but no records, it is not the owner's", "theirs.fixes.example", spf.CodeAllPass, finding.Error,
		"thirdparty.example", "ask its operator to correct it to: v=spf1 ip4:203.0.113.9 -all", nil, nil},
}

func TestSPFFixes(t *testing.T) {
	z := loadFixes(t)
	for _, tc := range spfFixCases {
		t.Run(tc.name, func(t *testing.T) {
			rep := auditFixZone(t, z, tc.domain, spf.WithSelfTest(tc.ips...))
			f := findCode(rep.Findings, tc.code)
			require.NotNil(t, f, "codes: %v", codes(rep.Findings))
			assert.Equal(t, tc.severity, f.Severity)
			assert.Contains(t, f.Message, tc.message)
			assert.Contains(t, f.Fix, tc.fix)
			assert.Equal(t, tc.records, f.FixRecords)
			for _, r := range f.FixRecords {
				if r.Value != "" && r.Type == "TXT" {
					assert.Contains(t, f.Fix, r.Value, "the prose quotes the record the data publishes")
				}
			}
		})
	}
}

// TestSPFFixesRoundTrip applies each finding's fix_records to the zone and audits
// again: the finding must be gone and no new warning or error may appear.
func TestSPFFixesRoundTrip(t *testing.T) {
	z := loadFixes(t)
	for _, tc := range spfFixCases {
		if tc.records == nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			opts := []spf.Option{spf.WithSelfTest(tc.ips...)}
			before := auditFixZone(t, z, tc.domain, opts...)
			f := findCode(before.Findings, tc.code)
			require.NotNil(t, f)
			fixed, err := z.ApplyFixRecords(f.FixRecords)
			require.NoError(t, err, "the fix must name records the zone holds")
			after := auditFixZone(t, fixed, tc.domain, opts...)
			assert.Nil(t, findCode(after.Findings, tc.code), "the finding is gone: %v", after.Findings)
			had := map[finding.Code]bool{}
			for _, b := range before.Findings {
				had[b.Code] = true
			}
			for _, a := range after.Findings {
				if a.Severity.Rank() >= finding.Warning.Rank() {
					assert.True(t, had[a.Code], "new %s after the fix: %s", a.Code, a.Message)
				}
			}
			for _, st := range after.SelfTests {
				assert.Equal(t, spf.Pass, st.Outcome.Result, "sending IP %s passes the published record", st.IP)
			}
		})
	}
}

func TestAProviderIncludeThatFailsToResolveIsNotCalledMissing(t *testing.T) {
	srv := dnstest.Start(t, loadFixes(t))
	srv.SetFault("spf.protection.outlook.com", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	r := srv.Resolver(t)
	rep, err := spf.Check(context.Background(), r, "m365.fixes.example")
	require.NoError(t, err)
	f := findCode(rep.Findings, spf.CodeMissing)
	require.NotNil(t, f)
	assert.Contains(t, f.Fix, "spf.protection.outlook.com could not be looked up")
	assert.NotContains(t, f.Fix, "publishes no SPF record")
	assert.Empty(t, f.FixRecords, "no record to paste without the include")
}
