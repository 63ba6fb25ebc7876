package dmarc

import (
	"context"
	"testing"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/stretchr/testify/require"
)

func BenchmarkParse(b *testing.B) {
	const rec = "v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; fo=1:d; " +
		"rua=mailto:dmarc@example.com,mailto:reports%2Bx@thirdparty.example.net!10m; ruf=mailto:f@example.com"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiscoverDeep walks eleven labels (eight queries) against a zone, with a
// fresh resolver cache each time.
func BenchmarkDiscoverDeep(b *testing.B) {
	z, err := dnscheck.LoadZoneFile("../testdata/zones/dmarc-discovery.zone")
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Discover(ctx, dnscheck.NewZoneResolver(z), "a.b.c.d.e.f.g.h.i.deep.example.net"); err != nil {
			b.Fatal(err)
		}
	}
}
