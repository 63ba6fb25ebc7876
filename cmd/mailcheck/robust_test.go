package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notMessages writes inputs that are not messages: empty, random bytes, and a real
// ELF binary (the running test executable).
func notMessages(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	random := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.UintN(256))
	}
	random[0] = 0x8f // not a header field, whatever the seed gives
	exe, err := os.Executable()
	require.NoError(t, err)
	elf, err := os.ReadFile(exe)
	require.NoError(t, err)
	files := map[string]string{}
	for name, data := range map[string][]byte{"empty": nil, "random bytes": random, "an ELF binary": elf[:min(len(elf), 1<<20)]} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o600))
		files[name] = path
	}
	return files
}

func TestInputThatIsNotAMessageSaysSo(t *testing.T) {
	for name, path := range notMessages(t) {
		for _, cmd := range []string{"attachments", "message"} {
			t.Run(cmd+" on "+name, func(t *testing.T) {
				code, out, errOut := runCLI(t, "--zone", rfc8463Zone, "--no-color", cmd, path)
				assert.Equal(t, 1, code, "a failed check, as for message: %s", errOut)
				assert.Contains(t, out, "not a")
				assert.NotContains(t, out, "ccepted")
				assert.NotContains(t, out, "accepts")
				code, out, _ = runCLI(t, "--zone", rfc8463Zone, "--format", "json", cmd, path)
				assert.Equal(t, 1, code)
				assert.Contains(t, out, `"status": "fail"`)
			})
		}
	}
}

func TestMessageTimeoutExitsIncomplete(t *testing.T) {
	zone, err := dnscheck.LoadZoneFile(rfc8463Zone)
	require.NoError(t, err)
	srv := dnstest.Start(t, zone)
	srv.SetLatency(time.Second)
	code, out, errOut := runCLI(t, "--resolver", srv.Addr, "--timeout", "200ms", "--no-color", "message", signedMessage)
	assert.Equal(t, 3, code, "incomplete, not a usage error: %s", errOut)
	assert.Empty(t, errOut)
	assert.Contains(t, out, "dkim.dns-error", "the report names the part that did not finish")
	assert.Contains(t, out, "HEADERS")
	assert.Contains(t, out, "ATTACHMENTS")
}
