package dnscheck

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flakySource answers from a zone, or fails while down, counting the queries.
type flakySource struct {
	zone  zoneSource
	mu    sync.Mutex
	down  bool
	count int
}

func (f *flakySource) exchange(ctx context.Context, q *dns.Msg) (*dns.Msg, string, bool, error) {
	f.mu.Lock()
	f.count++
	down := f.down
	f.mu.Unlock()
	if down {
		return nil, "", false, ErrTimeout
	}
	return f.zone.exchange(ctx, q)
}

func TestCacheFollowsTTLsWithinBounds(t *testing.T) {
	z, err := ParseZone(strings.NewReader(`$ORIGIN example.com.
@        300 IN SOA ns hostmaster 1 3600 600 86400 120
@          0 IN TXT "v=spf1 -all"
_dmarc 7200 IN TXT "v=DMARC1; p=reject"
`), "t")
	require.NoError(t, err)
	src := &flakySource{zone: zoneSource{z}}
	r := newResolver(src)
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	r.clock = func() time.Time { return now }
	ask := func(name string, qtype uint16) error {
		_, err := r.Query(context.Background(), name, qtype)
		return err
	}
	asked := func() int { src.mu.Lock(); defer src.mu.Unlock(); return src.count }

	require.NoError(t, ask("example.com", dns.TypeTXT))
	require.NoError(t, ask("_dmarc.example.com", dns.TypeTXT))
	require.NoError(t, ask("nothing.example.com", dns.TypeTXT)) // NXDOMAIN, with the zone's SOA (minimum 120)
	require.Equal(t, 3, asked())

	now = now.Add(59 * time.Second) // TTL 0 is kept a minute: one report asks once
	require.NoError(t, ask("example.com", dns.TypeTXT))
	assert.Equal(t, 3, asked())
	now = now.Add(2 * time.Second)
	require.NoError(t, ask("example.com", dns.TypeTXT))
	assert.Equal(t, 4, asked(), "past a minute, TTL 0 is asked again")
	require.NoError(t, ask("nothing.example.com", dns.TypeTXT))
	assert.Equal(t, 4, asked(), "the negative answer is kept for the SOA minimum, 120 s (RFC 2308 §5)")
	now = now.Add(60 * time.Second)
	require.NoError(t, ask("nothing.example.com", dns.TypeTXT))
	assert.Equal(t, 5, asked(), "past the SOA minimum it is asked again")
	now = now.Add(6940 * time.Second)
	require.NoError(t, ask("_dmarc.example.com", dns.TypeTXT))
	assert.Equal(t, 5, asked(), "TTL 7200 holds")
	now = now.Add(200 * time.Second)
	require.NoError(t, ask("_dmarc.example.com", dns.TypeTXT))
	assert.Equal(t, 6, asked())

	t.Run("a failure is kept 30 seconds, then asked again", func(t *testing.T) {
		src.mu.Lock()
		src.down = true
		src.mu.Unlock()
		require.ErrorIs(t, ask("www.example.com", dns.TypeA), ErrTimeout)
		src.mu.Lock()
		src.down = false
		src.mu.Unlock()
		n := asked()
		require.ErrorIs(t, ask("www.example.com", dns.TypeA), ErrTimeout, "within 30 s the failure stands")
		assert.Equal(t, n, asked())
		now = now.Add(31 * time.Second)
		require.NoError(t, ask("www.example.com", dns.TypeA), "a lost packet does not spoil the rest of a long run")
		assert.Equal(t, n+1, asked())
	})
}

func TestCacheLifetime(t *testing.T) {
	soa := &dns.SOA{Hdr: dns.RR_Header{Rrtype: dns.TypeSOA, Ttl: 3600}, Minttl: 300}
	txt := func(ttl uint32) dns.RR {
		return &dns.TXT{Hdr: dns.RR_Header{Rrtype: dns.TypeTXT, Ttl: ttl}, Txt: []string{"x"}}
	}
	for _, tc := range []struct {
		name string
		ans  *Answer
		err  error
		want time.Duration
	}{
		{"the smallest TTL of the records", &Answer{Records: []dns.RR{txt(900), txt(600)}}, nil, 10 * time.Minute},
		{"TTL 0 gets the floor", &Answer{Records: []dns.RR{txt(0)}}, nil, time.Minute},
		{"a week is capped at a day", &Answer{Records: []dns.RR{txt(604800)}}, nil, 24 * time.Hour},
		{"NXDOMAIN: the SOA's MINIMUM when smaller than its TTL", &Answer{Rcode: dns.RcodeNameError, Authority: []dns.RR{soa}}, nil, 5 * time.Minute},
		{"NODATA without an SOA: the floor", &Answer{}, nil, time.Minute},
		{"SERVFAIL", &Answer{Rcode: dns.RcodeServerFailure, Records: []dns.RR{txt(3600)}}, nil, 30 * time.Second},
		{"REFUSED", &Answer{Rcode: dns.RcodeRefused}, nil, 30 * time.Second},
		{"no response", nil, ErrTimeout, 30 * time.Second},
	} {
		assert.Equal(t, tc.want, cacheLifetime(tc.ans, tc.err), tc.name)
	}
}
