package spf_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
)

// hugeTreeZone is an include tree of 11,111 records, ten includes a level four levels
// deep, under huge.example; each record also names 0–2 a: hosts, so the lookup count
// depends on which records the audit fetches.
func hugeTreeZone(tb testing.TB) *dnscheck.Zone {
	tb.Helper()
	var b strings.Builder
	b.WriteString("$TTL 300\nhost.example. A 192.0.2.1\n")
	var add func(name string, depth int)
	n := 0
	add = func(name string, depth int) {
		n++
		rec := "v=spf1"
		for i := 0; i < n%3; i++ {
			rec += " a:host.example"
		}
		if depth < 4 {
			for i := 0; i < 10; i++ {
				child := fmt.Sprintf("n%d.%s", i, name)
				rec += " include:" + child
				defer add(child, depth+1)
			}
		}
		fmt.Fprintf(&b, "%s. TXT \"%s ~all\"\n", name, rec)
	}
	add("huge.example", 0)
	return dnstest.Zone(tb, b.String())
}

func TestAuditOfAHugeTreeIsCutOnceAndCountedTheSameEveryRun(t *testing.T) {
	z := hugeTreeZone(t)
	var lookups []int
	var first *spf.Report
	for run := 0; run < 8; run++ {
		rep, err := spf.Check(context.Background(), dnscheck.NewZoneResolver(z), "huge.example")
		require.NoError(t, err)
		lookups = append(lookups, rep.Lookups)
		if first == nil {
			first = rep
		}
	}
	for _, l := range lookups {
		assert.Equal(t, lookups[0], l, "the lookup count is the same on every run: %v", lookups)
	}
	var cut []spf.Finding
	for _, f := range first.Findings {
		if f.Code == spf.CodeLookupLimit && strings.Contains(f.Message, "audit") {
			cut = append(cut, f)
		}
	}
	require.Equal(t, 1, len(cut), "one finding says the tree was cut, not one per record left out")
	assert.Contains(t, cut[0].Message, "200")
	limits := 0
	for _, f := range first.Findings {
		if f.Code == spf.CodeLookupLimit {
			limits++
		}
	}
	assert.Equal(t, 2, limits, "the cut and the over-the-limit count")
	b, err := json.Marshal(first.Findings)
	require.NoError(t, err)
	assert.Less(t, len(b), 8<<10, "the findings stay small")
}

func TestAuditOfAHugeTreeLeavesTheUnfetchedOutOfTheTree(t *testing.T) {
	rep, err := spf.Check(context.Background(), dnscheck.NewZoneResolver(hugeTreeZone(t)), "huge.example")
	require.NoError(t, err)
	nodes, notFetched := 0, 0
	var walk func(n *spf.Node)
	walk = func(n *spf.Node) {
		nodes++
		notFetched += n.NotFetched
		assert.Empty(t, n.Problem, "only fetched records stay in the tree: %s", n.Domain)
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(rep.Tree)
	assert.Equal(t, 200, nodes, "the fetched records")
	// Fetched: the root, 10, 100 and the first 89 of level 3, whose 890 includes are
	// not fetched either; every include the fetched records make, less the 199 fetched.
	assert.Equal(t, 10+100+1000+89*10-199, notFetched, "the unfetched includes, counted on their parents")
	b, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.Less(t, len(b), 100<<10)
}
