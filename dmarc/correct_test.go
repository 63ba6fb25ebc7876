package dmarc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCorrectedKeepsTheOwnersIntent(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		typos []string // the typo changes, "from → to"
	}{
		{"p=rejected becomes p=reject and every other tag stays",
			"v=DMARC1; p=rejected; sp=quarantine; adkim=s; rua=mailto:d@example.com",
			"v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:d@example.com", []string{"p=rejected → p=reject"}},
		{"a rua without mailto: gains it",
			"v=DMARC1; p=reject; rua=dmarc@example.com",
			"v=DMARC1; p=reject; rua=mailto:dmarc@example.com", []string{"dmarc@example.com → mailto:dmarc@example.com"}},
		{"v goes first and p second, the rest in the owner's order",
			"rua=mailto:d@example.com; p=quarantine; v=DMARC1; adkim=s",
			"v=DMARC1; p=quarantine; rua=mailto:d@example.com; adkim=s", nil},
		{"a lower-case version is a typo of DMARC1",
			"V=dmarc1; p=none", "v=DMARC1; p=none", []string{"V=dmarc1 → v=DMARC1"}},
		{"a transposed version is a typo of DMARC1", "v=DMRAC1; p=none", "v=DMARC1; p=none", []string{"v=DMRAC1 → v=DMARC1"}},
		{"a version with a suffix and a missing semicolon is read as meant",
			"v=DMARC1.0 p=reject", "v=DMARC1; p=reject", []string{"v=DMARC1.0 → v=DMARC1"}},
		{"spaces around = and upper-case values are written plainly",
			"v=DMARC1; p = Reject", "v=DMARC1; p=reject", nil},
		{"an empty tag between semicolons is dropped and a trailing one too",
			"v=DMARC1;; p=none;;", "v=DMARC1; p=none", nil},
		{"rua URIs lose the spaces around their commas",
			"v=DMARC1; p=none; rua=mailto:a@example.com , mailto:b@example.com",
			"v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.com", nil},
		{"URIs separated by spaces get commas",
			"v=DMARC1; p=none; rua=mailto:a@example.com mailto:b@example.com",
			"v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.com", nil},
		{"a URI list cut by a semicolon is joined again",
			"v=DMARC1; p=none; rua=mailto:a@example.com; mailto:b@example.com",
			"v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.com", nil},
		{"a space after mailto: is removed",
			"v=DMARC1; p=none; rua=mailto: a@example.com", "v=DMARC1; p=none; rua=mailto:a@example.com", nil},
		{"sp=rejected, adkim=strict and pct=100% are typos",
			"v=DMARC1; p=reject; sp=rejected; adkim=strict; pct=100%",
			"v=DMARC1; p=reject; sp=reject; adkim=s; pct=100",
			[]string{"sp=rejected → sp=reject", "adkim=strict → adkim=s", "pct=100% → pct=100"}},
		{"a misspelt tag name is renamed", "v=DMARC1; p=reject; adkm=s", "v=DMARC1; p=reject; adkim=s", []string{"adkm=s → adkim=s"}},
		{"quarantine misspelt is found by edit distance", "v=DMARC1; p=qurantine", "v=DMARC1; p=quarantine", []string{"p=qurantine → p=quarantine"}},
		{"t=yes means t=y", "v=DMARC1; p=reject; t=yes", "v=DMARC1; p=reject; t=y", []string{"t=yes → t=y"}},
		{"fo options separated by commas get colons", "v=DMARC1; p=none; ruf=mailto:f@example.com; fo=1,d", "v=DMARC1; p=none; ruf=mailto:f@example.com; fo=1:d", []string{"fo=1,d → fo=1:d"}},
		{"p:reject is read as p=reject", "v=DMARC1; p:reject", "v=DMARC1; p=reject", nil},
		{"an unknown tag that is no typo is removed", "v=DMARC1; p=reject; foo=bar", "v=DMARC1; p=reject", nil},
		{"a duplicate tag keeps its first value", "v=DMARC1; p=reject; p=none", "v=DMARC1; p=reject", nil},
		{"a missing p is written as the none receivers apply", "v=DMARC1; rua=mailto:a@example.com", "v=DMARC1; p=none; rua=mailto:a@example.com", nil},
		{"a leading semicolon is removed", ";v=DMARC1;p=none", "v=DMARC1; p=none", nil},
		{"leading whitespace is removed", "  v=DMARC1; p=none", "v=DMARC1; p=none", nil},
		{"a control character is removed", "v=DMARC1; p=none; rua=mailto:a@example.com\x01", "v=DMARC1; p=none; rua=mailto:a@example.com", nil},
		{"a URI that cannot be repaired is removed", "v=DMARC1; p=none; rua=mailto:a@example.com,bogus", "v=DMARC1; p=none; rua=mailto:a@example.com", nil},
		{"a value with no close match is left for the owner", "v=DMARC1; p=block", "v=DMARC1; p=block", nil},
		{"a correct record is returned byte for byte", "v=DMARC1;p=reject;rua=mailto:a@example.com;", "v=DMARC1;p=reject;rua=mailto:a@example.com;", nil},
		{"legacy tags are kept: pct=50 is the owner's choice", "v=DMARC1; p=reject; pct=50", "v=DMARC1; p=reject; pct=50", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := Corrected(tt.in)
			require.True(t, ok)
			assert.Equal(t, tt.want, c.Record)
			var typos []string
			for _, ch := range c.Typos() {
				typos = append(typos, ch.From+" → "+ch.To)
				assert.Contains(t, ch.Why, "did you mean")
			}
			assert.Equal(t, tt.typos, typos)
			assert.Equal(t, tt.in != tt.want, c.Changed())
			rec, err := Parse(c.Record)
			require.NoError(t, err)
			for _, is := range rec.Issues {
				if is.Code == CodeInvalidValue {
					assert.Contains(t, c.Open, is.Tag, "an invalid value left in place is reported open")
					continue
				}
				assert.Contains(t, []Code{CodeLegacyTag, CodePctPartial}, is.Code, "%s is left: %s", is.Code, is.Message)
			}
		})
	}
}

func TestCorrectedRefusesWhatIsNotDMARC(t *testing.T) {
	for _, in := range []string{"", "v=spf1 -all", "google-site-verification=abc", "p=reject; rua=mailto:a@example.com", ";;;"} {
		_, ok := Corrected(in)
		assert.False(t, ok, in)
	}
}

func TestCorrectedNamesNoGuessBetweenTwoTags(t *testing.T) {
	// "ruu" is one edit from both rua and ruf: no guess, the tag is removed.
	c, ok := Corrected("v=DMARC1; p=none; ruu=mailto:a@example.com")
	require.True(t, ok)
	assert.Equal(t, "v=DMARC1; p=none", c.Record)
	assert.Empty(t, c.Typos())
}

// FuzzCorrected: Corrected never panics; what it returns for a DMARC-like text parses,
// is its own correction (idempotent) and has no problem left but the open values the
// owner must choose and the legacy tags the owner wrote.
func FuzzCorrected(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=rejected; rua=dmarc@example.com",
		"p=quarantine; v=DMARC1",
		"V=dmarc1; p = Reject; sp=rejected; adkim=strict; pct=100%; rua=mailto:a@x.example, mailto:b@x.example;;",
		"v=DMARC1.0 p=reject",
		"v=DMARC1; p=block; foo=bar; adkm=s; fo=1,d; t=yes",
		" v=DMARC1;\r\n p=none; rua=mailto:a@example.com; mailto:b@example.com",
		"v=spf1 -all",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := Corrected(s)
		if !ok {
			return
		}
		rec, err := Parse(c.Record)
		if err != nil {
			t.Fatalf("Corrected(%q) = %q does not parse: %v", s, c.Record, err)
		}
		again, ok := Corrected(c.Record)
		if !ok || again.Changed() || again.Record != c.Record {
			t.Fatalf("Corrected is not idempotent: %q -> %q -> %q %v", s, c.Record, again.Record, again.Changes)
		}
		for _, is := range rec.Issues {
			switch is.Code {
			case CodeInvalidValue:
				found := false
				for _, o := range c.Open {
					found = found || o == is.Tag
				}
				if !found {
					t.Fatalf("Corrected(%q) = %q: %s not listed open", s, c.Record, is.Message)
				}
			case CodeLegacyTag, CodePctPartial, CodeURISizeSuffix, CodeNonMailtoURI, CodeTooManyURIs, CodeFoWithoutRUF:
				// The owner's choices, valid as written.
			default:
				t.Fatalf("Corrected(%q) = %q still has %s: %s", s, c.Record, is.Code, is.Message)
			}
		}
	})
}
