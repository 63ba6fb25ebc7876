package mtasts

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRecord(t *testing.T) {
	good := []struct{ name, in, id string }{
		{"the RFC 8461 §3.1 example parses", "v=STSv1; id=20160831085700Z;", "20160831085700Z"},
		{"no space and no final semicolon parse", "v=STSv1;id=abc", "abc"},
		{"an extension field is kept", "v=STSv1; id=1; ext=va:lue", "1"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRecord(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.id, r.ID)
			again, err := ParseRecord(r.String())
			require.NoError(t, err)
			assert.Equal(t, r, again)
		})
	}
	bad := []struct{ name, in string }{
		{"a record without id is rejected", "v=STSv1;"},
		{"a lowercase version is rejected", "v=stsv1; id=1"},
		{"an id with a dash is rejected", "v=STSv1; id=2016-08-31"},
		{"an id over 32 characters is rejected", "v=STSv1; id=123456789012345678901234567890123"},
		{"two ids are rejected", "v=STSv1; id=1; id=2"},
		{"a field that is not name=value is rejected", "v=STSv1; id=1; junk"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRecord(tc.in)
			assert.Error(t, err)
		})
	}
	t.Run("records not starting with v=STSv1; are not MTA-STS records", func(t *testing.T) {
		assert.True(t, IsRecord("v=STSv1; id=1"))
		assert.True(t, IsRecord("v=STSv1 ;id=1"))
		assert.False(t, IsRecord("v=STSv10; id=1"))
		assert.False(t, IsRecord("google-site-verification=x"))
	})
}

func TestParsePolicy(t *testing.T) {
	t.Run("the RFC 8461 §3.2 example parses with LF line endings", func(t *testing.T) {
		p, probs := ParsePolicy("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n")
		require.Empty(t, probs)
		assert.Equal(t, &Policy{Version: "STSv1", Mode: Enforce, MX: []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, MaxAge: 604800}, p)
	})
	t.Run("unknown fields are kept as extensions and are not problems", func(t *testing.T) {
		p, probs := ParsePolicy("version: STSv1\r\nmode: none\r\nmax_age: 0\r\nx-note: hello world\r\n")
		require.Empty(t, probs)
		assert.Equal(t, []Field{{Name: "x-note", Value: "hello world"}}, p.Extensions)
	})
	for _, tc := range []struct{ name, in, want string }{
		{"a duplicated mode is a problem", "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n", "mode appears again"},
		{"a negative max_age is a problem", "version: STSv1\nmode: none\nmax_age: -1\n", "not a number"},
		{"enforce without mx is a problem", "version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx field"},
		{"a line without a colon is a problem", "version: STSv1\nmode: none\nmax_age: 86400\nmx mail.example.com\n", "not a \"name: value\""},
		{"a wildcard in the middle of a pattern is a problem", "version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 86400\n", "not a host name"},
		{"STSv2 is a problem", "version: STSv2\nmode: none\nmax_age: 86400\n", "not STSv1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ParsePolicy(tc.in)
			require.NotEmpty(t, probs)
			assert.Contains(t, probs[0].String(), tc.want)
		})
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		name, pattern, host string
		want                bool
	}{
		{"an exact name matches regardless of case and final dot", "Mail.Example.com", "mail.example.com.", true},
		{"a wildcard matches one label below", "*.example.net", "mx1.example.net", true},
		{"a wildcard does not match two labels below", "*.example.net", "a.mx1.example.net", false},
		{"a wildcard does not match the name itself", "*.example.net", "example.net", false},
		{"a different name does not match", "mail.example.com", "mail2.example.com", false},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Matches(tc.pattern, tc.host)) })
	}
}

// Parsing never panics, and a record that parses round-trips through its canonical form.
func FuzzParseRecord(f *testing.F) {
	f.Add("v=STSv1; id=20160831085700Z;")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecord(s)
		if err != nil {
			return
		}
		again, err := ParseRecord(r.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", r.String(), s, err)
		}
		assert.Equal(t, r, again)
	})
}

// Parsing never panics, and a policy without problems round-trips through its canonical
// form with the same MX coverage.
func FuzzParsePolicy(f *testing.F) {
	f.Add("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\n", "mail.example.com")
	f.Fuzz(func(t *testing.T, body, host string) {
		p, probs := ParsePolicy(body)
		if len(probs) > 0 {
			return
		}
		again, probs := ParsePolicy(p.String())
		if len(probs) > 0 {
			t.Fatalf("canonical form %q of %q has problems: %v", p.String(), body, probs)
		}
		if !assert.Equal(t, p, again) {
			t.FailNow()
		}
		if p.Match(host) != again.Match(host) {
			t.Fatalf("coverage of %q changed", host)
		}
	})
}
