package main

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mailcheck/mailcheck/internal/smtptest"
	"github.com/mailcheck/mailcheck/internal/testca"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTransportCommandAgainstLoopbackServers(t *testing.T) {
	ca := testca.New(t)
	zone := filepath.Join(t.TempDir(), "sts.zone")
	require.NoError(t, os.WriteFile(zone, []byte("$TTL 300\n$ORIGIN sts.example.\n@ MX 10 mx1\n@ MX 20 mx2\nmx1 A 127.0.0.1\nmx2 A 127.0.0.1\n"+
		"mta-sts A 127.0.0.1\n_mta-sts TXT \"v=STSv1; id=1\"\n"), 0o600))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("version: STSv1\nmode: enforce\nmx: mx1.sts.example\nmax_age: 604800\n"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Valid(t, "mta-sts.sts.example")}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	smtp := smtptest.Start(t, smtptest.Options{})
	args := []string{"transport", "--zone", zone, "--ca-file", ca.WriteFile(t),
		"--https-port", strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port), "--smtp-port", strconv.Itoa(smtp.Port), "--probe-smtp", "sts.example"}
	code, out, errOut := runCLI(t, args...)
	assert.Equal(t, 1, code, errOut)
	for _, want := range []string{"MTASTS  sts.example  FAIL", "mx2.sts.example  NOT COVERED", "mtasts.mx-not-covered",
		"tlsrpt.missing", "smtp.no-starttls", "BIMI  sts.example"} {
		assert.Contains(t, out, want)
	}
	t.Run("a bad port is a usage error", func(t *testing.T) {
		code, _, _ := runCLI(t, "transport", "--zone", zone, "--https-port", "70000", "sts.example")
		assert.Equal(t, 2, code)
	})
}
