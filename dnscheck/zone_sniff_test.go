package dnscheck_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAFileThatIsNotTextIsNotParsedAsAZone(t *testing.T) {
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0, 0x40, 0x3e, 0xf8}, 800)...)
	tests := []struct {
		name string
		data []byte
		want string // "" means the file parses
	}{
		{"an ELF executable is named as one", elf, "is not a zone file: it looks like binary data (an executable?)"},
		{"a Windows executable is named as one", append([]byte("MZ\x90\x00"), make([]byte, 200)...), "(an executable?)"},
		{"a gzipped zone says to decompress it", []byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xab, 0xcd}, "(gzip-compressed? decompress it first)"},
		{"text with a NUL byte is binary data", []byte("example.com. IN TXT \"a\"\n\x00\n"), "it looks like binary data"},
		{"a Latin-1 comment is still a zone", []byte("; caf\xe9 zone\nexample.com. 300 IN TXT \"v=spf1 -all\"\n"), ""},
		{"UTF-8 text is a zone", []byte("; zone für example\nexample.com. 300 IN TXT \"v=spf1 -all\"\n"), ""},
		{"an empty file is an empty zone", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "zone")
			require.NoError(t, os.WriteFile(path, tt.data, 0o600))
			_, err := dnscheck.LoadZoneFile(path)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, dnscheck.ErrNotZoneFile), "errors.Is ErrNotZoneFile")
			assert.Contains(t, err.Error(), tt.want)
			assert.Less(t, len(err.Error()), 200, "one short line, not the file's bytes")
			assert.False(t, strings.ContainsAny(err.Error(), "\x00\n"))
		})
	}
}
