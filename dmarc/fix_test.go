package dmarc

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/finding"
)

func replaceRec(name, old, new string) FixRecord {
	return FixRecord{Action: finding.Replace, Name: name, Type: "TXT", Replaces: old, Value: new}
}

func publishRec(name, value string) FixRecord {
	return FixRecord{Action: finding.Publish, Name: name, Type: "TXT", Value: value}
}

func deleteRec(name, old string) FixRecord {
	return FixRecord{Action: finding.Delete, Name: name, Type: "TXT", Replaces: old}
}

func TestCheckFixesAreTheOwnersRecordCorrected(t *testing.T) {
	srv := startZone(t, "fixes-dmarc.zone")
	tests := []struct {
		name    string
		domain  string
		codes   []string
		code    Code        // the finding whose fix is checked
		message string      // a part of its message
		fix     string      // a part of its fix
		records []FixRecord // its fix_records, exactly
	}{
		{"p=rejected is one typo finding that keeps every other tag", "ptypo.example",
			[]string{"dmarc.invalid-value"}, CodeInvalidValue,
			`p="rejected" is a typo: did you mean p=reject? Until it is corrected, receivers treat the whole record as p=none`,
			`"v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:dmarc@ptypo.example"`,
			[]FixRecord{replaceRec("_dmarc.ptypo.example",
				"v=DMARC1; p=rejected; sp=quarantine; adkim=s; rua=mailto:dmarc@ptypo.example",
				"v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:dmarc@ptypo.example")}},
		{"sp=rejected is one typo finding, and the record is not called protected", "sptypo.example",
			[]string{"dmarc.invalid-value"}, CodeInvalidValue,
			`sp="rejected" is a typo: did you mean sp=reject? Until it is corrected, receivers treat the whole record as p=none`,
			"sp=rejected → sp=reject",
			[]FixRecord{replaceRec("_dmarc.sptypo.example",
				"v=DMARC1; p=reject; sp=rejected; rua=mailto:dmarc@sptypo.example",
				"v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@sptypo.example")}},
		{"p=rejected without rua says receivers ignore the record, and missing fixes the same typo", "ptyponorua.example",
			[]string{"dmarc.invalid-value", "dmarc.missing"}, CodeMissing,
			"has an invalid p, sp or np and no valid rua URI",
			"Typos corrected: p=rejected → p=reject.",
			[]FixRecord{replaceRec("_dmarc.ptyponorua.example", "v=DMARC1; p=rejected", "v=DMARC1; p=reject")}},
		{"a rua without mailto: gains it, and no other mailbox is suggested", "ruabare.example",
			[]string{"dmarc.invalid-uri"}, CodeInvalidURI,
			`did you mean rua=mailto:dmarc@ruabare.example?`,
			"dmarc@ruabare.example → mailto:dmarc@ruabare.example",
			[]FixRecord{replaceRec("_dmarc.ruabare.example", "v=DMARC1; p=reject; rua=dmarc@ruabare.example", "v=DMARC1; p=reject; rua=mailto:dmarc@ruabare.example")}},
		{"a record at the apex moves to _dmarc as it is, and the apex SPF record stays", "atapex.example",
			[]string{"dmarc.missing", "dmarc.record-at-apex"}, CodeRecordAtApex,
			"receivers only look at _dmarc.atapex.example",
			"delete it at atapex.example",
			[]FixRecord{
				publishRec("_dmarc.atapex.example", "v=DMARC1; p=quarantine; rua=mailto:dmarc@atapex.example"),
				deleteRec("atapex.example", "v=DMARC1; p=quarantine; rua=mailto:dmarc@atapex.example")}},
		{"v after p is put first, and missing offers the same correction", "vlast.example",
			[]string{"dmarc.missing", "dmarc.syntax"}, CodeMissing,
			"No DMARC policy applies to vlast.example",
			"Correct the record you publish",
			[]FixRecord{replaceRec("_dmarc.vlast.example", "p=quarantine; v=DMARC1; rua=mailto:dmarc@vlast.example", "v=DMARC1; p=quarantine; rua=mailto:dmarc@vlast.example")}},
		{"a hand-written record has each typo named", "messy.example",
			[]string{"dmarc.missing", "dmarc.syntax"}, CodeSyntax,
			"did you mean v=DMARC1?",
			"Typos corrected: V=dmarc1 → v=DMARC1, sp=rejected → sp=reject, adkim=strict → adkim=s, pct=100% → pct=100.",
			[]FixRecord{replaceRec("_dmarc.messy.example",
				"V=dmarc1; p = Reject; sp=rejected; adkim=strict; pct=100%; rua=mailto:a@messy.example, mailto:b@messy.example;;",
				"v=DMARC1; p=reject; sp=reject; adkim=s; pct=100; rua=mailto:a@messy.example,mailto:b@messy.example")}},
		{"v=DMARC1.0 with a missing semicolon is read as meant", "vdot.example",
			[]string{"dmarc.missing", "dmarc.syntax"}, CodeSyntax,
			"did you mean v=DMARC1?", "v=DMARC1.0 → v=DMARC1",
			[]FixRecord{replaceRec("_dmarc.vdot.example", "v=DMARC1.0 p=reject; rua=mailto:dmarc@vdot.example", "v=DMARC1; p=reject; rua=mailto:dmarc@vdot.example")}},
		{"a misspelt tag name is named as a typo", "tagtypo.example",
			[]string{"dmarc.unknown-tag"}, CodeUnknownTag,
			`Unknown tag "adkm" is a typo: did you mean adkim=s?`, "adkm=s → adkim=s",
			[]FixRecord{replaceRec("_dmarc.tagtypo.example", "v=DMARC1; p=reject; adkm=s; rua=mailto:dmarc@tagtypo.example", "v=DMARC1; p=reject; adkim=s; rua=mailto:dmarc@tagtypo.example")}},
		{"SPF at _dmarc is only deleted when the domain has its own", "spfboth.example",
			[]string{"dmarc.spf-at-dmarc"}, CodeSPFAtDMARC,
			"holds an SPF record", `already has its own SPF record ("v=spf1 mx -all"), which stays in place`,
			[]FixRecord{deleteRec("_dmarc.spfboth.example", "v=spf1 mx -all")}},
		{"SPF at _dmarc moves to a domain without one", "spfonly.example",
			[]string{"dmarc.missing", "dmarc.spf-at-dmarc"}, CodeSPFAtDMARC,
			"holds an SPF record", "has no SPF record of its own: publish this one there",
			[]FixRecord{publishRec("spfonly.example", "v=spf1 mx -all"), deleteRec("_dmarc.spfonly.example", "v=spf1 mx -all")}},
		{"a domain that receives mail gets rua at itself", "nodmarc.example",
			[]string{"dmarc.missing"}, CodeMissing,
			"No DMARC policy applies", "with a mailbox dmarc-reports@nodmarc.example",
			[]FixRecord{publishRec("_dmarc.nodmarc.example", "v=DMARC1; p=none; rua=mailto:dmarc-reports@nodmarc.example")}},
		{"a null-MX domain gets the parked record and no rua", "parked.example",
			[]string{"dmarc.missing"}, CodeMissing,
			"No DMARC policy applies", "--profile parked",
			[]FixRecord{publishRec("_dmarc.parked.example", "v=DMARC1; p=reject; sp=reject; np=reject")}},
		{"a domain that cannot receive mail gets no rua at itself", "nomail.example",
			[]string{"dmarc.missing"}, CodeMissing,
			"No DMARC policy applies", "add rua=mailto: with a mailbox at a domain that receives mail",
			[]FixRecord{publishRec("_dmarc.nomail.example", "v=DMARC1; p=none")}},
		{"of two records the stronger is kept and the other's rua carried over", "two.example",
			[]string{"dmarc.missing", "dmarc.multiple-records"}, CodeMultipleRecords,
			"has 2 DMARC records", `Keep "v=DMARC1; p=reject" at _dmarc.two.example, the strongest valid policy`,
			[]FixRecord{
				deleteRec("_dmarc.two.example", "v=DMARC1; p=none; rua=mailto:dmarc@two.example"),
				replaceRec("_dmarc.two.example", "v=DMARC1; p=reject", "v=DMARC1; p=reject; rua=mailto:dmarc@two.example")}},
		{"a misspelt copy beside the record in force is deleted, whatever its policy", "stray.example",
			[]string{"dmarc.syntax"}, CodeSyntax,
			"did you mean v=DMARC1?", "the record receivers apply now",
			[]FixRecord{deleteRec("_dmarc.stray.example", "v=dmarc1; p=none")}},
		{"p=none is raised to quarantine and every other byte kept", "pnone.example",
			[]string{"dmarc.policy-none"}, CodePolicyNone,
			"The policy for pnone.example is none", "publish p=quarantine",
			[]FixRecord{replaceRec("_dmarc.pnone.example", "v=DMARC1;p=none;  rua=mailto:dmarc@pnone.example; adkim=s", "v=DMARC1;p=quarantine;  rua=mailto:dmarc@pnone.example; adkim=s")}},
		{"np=none is raised to reject", "npnone.example",
			[]string{"dmarc.subdomain-policy-none"}, CodeSubdomainPolicyNone,
			"non-existent subdomains is none", "np=reject",
			[]FixRecord{replaceRec("_dmarc.npnone.example", "v=DMARC1; p=reject; np=none; rua=mailto:dmarc@npnone.example", "v=DMARC1; p=reject; np=reject; rua=mailto:dmarc@npnone.example")}},
		{"a value with no close match has no fix to paste", "pblock.example",
			[]string{"dmarc.invalid-value"}, CodeInvalidValue,
			`p="block" is not valid (want none, quarantine or reject)`, "Write p as one of: none, quarantine, reject.",
			nil},
		{"a record behind a CNAME is fixed where it is published", "hosted.example",
			[]string{"dmarc.invalid-value"}, CodeInvalidValue,
			"did you mean adkim=s?", "where _dmarc.hosted.example points by CNAME",
			[]FixRecord{replaceRec("hosted.policies.provider.example",
				"v=DMARC1; p=quarantine; adkim=Strict; rua=mailto:dmarc@hosted.example",
				"v=DMARC1; p=quarantine; adkim=s; rua=mailto:dmarc@hosted.example")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check(context.Background(), srv.Resolver(t), tt.domain)
			require.NoError(t, err)
			assert.Equal(t, tt.codes, findingCodes(res.Findings))
			var f *Finding
			for i := range res.Findings {
				if res.Findings[i].Code == tt.code {
					f = &res.Findings[i]
					break
				}
			}
			require.NotNil(t, f, "no %s finding", tt.code)
			assert.Contains(t, f.Message, tt.message)
			assert.Contains(t, f.Fix, tt.fix)
			assert.Equal(t, tt.records, f.FixRecords)
		})
	}
}

func TestCheckFixesOfTheFindingsZone(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	tests := []struct {
		name    string
		domain  string
		code    Code
		records []FixRecord
	}{
		{"t=y is removed and nothing else", "testing.example", CodeTesting,
			[]FixRecord{replaceRec("_dmarc.testing.example", "v=DMARC1; p=reject; t=y; rua=mailto:dmarc@ok.example", "v=DMARC1; p=reject; rua=mailto:dmarc@ok.example")}},
		{"sp=none is raised one step", "subnone.example", CodeSubdomainPolicyNone,
			[]FixRecord{replaceRec("_dmarc.subnone.example", "v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@ok.example", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@ok.example")}},
		{"a missing rua is added at a policy domain that receives mail", "norua.example", CodeNoRUA,
			[]FixRecord{replaceRec("_dmarc.norua.example", "v=DMARC1; p=reject", "v=DMARC1; p=reject; rua=mailto:dmarc-reports@norua.example")}},
		{"pct below 100 is removed by the pct-partial fix", "legacy.example", CodePctPartial,
			[]FixRecord{replaceRec("_dmarc.legacy.example", "v=DMARC1; p=reject; pct=50; rf=afrf; ri=86400; rua=mailto:dmarc@ok.example", "v=DMARC1; p=reject; rf=afrf; ri=86400; rua=mailto:dmarc@ok.example")}},
		{"a missing p is written right after v", "nop.example", CodePolicyNone,
			[]FixRecord{replaceRec("_dmarc.nop.example", "v=DMARC1; rua=mailto:dmarc@ok.example", "v=DMARC1; p=quarantine; rua=mailto:dmarc@ok.example")}},
		{"a duplicate tag keeps its first value", "dup.example", CodeDuplicateTag,
			[]FixRecord{replaceRec("_dmarc.dup.example", "v=DMARC1; p=reject; p=none; rua=mailto:dmarc@ok.example", "v=DMARC1; p=reject; rua=mailto:dmarc@ok.example")}},
		{"a missing semicolon after the version is restored", "notparsed.example", CodeSyntax,
			[]FixRecord{replaceRec("_dmarc.notparsed.example", "v=DMARC1 p=reject", "v=DMARC1; p=reject")}},
		{"an external destination is authorized at the report receiver", "extunauth.example", CodeExternalUnauthorized,
			[]FixRecord{publishRec("extunauth.example._report._dmarc.reports.example", "v=DMARC1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Check(context.Background(), srv.Resolver(t), tt.domain)
			require.NoError(t, err)
			for _, f := range res.Findings {
				if f.Code == tt.code {
					assert.Equal(t, tt.records, f.FixRecords, f.Fix)
					return
				}
			}
			t.Fatalf("no %s finding in %v", tt.code, findingCodes(res.Findings))
		})
	}
}

func TestFixRecordsNeverForADNSFailure(t *testing.T) {
	srv := startZone(t, "dmarc-findings.zone")
	srv.SetFault("_dmarc.missing.example", dns.TypeTXT, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	res, err := Check(context.Background(), srv.Resolver(t), "missing.example")
	require.NoError(t, err)
	for _, f := range res.Findings {
		assert.Empty(t, f.FixRecords, "%s: nothing is published on an unknown", f.Code)
	}
}

func TestSetTagAndRemoveTagKeepEveryOtherByte(t *testing.T) {
	v, ok := setTag("v=DMARC1;p=none ;  rua=mailto:a@example.com", "p", "quarantine")
	require.True(t, ok)
	assert.Equal(t, "v=DMARC1;p=quarantine ;  rua=mailto:a@example.com", v)
	v, ok = setTag("v=DMARC1; rua=mailto:a@example.com", "p", "quarantine")
	require.True(t, ok)
	assert.Equal(t, "v=DMARC1; p=quarantine; rua=mailto:a@example.com", v, "p goes right after v")
	v, ok = setTag("v=DMARC1; p=reject;", "rua", "mailto:a@example.com")
	require.True(t, ok)
	assert.Equal(t, "v=DMARC1; p=reject; rua=mailto:a@example.com", v)
	v, ok = removeTag("v=DMARC1; p=reject; t=y; rua=mailto:a@example.com", "t")
	require.True(t, ok)
	assert.Equal(t, "v=DMARC1; p=reject; rua=mailto:a@example.com", v)
	v, ok = removeTag("v=DMARC1; p=reject; t=y", "t")
	require.True(t, ok)
	assert.Equal(t, "v=DMARC1; p=reject", v)
	_, ok = removeTag("v=dmarc1; t=y", "t")
	assert.False(t, ok, "not a record")
}

// zoneDomains lists the domains a zone file describes: every owner name, with the
// labels up to the last one that starts with "_" (_dmarc, _report) taken off.
func zoneDomains(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	zp := dns.NewZoneParser(f, ".", file)
	seen := map[string]bool{}
	var out []string
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		labels := dns.SplitDomainName(strings.ToLower(rr.Header().Name))
		for i := len(labels) - 1; i >= 0; i-- {
			if strings.HasPrefix(labels[i], "_") {
				labels = labels[i+1:]
				break
			}
		}
		name := strings.Join(labels, ".")
		if name == "" || strings.Contains(name, "*") || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	require.NoError(t, zp.Err())
	return out
}

var offsets = regexp.MustCompile(`\s*\(?at offset \d+\)?`)

// findingKey identifies a finding across a fix: its code, where, and its message
// without byte offsets (which move when a record is edited).
func findingKey(f Finding) string {
	name := ""
	if f.Evidence != nil {
		name = f.Evidence.Name
	}
	return string(f.Code) + " " + name + " " + offsets.ReplaceAllString(f.Message, "")
}

// announced are the findings a fix's own record states by design, named in its prose:
// a first record with p=none (monitoring first) brings dmarc.policy-none, and one
// without rua, for a domain that cannot receive the reports, brings dmarc.no-rua.
func announced(f Finding) map[Code]bool {
	out := map[Code]bool{}
	for _, fr := range f.FixRecords {
		if fr.Action == finding.Delete || !IsDMARC(fr.Value) {
			continue
		}
		rec, err := Parse(fr.Value)
		if err != nil {
			continue
		}
		if rec.Policy == None && strings.Contains(f.Fix, "p=none") {
			out[CodePolicyNone] = true
		}
		if len(rec.AggregateURIs) == 0 && strings.Contains(f.Fix, "add rua=mailto:") {
			out[CodeNoRUA] = true
		}
	}
	return out
}

// TestFixRecordsRoundTrip applies every DMARC finding's fix_records, for every domain
// of every zone under testdata/zones, and checks again: the finding is gone and no new
// warning or error appears (but for what the fix announces it publishes).
func TestFixRecordsRoundTrip(t *testing.T) {
	files, err := filepath.Glob("../testdata/zones/*.zone")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	ctx := context.Background()
	fixes := 0
	for _, file := range files {
		z, err := dnscheck.LoadZoneFile(file)
		require.NoError(t, err)
		for _, d := range zoneDomains(t, file) {
			res, err := Check(ctx, dnscheck.NewZoneResolver(z), d)
			if err != nil {
				continue // not a domain name Check accepts
			}
			before := map[string]bool{}
			for _, f := range res.Findings {
				before[findingKey(f)] = true
			}
			for _, f := range res.Findings {
				if len(f.FixRecords) == 0 {
					continue
				}
				fixes++
				t.Run(filepath.Base(file)+": the fix of "+string(f.Code)+" on "+d+" makes it go and nothing new appears", func(t *testing.T) {
					fixed, err := z.ApplyFixRecords(f.FixRecords)
					require.NoError(t, err, "the fix names records the zone does not hold")
					after, err := Check(ctx, dnscheck.NewZoneResolver(fixed), d)
					require.NoError(t, err)
					allowed := announced(f)
					for _, g := range after.Findings {
						assert.NotEqual(t, findingKey(f), findingKey(g), "the finding is still there after its fix %v", f.FixRecords)
						if g.Severity.Rank() >= finding.Warning.Rank() && !before[findingKey(g)] {
							assert.True(t, allowed[g.Code], "the fix %v brings a new %s %s: %s", f.FixRecords, g.Severity, g.Code, g.Message)
						}
					}
				})
			}
		}
	}
	assert.Greater(t, fixes, 30, "the zones hold the fixes under test")
}

func TestTheParkedRecordRejectsForRFC7489AndRFC9989Receivers(t *testing.T) {
	z, err := dnscheck.LoadZoneFile("../testdata/zones/fixes-dmarc.zone")
	require.NoError(t, err)
	ctx := context.Background()
	res, err := Check(ctx, dnscheck.NewZoneResolver(z), "parked.example")
	require.NoError(t, err)
	require.Len(t, res.Findings, 1)
	fixed, err := z.ApplyFixRecords(res.Findings[0].FixRecords)
	require.NoError(t, err)
	for _, d := range []string{"parked.example", "gone.parked.example"} {
		after, err := Check(ctx, dnscheck.NewZoneResolver(fixed), d)
		require.NoError(t, err)
		for name, o := range map[string]Outcome{"RFC 9989": after.Discovery.RFC9989, "RFC 7489": after.Discovery.RFC7489} {
			assert.True(t, o.Applies, "%s %s", name, d)
			assert.Equal(t, Reject, o.Policy, "%s %s", name, d)
			assert.Equal(t, Reject, o.SubdomainPolicy, "%s %s", name, d)
			assert.Equal(t, Reject, o.NonexistentPolicy, "%s %s: np for RFC 9989, sp for RFC 7489", name, d)
		}
	}
}
