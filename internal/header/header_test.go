package header

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func read(t testing.TB, s string) (Section, string) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(s), 16)
	sec, err := Read(br, 0)
	require.NoError(t, err)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	return sec, string(rest)
}

func TestRead(t *testing.T) {
	type f struct{ name, value string }
	tests := []struct {
		name   string
		in     string
		fields []f
		ended  bool
		body   string
	}{
		{"CRLF fields and a body", "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n", []f{{"From", "a@b"}, {"Subject", "hi"}}, true, "body\r\n"},
		{"LF line ends", "From: a@b\nSubject: hi\n\nbody", []f{{"From", "a@b"}, {"Subject", "hi"}}, true, "body"},
		{"a folded field is unfolded in its value", "Subject: a\r\n b\r\n\tc\r\n\r\n", []f{{"Subject", "a b\tc"}}, true, ""},
		{"no empty line: the section does not end", "From: a@b\r\n", []f{{"From", "a@b"}}, false, ""},
		{"a last line without a line break", "From: a@b", []f{{"From", "a@b"}}, false, ""},
		{"a first line starting with a space is a field", " From: a@b\r\n\r\n", []f{{"From", "a@b"}}, true, ""},
		{"a line without a colon is a field named by the line", "garbage\r\nFrom: a\r\n\r\n", []f{{"garbage", ""}, {"From", "a"}}, true, ""},
		{"raw UTF-8 and 8-bit bytes are kept", "Subject: caf\xc3\xa9 \xe9t\xe9\r\n\r\n", []f{{"Subject", "caf\xc3\xa9 \xe9t\xe9"}}, true, ""},
		{"empty input", "", nil, false, ""},
		{"only an empty line", "\r\nbody", nil, true, "body"},
		{"a line longer than the buffer", "X: " + strings.Repeat("y", 100) + "\r\n\r\n", []f{{"X", strings.Repeat("y", 100)}}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sec, body := read(t, tt.in)
			var got []f
			for _, fd := range sec.Fields {
				got = append(got, f{fd.Name, fd.Value()})
			}
			assert.Equal(t, tt.fields, got)
			assert.Equal(t, tt.ended, sec.Ended)
			assert.Equal(t, tt.body, body)
			assert.Equal(t, int64(len(tt.in)-len(body)), sec.Size)
		})
	}
}

func TestReadStopsAtTheLimit(t *testing.T) {
	in := "From: a@b\r\nSubject: " + strings.Repeat("x", 1000) + "\r\n\r\n"
	sec, err := Read(bufio.NewReader(strings.NewReader(in)), 100)
	require.ErrorIs(t, err, ErrTooLarge)
	require.Len(t, sec.Fields, 1)
	assert.Equal(t, "From", sec.Fields[0].Name)
	assert.False(t, sec.Ended)
}

func TestReadCountsLines(t *testing.T) {
	sec, _ := read(t, "Subject: a"+strings.Repeat("\r\n b", 1000)+"\r\nTo: c\r\n\r\n")
	require.Len(t, sec.Fields, 2)
	assert.Equal(t, 1001, sec.Fields[0].Lines)
	assert.Equal(t, 1, sec.Fields[1].Lines)
	assert.Equal(t, "a"+strings.Repeat(" b", 1000), sec.Fields[0].Value())
}

// FuzzRead checks the round trip: the fields' raw text, then the empty line, then
// the rest is the input, and no field but the first starts with whitespace.
func FuzzRead(f *testing.F) {
	f.Add("From: a@b\r\nSubject: a\r\n b\r\n\r\nbody")
	f.Add(" x\n\ty\n\nz")
	f.Add("From: a\r")
	f.Add("A: \xff\xfe\r\n\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		br := bufio.NewReaderSize(strings.NewReader(in), 16)
		sec, err := Read(br, 0)
		require.NoError(t, err)
		rest, err := io.ReadAll(br)
		require.NoError(t, err)
		var raw strings.Builder
		for i, fd := range sec.Fields {
			raw.WriteString(fd.Raw)
			if i > 0 {
				require.NotContains(t, " \t", fd.Raw[:1], "field %d starts with whitespace", i)
			}
			require.Equal(t, strings.Count(strings.TrimSuffix(fd.Raw, "\n"), "\n")+1, fd.Lines)
		}
		require.True(t, strings.HasPrefix(in, raw.String()))
		between := in[raw.Len() : len(in)-len(rest)]
		if sec.Ended {
			require.Contains(t, []string{"\n", "\r\n", "\r"}, between)
		} else {
			require.Empty(t, between)
			require.Empty(t, rest)
		}
		require.Equal(t, int64(len(in)-len(rest)), sec.Size)
	})
}

// BenchmarkReadFolded reads one field folded over lines of three bytes: the MB/s
// column stays flat from 100 KB to 8 MB because the reader is linear.
func BenchmarkReadFolded(b *testing.B) {
	for _, size := range []int{100 << 10, 1 << 20, 8 << 20} {
		in := []byte("Subject: a" + strings.Repeat("\r\n x", size/4) + "\r\n\r\n")
		b.Run(fmt.Sprintf("%dKB", size>>10), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				sec, err := Read(bufio.NewReader(bytes.NewReader(in)), 0)
				if err != nil || len(sec.Fields[0].Value()) < size/2 {
					b.Fatal("short read")
				}
			}
		})
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ASCII", "Alice <alice@example.com>", "alice@example.com"},
		{"raw UTF-8 display name (RFC 6532)", "Jöse Müller <jose@example.com>", "jose@example.com"},
		{"raw UTF-8 address (RFC 6532)", "josé@exämple.com", "josé@exämple.com"},
		{"raw Latin-1 display name", "Jos\xe9 M\xfcller <jose@example.com>", "jose@example.com"},
		{"raw Latin-1 in a quoted display name", "\"M\xfcller, Jos\xe9\" <jose@example.com>", "jose@example.com"},
		{"an encoded word in a charset net/mail does not know", "=?iso-8859-2?q?J=F3zef?= <jozef@example.pl>", "jozef@example.pl"},
		{"an encoded word in an unknown charset", "=?x-unknown?b?AAE=?= <a@example.com>", "a@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := Addresses(tt.in)
			require.NoError(t, err)
			require.Len(t, list, 1)
			assert.Equal(t, tt.want, list[0].Address)
		})
	}
	_, err := Addresses("not an address")
	assert.Error(t, err)
}
