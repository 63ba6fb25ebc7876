package mailcheck_test

import (
	"context"
	"testing"

	"github.com/mailcheck/mailcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckDomainsKeepsInputOrderAndSharesTheCache(t *testing.T) {
	domains := []string{"example.com", "hosted.example", "not a domain", "nodmarc.example", "weakdkim.example", "example.com"}
	r := demoResolver(t)
	var got []mailcheck.DomainResult
	err := mailcheck.CheckDomains(context.Background(), domains, func(res mailcheck.DomainResult) {
		got = append(got, res)
	}, mailcheck.WithResolver(r), mailcheck.WithConcurrency(3))
	require.NoError(t, err)
	require.Len(t, got, len(domains))
	for i, res := range got {
		assert.Equal(t, domains[i], res.Domain)
	}
	assert.Error(t, got[2].Err, "an invalid name is reported, not fatal")
	assert.Equal(t, mailcheck.Grade("A"), got[0].Report.Grade)
	assert.Equal(t, mailcheck.Grade("D"), got[3].Report.Grade)

	// The second example.com is answered from the shared cache: it adds no query.
	alone := demoResolver(t)
	_, err = mailcheck.CheckDomain(context.Background(), "example.com", mailcheck.WithResolver(alone))
	require.NoError(t, err)
	assert.Equal(t, got[0].Report.Grade, got[5].Report.Grade)
	assert.Less(t, r.Stats().Sent, 5*alone.Stats().Sent, "shared records are fetched once")
}

func TestCheckDomainsStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err := mailcheck.CheckDomains(ctx, []string{"example.com", "hosted.example"}, func(mailcheck.DomainResult) { n++ },
		mailcheck.WithResolver(demoResolver(t)))
	assert.ErrorIs(t, err, context.Canceled)
	assert.LessOrEqual(t, n, 2)
}
