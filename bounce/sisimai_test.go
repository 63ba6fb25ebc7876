package bounce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newerReasons are reasons Sisimai added after 4.25 (Debian's libsisimai-perl, the
// reference run here): where we give one of these, Sisimai 4.25 can only answer with
// an older, broader name.
var newerReasons = map[Reason]bool{AuthFailure: true, BadReputation: true, RequirePTR: true, NotCompliantRFC: true, Speeding: true}

// disagreements pins every corpus notice on which we and Sisimai 4.25 differ, with
// the reason we decided for and why; a change on either side fails the test.
var disagreements = []struct {
	file, ours, sisimai, why string
}{
	// Authentication failures: RFC 7372 §3.2 registers x.7.20–x.7.26 for DKIM, SPF
	// and DMARC failures; Microsoft documents 5.7.509/5.7.515/5.7.23, Yahoo its
	// "sender is unauthenticated" and Google its 5.7.26 as authentication failures.
	{"postfix-forward-without-srs.eml", "authfailure", "securityerror", "Gmail 5.7.26: SPF and DKIM did not pass"},
	{"postfix-gmail-dmarc.eml", "authfailure", "policyviolation", "RFC 7372: 5.7.26 is a DMARC failure"},
	{"postfix-gmail-unauthenticated.eml", "authfailure", "securityerror", "Gmail 5.7.26: the sender is unauthenticated"},
	{"postfix-outlook-authentication-level.eml", "authfailure", "securityerror", "Microsoft 5.7.515: below the required authentication level"},
	{"postfix-outlook-dmarc.eml", "authfailure", "policyviolation", "Microsoft 5.7.509: does not pass DMARC"},
	{"postfix-outlook-spf.eml", "authfailure", "securityerror", "Microsoft 5.7.23: SPF violation"},
	{"postfix-yahoo-dmarc.eml", "authfailure", "policyviolation", "Yahoo: rejected per DMARC policy"},
	{"postfix-yahoo-unauthenticated.eml", "authfailure", "securityerror", "Yahoo 5.7.9: the sender is unauthenticated"},
	{"written/exchange-online-dmarc.eml", "authfailure", "policyviolation", "Microsoft 5.7.509: does not pass DMARC"},
	{"exim-gmail-dmarc.eml", "authfailure", "policyviolation", "RFC 7372: 5.7.26 is a DMARC failure"},
	{"exim-outlook-dmarc.eml", "authfailure", "policyviolation", "Microsoft 5.7.509: does not pass DMARC"},
	{"exim-yahoo-dmarc.eml", "authfailure", "policyviolation", "Yahoo: rejected per DMARC policy"},
	// Other reasons Sisimai 4.25 does not have.
	{"postfix-gmail-message-id.eml", "notcompliantrfc", "policyviolation", "Google: missing Message-ID, RFC 5322 §3.6.4"},
	{"postfix-outlook-rfc5322.eml", "notcompliantrfc", "securityerror", "Microsoft 5.7.512: RFC 5322 §3.6.2"},
	{"postfix-gmail-ptr.eml", "requireptr", "blocked", "Google 5.7.25, RFC 7372 §3.3: reverse DNS validation failed"},
	{"postfix-other-ptr.eml", "requireptr", "blocked", "x.7.25 (RFC 7372 §3.3) with Postfix's 'cannot find your hostname'"},
	{"postfix-gmail-rate.eml", "badreputation", "securityerror", "Google 4.7.28: the IP's record of unsolicited mail"},
	{"postfix-yahoo-tss04.eml", "badreputation", "blocked", "Yahoo TSS04: volume or user complaints"},
	{"postfix-yahoo-tss09.eml", "badreputation", "securityerror", "Yahoo TSS09: permanently deferred for the IP's record"},
	{"postfix-other-rate-limit.eml", "speeding", "blocked", "the text says rate limit"},
	// Exim bounced these 4xx replies at once ("retry timeout exceeded": the retry rule
	// gave up) and Sisimai 4.25 reads its note as expired; the receiver's reply says
	// why it deferred, as in the Postfix notices of the same cases.
	{"exim-gmail-rate.eml", "badreputation", "expired", "Google 4.7.28: the IP's record of unsolicited mail"},
	{"exim-yahoo-tss04.eml", "badreputation", "expired", "Yahoo TSS04: volume or user complaints"},
	{"exim-other-rate-limit.eml", "speeding", "expired", "the text says rate limit"},
	// Disagreements on reasons both know: the receiver's words are more specific
	// than the x.7.x code Sisimai 4.25 falls back to.
	{"postfix-gmail-policy.eml", "policyviolation", "securityerror", "Google: 'has a policy that prohibited the mail'"},
	{"postfix-other-headers-rule-filter.eml", "contenterror", "securityerror", "a header rule refused the message: Sisimai's own definition of contenterror"},
	{"postfix-other-mailbox-disabled.eml", "suspend", "filtered", "RFC 3463 x.2.1 mailbox disabled; Sisimai maps 4.2.1 to suspend itself"},
	{"postfix-other-spam-zip.eml", "spamdetected", "securityerror", "the text says 'Spam Message Rejected'"},
	{"postfix-other-virus.eml", "virusdetected", "securityerror", "the text says 'Virus found'"},
	{"postfix-outlook-banned-sender.eml", "blocked", "securityerror", "Microsoft 5.7.511: banned sender, delisting required"},
	{"exim-other-spam-zip.eml", "spamdetected", "securityerror", "the text says 'Spam Message Rejected'"},
	// Exim's own words, which Sisimai 4.25 reads differently.
	{"exim-gmail-overquota-temp.eml", "mailboxfull", "expired", "Google 452 4.2.2, RFC 3463 X.2.2 mailbox full; Exim's 'retry timeout exceeded' only says it stopped retrying"},
	{"exim-local-userunknown.eml", "userunknown", "hostunknown", "Exim's 'Unrouteable address' for its own domain sender.example: no such local user"},
}

// Our reasons agree with Sisimai's on the corpus except on the pinned cases, and the
// agreement figure the README gives is the one measured here.
func TestSisimaiAgreementOnTheCorpus(t *testing.T) {
	expected := map[string]Reason{}
	for _, l := range readLines(t, filepath.Join(corpusDir, "expected.txt")) {
		f := strings.Split(l, "\t")
		expected[f[0]+"\t"+f[1]] = Reason(f[2])
	}
	pinned := map[string]int{}
	for i, d := range disagreements {
		pinned[d.file] = i
	}
	b, err := os.ReadFile(filepath.Join(corpusDir, "sisimai.txt"))
	require.NoError(t, err)
	var total, agree, noVerdict, newer int
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(l, "\t")
		require.Len(t, f, 4, l)
		file, sis := f[0], f[2]
		total++
		if sis == "(none)" {
			noVerdict++
			continue
		}
		ours, ok := expected[file+"\t"+f[1]]
		require.True(t, ok, "Sisimai reports %s for %s, which we do not", f[1], file)
		if string(ours) == sis {
			agree++
			assert.NotContains(t, pinned, file, "%s agrees now: unpin it", file)
			continue
		}
		i, ok := pinned[file]
		if assert.True(t, ok, "%s: we say %s, Sisimai %s, and the case is not pinned", file, ours, sis) {
			assert.Equal(t, disagreements[i].ours, string(ours), file)
			assert.Equal(t, disagreements[i].sisimai, sis, file)
		}
		if newerReasons[ours] {
			newer++
		}
	}
	// The README's figures (Bounces section).
	assert.Equal(t, 87, total)
	assert.Equal(t, 2, noVerdict, "Sisimai 4.25 reads SES JSON only inside an SNS e-mail")
	assert.Equal(t, 53, agree)
	assert.Equal(t, 23, newer, "disagreements where we use a reason newer than Sisimai 4.25")
	t.Logf("agree %d of %d with a Sisimai verdict; %d more use a reason Sisimai 4.25 lacks; %d true disagreements",
		agree, total-noVerdict, newer, total-noVerdict-agree-newer)
}
