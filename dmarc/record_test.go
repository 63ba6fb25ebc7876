package dmarc

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func codes(issues []Issue) []string {
	var out []string
	for _, i := range issues {
		out = append(out, string(i.Code))
	}
	return out
}

func TestParseReadsEveryTag(t *testing.T) {
	r, err := Parse("v=DMARC1; p=Reject; sp=quarantine; np=none; adkim=s; aspf=S; psd=n; t=y; " +
		"rua=mailto:agg@example.com, mailto:dmarc%2Breports@thirdparty.example.net!10m; ruf=mailto:fail@example.com; fo=1:d")
	require.NoError(t, err)
	assert.Empty(t, codes(r.Issues)[:0])
	assert.Equal(t, Reject, r.Policy)
	assert.Equal(t, Quarantine, r.SubdomainPolicy)
	assert.Equal(t, None, r.NonexistentPolicy)
	assert.Equal(t, Strict, r.DKIMAlignment)
	assert.Equal(t, Strict, r.SPFAlignment)
	assert.Equal(t, PSDNo, r.PSD)
	assert.True(t, r.Testing)
	assert.Equal(t, []string{"1", "d"}, r.FailureOptions)
	require.Len(t, r.AggregateURIs, 2)
	assert.Equal(t, "agg@example.com", r.AggregateURIs[0].Address)
	assert.Equal(t, "dmarc+reports@thirdparty.example.net", r.AggregateURIs[1].Address)
	assert.Equal(t, "thirdparty.example.net", r.AggregateURIs[1].Host)
	assert.Equal(t, "10m", r.AggregateURIs[1].Size)
	assert.Equal(t, uint64(10<<20), r.AggregateURIs[1].MaxBytes)
	assert.Equal(t, []string{"dmarc.uri-size-suffix"}, codes(r.Issues))
	for _, tag := range []string{"v", "p", "sp", "np", "adkim", "aspf", "psd", "t", "rua", "ruf", "fo"} {
		assert.True(t, r.Explicit(tag), tag)
	}
}

func TestParseFillsDefaults(t *testing.T) {
	r, err := Parse("v=DMARC1; p=quarantine")
	require.NoError(t, err)
	assert.Empty(t, r.Issues)
	assert.Equal(t, Quarantine, r.SubdomainPolicy, "sp defaults to p")
	assert.Equal(t, Quarantine, r.NonexistentPolicy, "np defaults to sp")
	assert.Equal(t, Relaxed, r.DKIMAlignment)
	assert.Equal(t, PSDUnknown, r.PSD)
	assert.False(t, r.Testing)
	assert.False(t, r.Explicit("sp"))
	assert.Equal(t, 100, r.Percent)

	r, err = Parse("v=DMARC1; p=reject; sp=none")
	require.NoError(t, err)
	assert.Equal(t, None, r.NonexistentPolicy, "np defaults to sp when sp is given")
}

func TestParseReportsProblems(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		codes  []string
		offset int // of the first issue
	}{
		{"a missing p is treated as none and reported", "v=DMARC1; rua=mailto:a@example.com", []string{"dmarc.missing-p"}, 34},
		{"p after another tag is reported for RFC 7489 parsers", "v=DMARC1; rua=mailto:a@example.com; p=none", []string{"dmarc.p-not-second"}, 36},
		{"an unknown tag is ignored with a warning", "v=DMARC1; p=none; foo=bar", []string{"dmarc.unknown-tag"}, 18},
		{"a duplicate tag is an error", "v=DMARC1; p=none; p=reject", []string{"dmarc.duplicate-tag"}, 18},
		{"an invalid policy value is an error, and p is not missing", "v=DMARC1; p=rejct", []string{"dmarc.invalid-value"}, 10},
		{"an empty value is invalid", "v=DMARC1; p=none; adkim=", []string{"dmarc.invalid-value"}, 18},
		{"fo with both 0 and 1 is invalid", "v=DMARC1; p=none; fo=0:1", []string{"dmarc.invalid-value"}, 18},
		{"t must be y or n", "v=DMARC1; p=none; t=yes", []string{"dmarc.invalid-value"}, 18},
		{"psd must be y, n or u", "v=DMARC1; p=none; psd=x", []string{"dmarc.invalid-value"}, 18},
		{"pct, rf and ri are legacy tags", "v=DMARC1; p=none; pct=100; rf=afrf; ri=3600", []string{"dmarc.legacy-tag", "dmarc.legacy-tag", "dmarc.legacy-tag"}, 18},
		{"pct below 100 is reported", "v=DMARC1; p=reject; pct=20", []string{"dmarc.legacy-tag", "dmarc.pct-partial"}, 20},
		{"pct above 100 is invalid", "v=DMARC1; p=reject; pct=101", []string{"dmarc.legacy-tag", "dmarc.invalid-value"}, 20},
		{"a URI without scheme is invalid", "v=DMARC1; p=none; rua=reports@example.com", []string{"dmarc.invalid-uri"}, 22},
		{"a bad %-escape is invalid", "v=DMARC1; p=none; rua=mailto:a%zz@example.com", []string{"dmarc.invalid-uri"}, 22},
		{"a bad size suffix is invalid", "v=DMARC1; p=none; rua=mailto:a@example.com!10x", []string{"dmarc.invalid-uri"}, 22},
		{"the second URI's offset is reported", "v=DMARC1; p=none; rua=mailto:a@example.com, bad", []string{"dmarc.invalid-uri"}, 44},
		{"a size suffix is noted", "v=DMARC1; p=none; rua=mailto:a@example.com!50k", []string{"dmarc.uri-size-suffix"}, 22},
		{"more than two URIs are reported", "v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.com,mailto:c@example.com", []string{"dmarc.too-many-uris"}, 18},
		{"an https URI is reported as not mailto", "v=DMARC1; p=none; rua=https://reports.example.com/dmarc", []string{"dmarc.non-mailto-uri"}, 22},
		{"leading whitespace is reported", " v=DMARC1; p=none", []string{"dmarc.leading-whitespace"}, 0},
		{"an empty tag between semicolons is a syntax problem", "v=DMARC1;; p=none", []string{"dmarc.syntax"}, 9},
		{"a bad character is a syntax error with its offset", "v=DMARC1; p=none; rua=mailto:a@example.com\x01", []string{"dmarc.syntax"}, 42},
		{"a line break is a syntax error", "v=DMARC1; p=none;\r\n rua=mailto:a@example.com", []string{"dmarc.syntax"}, 17},
		{"fo without ruf is noted", "v=DMARC1; p=none; fo=1", []string{"dmarc.fo-without-ruf"}, 18},
		{"a trailing semicolon and whitespace are fine", "v=DMARC1; p=none; ", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.codes, codes(r.Issues))
			if len(tt.codes) > 0 {
				assert.Equal(t, tt.offset, r.Issues[0].Offset)
			}
		})
	}
}

func TestParseRejectsNonDMARC(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
	}{
		{"an SPF record is not DMARC", "v=spf1 -all", 0},
		{"a lower-case version is not DMARC1", "v=dmarc1; p=none", 0},
		{"v must be first", "p=none; v=DMARC1", 0},
		{"an empty record is not DMARC", "", 0},
		{"a record starting with a semicolon is not DMARC", ";v=DMARC1", 0},
		{"a line break in the version tag is not DMARC", "v=\r\n DMARC1; p=none", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrNotDMARC))
			var se *SyntaxError
			require.True(t, errors.As(err, &se))
			assert.Equal(t, tt.offset, se.Offset)
		})
	}
}

func TestIsDMARC(t *testing.T) {
	assert.True(t, IsDMARC("v=DMARC1"))
	assert.True(t, IsDMARC("v = DMARC1 ; p=none"))
	assert.True(t, IsDMARC(" V=DMARC1;"))
	assert.False(t, IsDMARC("v=DMARC10"))
	assert.False(t, IsDMARC("v=dmarc1"))
	assert.False(t, IsDMARC("v=spf1 -all"))
}

func TestSettingsShowExplicitAndDefault(t *testing.T) {
	r, err := Parse("v=DMARC1; p=reject; rua=mailto:d@example.com")
	require.NoError(t, err)
	byTag := map[string]Setting{}
	for _, s := range r.Settings() {
		byTag[s.Tag] = s
	}
	assert.Equal(t, Setting{Tag: "p", Value: "reject", Explicit: true, Meaning: meanings["p"]}, byTag["p"])
	assert.Equal(t, Setting{Tag: "sp", Value: "reject", Explicit: false, Meaning: meanings["sp"]}, byTag["sp"])
	assert.NotContains(t, byTag, "pct", "legacy tags appear only when written")
}

func TestSuggestedRecordFixesOrderAndLegacyTags(t *testing.T) {
	r, err := Parse("v=DMARC1; rua=mailto:d@example.com; pct=50; p=quarantine; foo=1")
	require.NoError(t, err)
	assert.Equal(t, "v=DMARC1; p=quarantine; rua=mailto:d@example.com", r.Suggested())
	assert.Equal(t, "v=DMARC1; p=quarantine; rua=mailto:d@example.com; pct=50", r.String())
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; aspf=r; psd=n; t=y; fo=1:d:s",
		"v=DMARC1; p=none; rua=mailto:a@example.com!10m, mailto:b%40x@example.net; ruf=mailto:f@example.com",
		"v=DMARC1; pct=20; rf=afrf; ri=3600; p=quarantine",
		"v=DMARC1;; p=none; foo=bar; p=reject",
		" v = DMARC1 ; p = none ;",
		"v=DMARC1; rua=https://r.example.com/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("bad error for %q: %v", s, err)
			}
			return
		}
		for _, is := range r.Issues {
			if is.Offset < 0 || is.Offset > len(s) {
				t.Fatalf("issue offset %d outside %q", is.Offset, s)
			}
		}
		// Round trip: the canonical form parses to the same settings and is stable.
		canon := r.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if fmt.Sprint(again.Settings()) != fmt.Sprint(r.Settings()) {
			t.Fatalf("round trip of %q changed settings:\n%v\n%v", s, r.Settings(), again.Settings())
		}
		if again.String() != canon {
			t.Fatalf("canonical form is not stable: %q -> %q", canon, again.String())
		}
		if _, err := Parse(r.Suggested()); err != nil {
			t.Fatalf("suggested record %q does not parse: %v", r.Suggested(), err)
		}
	})
}

func ExampleParse() {
	r, err := Parse("v=DMARC1; p=reject; rua=mailto:dmarc@example.com!10m")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range r.Settings()[:4] {
		fmt.Printf("%s=%s explicit=%v\n", s.Tag, s.Value, s.Explicit)
	}
	fmt.Println(r.AggregateURIs[0].Address, r.AggregateURIs[0].MaxBytes)
	// Output:
	// v=DMARC1 explicit=true
	// p=reject explicit=true
	// sp=reject explicit=false
	// np=reject explicit=false
	// dmarc@example.com 10485760
}

func TestParseRFC9989Examples(t *testing.T) {
	// RFC 9989 Appendix B.2 and B.3.1, with the TXT strings joined.
	tests := []struct {
		name   string
		record string
		policy Policy
		rua    int
		ruf    int
	}{
		{"B.2.1 monitoring mode", "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com", None, 1, 0},
		{"B.2.2 per-message failure reports", "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; ruf=mailto:auth-reports@example.com", None, 1, 1},
		{"B.2.3 failure reports to a third party", "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com; ruf=mailto:auth-reports@thirdparty.example.net", None, 1, 1},
		{"B.2.5 testing with two aggregate URIs", "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net; t=y", Quarantine, 2, 0},
		{"B.2.5 after testing", "v=DMARC1; p=reject; rua=mailto:dmarc-feedback@example.com,mailto:tld-test@thirdparty.example.net", Reject, 2, 0},
		{"B.3.1 the receiver example", "v=DMARC1; p=reject; aspf=r; rua=mailto:dmarc-feedback@example.com", Reject, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.record)
			require.NoError(t, err)
			assert.Empty(t, r.Issues)
			assert.Equal(t, tt.policy, r.Policy)
			assert.Len(t, r.AggregateURIs, tt.rua)
			assert.Len(t, r.FailureURIs, tt.ruf)
		})
	}
}
