package dnscheck

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/internal/finding"
)

func mxFinding(fs []finding.Finding, code finding.Code) *finding.Finding {
	for i := range fs {
		if fs[i].Code == code {
			return &fs[i]
		}
	}
	return nil
}

// TestMXFixes checks each MX fix of testdata/zones/fixes-spf.zone, then applies its
// fix_records and checks again: the finding is gone and no new warning or error appears.
func TestMXFixes(t *testing.T) {
	z, err := LoadZoneFile("../testdata/zones/fixes-spf.zone")
	require.NoError(t, err)
	mx := func(action finding.FixAction, name, replaces, value string) finding.FixRecord {
		return finding.FixRecord{Action: action, Name: name, Type: "MX", Replaces: replaces, Value: value}
	}
	for _, tc := range []struct {
		name, domain string
		code         finding.Code
		fix          string
		records      []finding.FixRecord
	}{
		{"an alias MX target is pointed at its canonical name", "mxcname.fixes.example", CodeMXCNAME,
			"MX 10 mail.own.fixes.example.",
			[]finding.FixRecord{mx(finding.Replace, "mxcname.fixes.example", "10 alias.mxcname.fixes.example.", "10 mail.own.fixes.example.")}},
		{"an alias of a host already in the MX set is deleted, not duplicated", "mxcnamedup.fixes.example", CodeMXCNAME,
			"its canonical name mail.own.fixes.example. is in the MX set already",
			[]finding.FixRecord{mx(finding.Delete, "mxcnamedup.fixes.example", "10 alias.mxcname.fixes.example.", "")}},
		{"a host listed twice keeps its most preferred record", "mxdup.fixes.example", CodeMXDuplicate,
			"keep mxdup.fixes.example. MX 10 mail.own.fixes.example.",
			[]finding.FixRecord{mx(finding.Delete, "mxdup.fixes.example", "20 mail.own.fixes.example.", "")}},
		{"a null MX beside mail servers is deleted", "mxnullmix.fixes.example", CodeMXNullConflict,
			`Delete the "0 ." MX record`,
			[]finding.FixRecord{mx(finding.Delete, "mxnullmix.fixes.example", "0 .", "")}},
		{"an IP address as MX target gets a host name with that address", "mxlit.fixes.example", CodeMXIPLiteral,
			"mail.mxlit.fixes.example. A 93.184.215.26",
			[]finding.FixRecord{
				{Action: finding.Publish, Name: "mail.mxlit.fixes.example", Type: "A", Value: "93.184.215.26"},
				mx(finding.Replace, "mxlit.fixes.example", "10 93.184.215.26.", "10 mail.mxlit.fixes.example."),
			}},
		{"no MX but an address names the domain itself, as delivery works today", "mxnone.fixes.example", CodeMXMissing,
			"MX 10 mxnone.fixes.example.",
			[]finding.FixRecord{mx(finding.Publish, "mxnone.fixes.example", "", "10 mxnone.fixes.example.")}},
		{"no MX and no address gets advice but no record: receive mail or not is the owner's call", "mxnothing.fixes.example", CodeMXMissing,
			"null MX", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			before, err := MX(ctx, NewZoneResolver(z), tc.domain)
			require.NoError(t, err)
			f := mxFinding(before.Findings, tc.code)
			require.NotNil(t, f, "findings: %v", before.Findings)
			assert.Contains(t, f.Fix, tc.fix)
			assert.Equal(t, tc.records, f.FixRecords)
			if f.FixRecords == nil {
				return
			}
			fixed, err := z.ApplyFixRecords(f.FixRecords)
			require.NoError(t, err)
			after, err := MX(ctx, NewZoneResolver(fixed), tc.domain)
			require.NoError(t, err)
			assert.Nil(t, mxFinding(after.Findings, tc.code), "the finding is gone")
			had := map[finding.Code]bool{}
			for _, b := range before.Findings {
				had[b.Code] = true
			}
			for _, a := range after.Findings {
				if a.Severity.Rank() >= finding.Warning.Rank() {
					assert.True(t, had[a.Code], "new %s after the fix: %s", a.Code, a.Message)
				}
			}
		})
	}
}
