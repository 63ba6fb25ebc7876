package taglist

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseAcceptsValidLists(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Tag
	}{
		{"a single tag parses", "v=DMARC1", []Tag{{Name: "v", Value: "DMARC1", Offset: 0, ValueOffset: 2}}},
		{"a trailing semicolon is allowed", "v=1;", []Tag{{Name: "v", Value: "1", Offset: 0, ValueOffset: 2}}},
		{"whitespace after the trailing semicolon is allowed", "v=1; \t", []Tag{{Name: "v", Value: "1", Offset: 0, ValueOffset: 2}}},
		{"whitespace around the equals sign and semicolon is skipped", " a = 1 ;\tb=\t2 ", []Tag{
			{Name: "a", Value: "1", Offset: 1, ValueOffset: 5},
			{Name: "b", Value: "2", Offset: 9, ValueOffset: 12},
		}},
		{"an empty value is allowed", "a=;b=2", []Tag{
			{Name: "a", Value: "", Offset: 0, ValueOffset: 2},
			{Name: "b", Value: "2", Offset: 3, ValueOffset: 5},
		}},
		{"inner whitespace in a value is kept", "h=From : To", []Tag{{Name: "h", Value: "From : To", Offset: 0, ValueOffset: 2}}},
		{"folding whitespace is accepted and kept inside a value", "b=abc\r\n def;\r\n c=1", []Tag{
			{Name: "b", Value: "abc\r\n def", Offset: 0, ValueOffset: 2},
			{Name: "c", Value: "1", Offset: 15, ValueOffset: 17},
		}},
		{"tag names may contain digits and underscores", "x_1=y", []Tag{{Name: "x_1", Value: "y", Offset: 0, ValueOffset: 4}}},
		{"duplicate names are returned for the caller to judge", "p=none;p=reject", []Tag{
			{Name: "p", Value: "none", Offset: 0, ValueOffset: 2},
			{Name: "p", Value: "reject", Offset: 7, ValueOffset: 9},
		}},
		{"values may contain equals signs and commas", "rua=mailto:a@b.example!10m,mailto:x=y@c.example", []Tag{
			{Name: "rua", Value: "mailto:a@b.example!10m,mailto:x=y@c.example", Offset: 0, ValueOffset: 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseRejectsInvalidLists(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
		msg    string
	}{
		{"an empty string is an error", "", 0, "empty tag list"},
		{"whitespace alone is an error", "  ", 2, "empty tag list"},
		{"an empty tag-spec between semicolons is an error", "a=1;;b=2", 4, "empty tag-spec"},
		{"a leading semicolon is an error", ";a=1", 0, "empty tag-spec"},
		{"a missing equals sign is an error", "a=1; b", 6, `expected "=" after tag name "b", found the end`},
		{"a tag name must start with a letter", "1a=2", 0, "expected a tag name"},
		{"a tag name cannot contain a hyphen", "a-b=2", 1, `expected "="`},
		{"a control character in a value is an error", "a=x\x01y", 3, "byte 0x01"},
		{"a non-ASCII byte in a value is an error", "a=caf\xc3\xa9", 5, "byte 0xC3"},
		{"a bare LF is an error", "a=1;\nb=2", 4, "bare LF"},
		{"a CRLF not followed by whitespace is an error", "a=1\r\nb=2", 3, "CRLF followed by whitespace"},
		{"a lone CR inside a value is an error", "a=x\ry", 3, "CRLF followed by whitespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrSyntax))
			var pe *Error
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tt.offset, pe.Offset)
			assert.Contains(t, pe.Msg, tt.msg)
		})
	}
}

func TestFormatWritesCanonicalPairs(t *testing.T) {
	tags, err := Parse("v = DMARC1 ;p=reject;  rua=mailto:d@example.com;")
	require.NoError(t, err)
	assert.Equal(t, "v=DMARC1; p=reject; rua=mailto:d@example.com", Format(tags))
}

func TestParseIsLinearOnLongInput(t *testing.T) {
	in := strings.Repeat("a=b;", 100000)
	tags, err := Parse(in)
	require.NoError(t, err)
	assert.Len(t, tags, 100000)
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=reject; rua=mailto:d@example.com!10m",
		"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
		"a=1;;b=2", " a = 1 ; ", "b=abc\r\n def", "x_1=", "=", ";", "a=x\ry",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tags, err := Parse(s)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("bad error for %q: %v", s, err)
			}
			return
		}
		for _, tg := range tags {
			if !strings.HasPrefix(s[tg.Offset:], tg.Name) || !strings.HasPrefix(s[tg.ValueOffset:], tg.Value) {
				t.Fatalf("offsets of %+v do not point into %q", tg, s)
			}
		}
		// Round trip: formatting and parsing again keeps every name and value.
		again, err := Parse(Format(tags))
		if err != nil {
			t.Fatalf("Format(%q) = %q does not parse: %v", s, Format(tags), err)
		}
		if len(again) != len(tags) {
			t.Fatalf("round trip of %q changed the tag count", s)
		}
		for i := range tags {
			if again[i].Name != tags[i].Name || again[i].Value != tags[i].Value {
				t.Fatalf("round trip of %q changed tag %d: %+v -> %+v", s, i, tags[i], again[i])
			}
		}
	})
}

func ExampleParse() {
	tags, err := Parse("v=DMARC1; p = quarantine; rua=mailto:reports@example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range tags {
		fmt.Printf("%s=%q at %d\n", t.Name, t.Value, t.Offset)
	}
	_, err = Parse("v=DMARC1;; p=none")
	fmt.Println(err)
	// Output:
	// v="DMARC1" at 0
	// p="quarantine" at 10
	// rua="mailto:reports@example.com" at 26
	// taglist: at offset 9: empty tag-spec: expected a tag name before ";"
}
