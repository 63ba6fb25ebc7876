package dnscheck

import (
	"fmt"
	"testing"

	"github.com/mailcheck/mailcheck/internal/dnsfail"
	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Recursive servers answer a broken chain either with SERVFAIL (the zone source and
// the test server do) or with the chain itself; the second shape is built here.
func TestABrokenCNAMEChainInAnAnswerIsAFailureNamedForItsShape(t *testing.T) {
	cname := func(from, to string) dns.RR {
		rr, err := dns.NewRR(fmt.Sprintf("%s 300 IN CNAME %s", from, to))
		require.NoError(t, err)
		return rr
	}
	loop := &Answer{Name: "a.test.", Type: dns.TypeTXT, Records: []dns.RR{cname("a.test.", "b.test."), cname("b.test.", "a.test.")}}
	long := &Answer{Name: "c0.test.", Type: dns.TypeTXT}
	for i := 0; i <= maxCNAMEChain; i++ {
		long.Records = append(long.Records, cname(fmt.Sprintf("c%d.test.", i), fmt.Sprintf("c%d.test.", i+1)))
	}
	tests := []struct {
		name string
		ans  *Answer
		want error
		kind dnsfail.Kind
	}{
		{"a chain that comes back to a name is a CNAME loop", loop, ErrCNAMELoop, dnsfail.CNAMELoop},
		{"a chain longer than is followed is too long, not a loop", long, ErrCNAMEChainTooLong, dnsfail.CNAMEChainTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			de := tc.ans.dnsError(tc.ans.Name)
			require.NotNil(t, de)
			assert.ErrorIs(t, de, tc.want)
			assert.False(t, de.IsNotFound)
			assert.Equal(t, tc.kind, dnsfail.Classify(de))
		})
	}
}
