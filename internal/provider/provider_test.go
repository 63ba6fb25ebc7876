package provider

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookups(t *testing.T) {
	for _, tc := range []struct {
		name, host string
		byMX       bool
		want       string
	}{
		{"a Google Workspace MX host is Google's", "ASPMX.L.Google.com.", true, "Google Workspace"},
		{"a Microsoft 365 MX host is Microsoft's", "example-com.mail.protection.outlook.com", true, "Microsoft 365"},
		{"an EU Zoho MX host is the EU data centre", "mx.zoho.eu", true, "Zoho (EU)"},
		{"a name that only ends like a provider's is not it", "mail.notgoogle.com", true, ""},
		{"a SendGrid DKIM CNAME target reveals SendGrid", "s1.domainkey.u123.wl.sendgrid.net", false, "SendGrid"},
		{"an SPF include reveals the provider", "spf.mandrillapp.com", false, "Mandrill"},
		{"a sending-only service is no MX provider", "mta.sendgrid.net", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookup := ByName
			if tc.byMX {
				lookup = ByMX
			}
			p, ok := lookup(tc.host)
			assert.Equal(t, tc.want != "", ok)
			assert.Equal(t, tc.want, p.Name)
		})
	}
}

func TestTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range All() {
		require.NotEmpty(t, p.Name)
		assert.False(t, seen[p.Name], "provider %s listed twice", p.Name)
		seen[p.Name] = true
		assert.True(t, p.SPF != "" || p.Note != "", "%s: an SPF include, or a note that says why there is none", p.Name)
		assert.True(t, len(p.MX)+len(p.Hints)+len(p.DKIMCNAME) > 0, "%s: nothing reveals it", p.Name)
	}
	a := All()
	a[0].MX[0] = "changed"
	assert.NotEqual(t, "changed", All()[0].MX[0], "All returns a copy")
}
