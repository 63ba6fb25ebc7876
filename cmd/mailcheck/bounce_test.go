package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	bounceZone   = "../../testdata/zones/bounce.zone"
	bounceCorpus = "../../testdata/bounce/"
)

func TestBounceCommand(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "plain.eml")
	require.NoError(t, os.WriteFile(plain, []byte("From: bob@example.org\r\nSubject: lunch\r\n\r\nLunch?\r\n"), 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"a forward without SRS is explained with both fixes, exit 1",
			[]string{"--zone", bounceZone, "bounce", bounceCorpus + "postfix-forward-without-srs.eml"}, 1,
			[]string{"unauth-fwd@gmail.example authfailure 550 5.7.26", "bounce.forward-without-srs", "SRS", "SPF-HOST  sender.example  FAIL"}},
		{"the issue's zip holding an .exe is named, exit 1",
			[]string{"bounce", bounceCorpus + "postfix-other-spam-zip.eml", "--zone", bounceZone}, 1,
			[]string{"spamdetected", "invoice.zip", "attachments.forbidden-in-archive"}},
		{"an unknown user needs nothing from the sender, exit 0",
			[]string{"--zone", bounceZone, "bounce", bounceCorpus + "postfix-local-userunknown.eml"}, 0,
			[]string{"nosuchuser@sender.example userunknown 5.1.1 The address does not exist"}},
		{"a feedback report is a warning, exit 0",
			[]string{"--zone", bounceZone, "bounce", bounceCorpus + "written/arf-abuse.eml"}, 0,
			[]string{"feedback", "bounce.complaint"}},
		{"an ordinary message is not a bounce, exit 2", []string{"bounce", plain}, 2, nil},
		{"a missing file is a usage error", []string{"bounce", "no/such.eml"}, 2, nil},
		{"two files are a usage error", []string{"bounce", plain, plain}, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code, errOut)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
		})
	}
	t.Run("the not-a-bounce message says what the input looks like", func(t *testing.T) {
		_, _, errOut := runCLI(t, "bounce", plain)
		assert.Contains(t, errOut, `is not a bounce: it looks like an ordinary message from bob@example.org (subject "lunch")`)
	})
}

func TestBounceCommandJSONFromStandardInput(t *testing.T) {
	msg, err := os.ReadFile(bounceCorpus + "written/exchange-online-dmarc.eml")
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	e := &env{stdin: bytes.NewReader(msg), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
	code := run([]string{"mailcheck", "bounce", "-", "--zone", bounceZone, "--format", "json"}, e)
	require.Equal(t, 1, code, errOut.String())
	var rep struct {
		Bounces []struct {
			Recipient  string `json:"recipient"`
			Status     string `json:"status"`
			ReplyCode  int    `json:"reply_code"`
			Diagnostic string `json:"diagnostic"`
			RemoteMTA  *string
			Reason     string `json:"reason"`
			Cause      string `json:"cause"`
			Findings   []struct {
				Code string `json:"code"`
			} `json:"findings"`
		} `json:"bounces"`
		Checks []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"checks"`
		SendingIP string `json:"sending_ip"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Bounces, 1)
	b := rep.Bounces[0]
	assert.Equal(t, "frank@contoso.example", b.Recipient)
	assert.Equal(t, "5.7.509", b.Status)
	assert.Equal(t, 550, b.ReplyCode)
	assert.Equal(t, "authfailure", b.Reason)
	assert.Contains(t, b.Diagnostic, "does not pass DMARC verification")
	assert.NotEmpty(t, b.Cause)
	assert.Equal(t, "198.51.100.20", rep.SendingIP)
	var ids []string
	for _, c := range rep.Checks {
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []string{"spf", "spf-host", "dmarc", "dkim"}, ids)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &raw))
	first := raw["bounces"].([]any)[0].(map[string]any)
	for _, k := range []string{"recipient", "status", "reply_code", "diagnostic", "remote_mta", "reason", "cause", "findings"} {
		assert.Contains(t, first, k)
	}
}

// A DNS failure while confirming the cause leaves the diagnosis incomplete: exit 3.
func TestBounceCommandDNSFailureIsIncomplete(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(bounceZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("1.0.0.127.in-addr.arpa", dns.TypePTR, dnstest.Fault{Rcode: dns.RcodeServerFailure})
	code, out, errOut := runCLI(t, "--resolver", srv.Addr, "--timeout", "5s", "bounce", bounceCorpus+"postfix-gmail-ptr.eml")
	assert.Equal(t, 3, code, errOut)
	assert.Contains(t, out, "dns-error")
}
