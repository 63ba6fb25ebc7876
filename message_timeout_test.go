package mailcheck_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// incompleteCodes lists the codes of a check's findings marked Incomplete.
func incompleteCodes(c *mailcheck.Check) []string {
	var out []string
	for _, f := range c.Findings {
		if f.Incomplete {
			out = append(out, string(f.Code))
		}
	}
	return out
}

func TestMessageTimeoutIsReported(t *testing.T) {
	signed, err := os.ReadFile("testdata/dkim/rfc8463-a3.eml")
	require.NoError(t, err)
	zone, err := dnscheck.LoadZoneFile("testdata/zones/dkim-rfc8463.zone")
	require.NoError(t, err)

	t.Run("a DNS server slower than the time limit leaves the DKIM check incomplete, not failed", func(t *testing.T) {
		srv := dnstest.Start(t, zone)
		srv.SetLatency(time.Second)
		rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(string(signed)),
			mailcheck.WithResolver(srv.Resolver(t)), mailcheck.WithTimeout(200*time.Millisecond))
		require.NoError(t, err, "a time limit is a finding, never an error")
		t.Logf("elapsed %d ms", rep.ElapsedMS)
		require.Len(t, rep.Checks, 5)
		assert.True(t, rep.Incomplete)
		assert.Equal(t, mailcheck.StatusPass, rep.Check("headers").Status, "the header needs no DNS")
		dk := rep.Check("dkim")
		assert.Equal(t, mailcheck.StatusError, dk.Status)
		assert.Contains(t, incompleteCodes(dk), "dkim.dns-error")
		assert.Equal(t, mailcheck.StatusError, rep.Status)
	})

	t.Run("a message too large to check in the time limit says which parts were not finished", func(t *testing.T) {
		// 48 MB of body: neither the body hash nor the attachment scan can finish in
		// 1 ms (less than spooling it takes), and both must say so rather than pass or fail.
		var b strings.Builder
		b.WriteString(strings.Replace(string(signed), "\r\n\r\n", "\r\nMIME-Version: 1.0\r\n\r\n", 1))
		b.WriteString(strings.Repeat(strings.Repeat("0123456789", 7)+"\r\n", 48<<20/72))
		rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(b.String()),
			mailcheck.WithResolver(dnscheck.NewZoneResolver(zone)), mailcheck.WithTimeout(time.Millisecond))
		require.NoError(t, err)
		t.Logf("elapsed %d ms", rep.ElapsedMS)
		assert.True(t, rep.Incomplete)
		assert.NotEmpty(t, incompleteCodes(rep.Check("dkim")), "DKIM: %v", rep.Check("dkim").Findings)
		assert.Equal(t, []string{"attachments.archive-limit"}, incompleteCodes(rep.Check("attachments")))
		assert.Equal(t, []string{"message.links-incomplete"}, incompleteCodes(rep.Check("content")))
		assert.NotNil(t, rep.Check("content").Details.(*mailcheck.ContentReport).Size, "the size is measured past the time limit")
		for _, id := range []string{"dkim", "attachments", "content"} {
			assert.Equal(t, mailcheck.StatusError, rep.Check(id).Status, id)
		}
	})
}
