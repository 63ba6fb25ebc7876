package dnscheck_test

import (
	"context"
	"testing"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestALimitedCacheKeepsTheRecentlyUsedAnswers(t *testing.T) {
	srv, r := startServer(t)
	r.SetCacheLimit(2)
	ctx := context.Background()
	ask := func(name string) {
		t.Helper()
		_, err := r.Query(ctx, name, dns.TypeTXT)
		require.NoError(t, err)
	}
	ask("example.test")
	ask("split.example.test")
	ask("example.test") // from the cache, and now the most recent
	ask("deep.example.test")
	assert.Equal(t, 1, srv.Count("example.test", "TXT"), "kept: used most recently before the third name")
	ask("split.example.test")
	assert.Equal(t, 2, srv.Count("split.example.test", "TXT"), "evicted: the least recently used when the third name came")
	ask("split.example.test")
	assert.Equal(t, 2, srv.Count("split.example.test", "TXT"))
}

func TestAnUnlimitedCacheKeepsEveryAnswer(t *testing.T) {
	srv, r := startServer(t)
	for range 2 {
		for _, n := range []string{"example.test", "split.example.test", "deep.example.test", "escaped.example.test"} {
			_, err := r.Query(context.Background(), n, dns.TypeTXT)
			require.NoError(t, err)
		}
	}
	assert.Equal(t, 1, srv.Count("split.example.test", "TXT"))
}
