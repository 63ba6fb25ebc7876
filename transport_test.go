package mailcheck_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/internal/smtptest"
	"github.com/mailcheck/mailcheck/internal/testca"
	"github.com/mailcheck/mailcheck/mtasts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stsZone is a well-configured domain whose policy host and MX hosts are on loopback.
const stsZone = `$TTL 300
$ORIGIN sts.example.
@           MX  10 mx1
@           TXT "v=spf1 mx -all"
_dmarc      TXT "v=DMARC1; p=reject; rua=mailto:d@sts.example"
mail._domainkey TXT ( "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" )
mx1         A   127.0.0.1
mta-sts     A   127.0.0.1
_mta-sts    TXT "v=STSv1; id=1"
_smtp._tls  TXT "v=TLSRPTv1; rua=mailto:tls@sts.example"
`

func startPolicy(t *testing.T, cert tls.Certificate, body string) int {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(body))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port
}

func reportItem(t *testing.T, rep *mailcheck.Report, id string) mailcheck.Item {
	t.Helper()
	for _, c := range rep.Categories {
		for _, it := range c.Items {
			if it.ID == id {
				return it
			}
		}
	}
	t.Fatalf("no item %s", id)
	return mailcheck.Item{}
}

func TestTransportInTheReport(t *testing.T) {
	ca := testca.New(t)
	caFile := ca.WriteFile(t)
	run := func(t *testing.T, zone, policy string, extra ...mailcheck.Option) *mailcheck.Report {
		t.Helper()
		port := startPolicy(t, ca.Valid(t, "mta-sts.sts.example"), policy)
		z := dnstest.Zone(t, zone)
		opts := append([]mailcheck.Option{mailcheck.WithResolver(dnscheck.NewZoneResolver(z)), mailcheck.WithCAFile(caFile),
			mailcheck.WithHTTPSPort(port), mailcheck.WithSelectors("mail")}, extra...)
		rep, err := mailcheck.CheckDomain(context.Background(), "sts.example", opts...)
		require.NoError(t, err)
		return rep
	}
	const enforce = "version: STSv1\nmode: enforce\nmx: mx1.sts.example\nmax_age: 604800\n"
	t.Run("an enforce policy covering the MX and a TLS-RPT record earn full points from a zone file over loopback", func(t *testing.T) {
		rep := run(t, stsZone, enforce)
		assert.Equal(t, mailcheck.PointsFull, reportItem(t, rep, "mtasts.policy").Points)
		assert.Equal(t, mailcheck.PointsFull, reportItem(t, rep, "tlsrpt.record").Points)
		assert.Equal(t, mailcheck.ItemNotApplicable, reportItem(t, rep, "smtp.starttls").State)
		assert.Equal(t, mailcheck.Grade("A"), rep.Grade)
		assert.Empty(t, rep.Caps)
		require.NotNil(t, rep.Check("bimi"))
	})
	t.Run("an enforce policy that leaves out an MX host scores nothing and caps the grade at D", func(t *testing.T) {
		rep := run(t, stsZone+"@ MX 20 mx2\nmx2 A 127.0.0.1\n", enforce)
		it := reportItem(t, rep, "mtasts.policy")
		assert.Equal(t, mailcheck.PointsNone, it.Points)
		assert.Contains(t, it.Fix, "mx: mx2.sts.example")
		require.Len(t, rep.Caps, 1)
		assert.Contains(t, rep.Caps[0].Reason, "mx2.sts.example")
		assert.Equal(t, mailcheck.Grade("D"), rep.Grade)
		assert.Equal(t, mailcheck.StatusFail, rep.Check("mtasts").Status)
	})
	t.Run("with a zone file a policy host outside loopback is never dialed: the item is unknown", func(t *testing.T) {
		zone := strings.Replace(stsZone, "mta-sts     A   127.0.0.1", "mta-sts A 192.0.2.80", 1)
		rep := run(t, zone, enforce)
		assert.Equal(t, mailcheck.ItemError, reportItem(t, rep, "mtasts.policy").State)
		res := rep.Check("mtasts").Details.(*mtasts.Report)
		assert.Equal(t, mtasts.KindNotDialed, res.Fetch.Failure)
		assert.True(t, rep.Incomplete)
	})
	t.Run("the SMTP probe under enforce: a certificate for another name scores nothing and caps the grade", func(t *testing.T) {
		cert := ca.Valid(t, "other.example")
		srv := smtptest.Start(t, smtptest.Options{Cert: &cert})
		rep := run(t, stsZone, enforce, mailcheck.WithSMTPProbe(), mailcheck.WithSMTPPort(srv.Port))
		assert.Equal(t, mailcheck.PointsNone, reportItem(t, rep, "smtp.starttls").Points)
		assert.Equal(t, mailcheck.Grade("D"), rep.Grade)
		assert.NotContains(t, srv.Commands(), "MAIL")
	})
	t.Run("the SMTP probe: a valid certificate earns full points", func(t *testing.T) {
		cert := ca.Valid(t, "mx1.sts.example")
		srv := smtptest.Start(t, smtptest.Options{Cert: &cert})
		rep := run(t, stsZone, enforce, mailcheck.WithSMTPProbe(), mailcheck.WithSMTPPort(srv.Port))
		assert.Equal(t, mailcheck.PointsFull, reportItem(t, rep, "smtp.starttls").Points)
		assert.Equal(t, mailcheck.Grade("A"), rep.Grade)
	})
}
