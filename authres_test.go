package mailcheck_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/mailcheck/mailcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resinfo is the RFC 8601 §2.2 shape of one result as this package writes it:
// method=result, then propspecs ptype.property=pvalue (no comments, no reason).
var resinfo = regexp.MustCompile(`^[a-z0-9-]+=[a-z]+( (smtp|header|policy)\.[a-z-]+=[^\s;()"]+)*$`)

func TestAuthenticationResultsParseBack(t *testing.T) {
	msg := sign(t, mail("alice@example.com"), "esp.example", "s1")
	rep := checkAuth(t, msg, envelope("203.0.113.5", "bounce@example.com", ""), mailcheck.WithAuthservID("mx.example.net"))
	field := rep.AuthenticationResults
	require.True(t, strings.HasPrefix(field, "Authentication-Results: mx.example.net;\r\n\t"), field)
	assert.NotContains(t, strings.ReplaceAll(field, "\r\n\t", ""), "\n", "folded only before each result")
	value := strings.TrimPrefix(strings.ReplaceAll(field, "\r\n\t", " "), "Authentication-Results:")
	for _, r := range strings.Split(value, ";")[1:] {
		assert.Regexp(t, resinfo, strings.TrimSpace(r))
	}
	id, results, err := authres.Parse(value)
	require.NoError(t, err)
	assert.Equal(t, "mx.example.net", id)
	require.Len(t, results, 3)
	spfRes := results[0].(*authres.SPFResult)
	assert.Equal(t, authres.ResultValue("fail"), spfRes.Value)
	assert.Equal(t, "bounce@example.com", spfRes.From)
	dk := results[1].(*authres.DKIMResult)
	assert.Equal(t, authres.ResultValue("pass"), dk.Value)
	assert.Equal(t, "esp.example", dk.Domain)
	dm := results[2].(*authres.DMARCResult)
	assert.Equal(t, authres.ResultValue("fail"), dm.Value)
	assert.Equal(t, "example.com", dm.From)
	assert.Contains(t, value, "header.s=s1 header.a=rsa-sha256")
	assert.Contains(t, value, "policy.dmarc=reject")
}

func TestAuthenticationResultsNullSenderAndUnsigned(t *testing.T) {
	rep := checkAuth(t, mail("alice@example.com"), envelope("192.0.2.25", "<>", "mail.example.com"))
	value := strings.TrimPrefix(strings.ReplaceAll(rep.AuthenticationResults, "\r\n\t", " "), "Authentication-Results:")
	_, results, err := authres.Parse(value)
	require.NoError(t, err)
	require.Len(t, results, 3)
	assert.Equal(t, authres.ResultValue("none"), results[1].(*authres.DKIMResult).Value)
	assert.Equal(t, "mail.example.com", results[0].(*authres.SPFResult).Helo)
	assert.Equal(t, authres.ResultValue("pass"), results[0].(*authres.SPFResult).Value)
	assert.Contains(t, value, "; dkim=none;")
	assert.Equal(t, authres.ResultValue("pass"), results[2].(*authres.DMARCResult).Value)
}
