package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	dmarcFindingsZone  = "../../testdata/zones/dmarc-findings.zone"
	dmarcDiscoveryZone = "../../testdata/zones/dmarc-discovery.zone"
)

func TestDMARCShowsExplicitAndDefaultValues(t *testing.T) {
	code, out, errOut := runCLI(t, "--zone", dmarcDiscoveryZone, "dmarc", "mail.example.com")
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{
		"DMARC  mail.example.com  PASS",
		"walked    _dmarc.mail.example.com (none) → _dmarc.example.com (record) → _dmarc.com (none)",
		"record    v=DMARC1; p=reject; sp=quarantine; np=reject; rua=mailto:dmarc@example.com",
		"found at  _dmarc.example.com (inherited from the organizational domain)",
		"policy    quarantine for mail.example.com; quarantine for subdomains; reject for non-existent subdomains",
		"dmarc.inherited",
	} {
		assert.Contains(t, out, want)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[2] == "explicit" || f[2] == "default") {
			rows[f[0]] = f[1] + " " + f[2]
		}
	}
	assert.Equal(t, "quarantine explicit", rows["sp"])
	assert.Equal(t, "r default", rows["adkim"])
	assert.Equal(t, "u default", rows["psd"])
	assert.Equal(t, "(none) default", rows["ruf"])
}

func TestDMARCShowsCNAMEAndRFC7489Differences(t *testing.T) {
	_, out, _ := runCLI(t, "--zone", dmarcDiscoveryZone, "dmarc", "cname.org")
	assert.Contains(t, out, "via CNAME to cname-org.policies.provider.net")
	_, out, _ = runCLI(t, "--zone", dmarcDiscoveryZone, "dmarc", "mega.bank")
	assert.Contains(t, out, "inherited from the public suffix domain (psd=y)")
	assert.Contains(t, out, "RFC 7489  no policy")
	_, out, _ = runCLI(t, "--zone", dmarcFindingsZone, "dmarc", "legacy.example")
	assert.Contains(t, out, "applied to 50% of failing mail (pct)")
}

func TestDMARCExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		domain string
		code   int
	}{
		{"a clean record exits 0", "ok.example", 0},
		{"warnings exit 0", "none.example", 0},
		{"a missing record exits 1", "missing.example", 1},
		{"an unauthorized destination exits 1", "extunauth.example", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "--zone", dmarcFindingsZone, "dmarc", tc.domain)
			assert.Equal(t, tc.code, code, errOut)
		})
	}
}

// The JSON of `mailcheck dmarc` is the documented schema; the golden files show it.
func TestDMARCJSONGolden(t *testing.T) {
	for _, tc := range []struct{ zone, domain string }{
		{dmarcDiscoveryZone, "mail.example.com"},
		{dmarcDiscoveryZone, "mega.bank"},
		{dmarcFindingsZone, "missing.example"},
		{dmarcFindingsZone, "extauth.example"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			_, out, errOut := runCLI(t, "--zone", tc.zone, "--format", "json", "dmarc", tc.domain)
			require.True(t, json.Valid([]byte(out)), errOut)
			assertGoldenJSON(t, filepath.Join("testdata", "dmarc-"+tc.domain+".json"), out)
		})
	}
}

func TestDMARCTimeoutExitsIncomplete(t *testing.T) {
	z, err := dnscheck.LoadZoneFile(dmarcFindingsZone)
	require.NoError(t, err)
	srv := dnstest.Start(t, z)
	srv.SetFault("_dmarc.ok.example", dns.TypeTXT, dnstest.Fault{Drop: true})
	code, out, errOut := runCLI(t, "--resolver", srv.Addr, "--timeout", "1s", "dmarc", "ok.example")
	assert.Equal(t, 3, code, errOut)
	assert.Contains(t, out, "DNS error")
}
