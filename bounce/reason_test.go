package bounce

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		status string
		reply  int
		text   string
		want   Reason
	}{
		// The four notices.
		{"Spam Message Rejected is spam detected", "5.7.1", 554, "554 5.7.1 Spam Message Rejected", SpamDetected},
		{"a headers rule filter is a content error", "5.7.0", 554, "5.7.0 AV: Message is rejected by headers rule filter", ContentError},
		{"Gmail's DMARC rejection is an authentication failure", "5.7.26", 550, "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy", AuthFailure},
		{"Microsoft's 5.7.509 is an authentication failure", "5.7.509", 550, "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification", AuthFailure},
		// The status code decides when the text says nothing.
		{"5.1.1 without words is an unknown user", "5.1.1", 550, "", UserUnknown},
		{"5.7.25 without words is reverse DNS required", "5.7.25", 550, "", RequirePTR},
		{"an unknown detail falls back to its subject's general meaning", "5.3.99", 550, "", SystemError},
		{"Microsoft's 5.7.509 without words is still DMARC", "5.7.509", 550, "550 5.7.509", AuthFailure},
		{"a 2.x.x status is a delivery", "2.0.0", 250, "250 2.0.0 Ok", Delivered},
		// Wording that must not be read as another reason.
		{"a refused sender address is not an unknown recipient", "5.1.8", 553, "Sender address rejected: Domain not found", Rejected},
		{"a Spamhaus listing is a block, not spam content", "5.7.1", 550, "Client host [192.0.2.1] blocked using Spamhaus", Blocked},
		{"a full mailbox's size limit is not a message size", "5.2.2", 552, "552 5.2.2 Mailbox size limit exceeded", MailboxFull},
		{"a message size limit is a too-big message", "5.3.4", 552, "552 5.3.4 Message size exceeds fixed limit", MesgTooBig},
		{"a recipient rejected by directory edge blocking is unknown", "5.4.1", 550, "550 5.4.1 Recipient address rejected: Access denied", UserUnknown},
		{"Gmail's blocked attachment is a policy, not a virus", "5.7.0", 552, "This message was blocked because its content presents a potential security issue", PolicyViolation},
		{"a virus is a virus", "5.7.1", 554, "554 5.7.1 Virus found: Eicar-Signature", VirusDetected},
		// Nothing to go on.
		{"a bare 550 is on hold", "", 550, "", OnHold},
		{"no code and no text is undefined", "", 0, "", Undefined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Classify(tc.status, tc.reply, tc.text))
		})
	}
}

func TestEveryReasonIsInSisimaisVocabulary(t *testing.T) {
	// The list, which is Sisimai's.
	vocab := "userunknown mailboxfull hostunknown authfailure blocked badreputation rejected policyviolation spamdetected virusdetected mesgtoobig exceedlimit expired filtered norelaying notaccept networkerror securityerror suspend systemerror systemfull toomanyconn speeding requireptr notcompliantrfc contenterror syntaxerror mailererror hasmoved onhold undefined vacation delivered feedback"
	seen := map[string]bool{}
	for _, r := range Reasons {
		assert.Contains(t, " "+vocab+" ", " "+string(r)+" ")
		seen[string(r)] = true
	}
	assert.Len(t, seen, 34)
	for _, r := range statusReasons {
		assert.True(t, seen[string(r)], "%s", r)
	}
	for _, r := range textRules {
		assert.True(t, seen[string(r.reason)], "%s", r.reason)
	}
}

func TestCleanDiagnosticRemovesMultiLinePrefixes(t *testing.T) {
	in := "host mx.example.org[192.0.2.1] said: 550-5.7.1 first 550-5.7.1 second 550 5.7.1 third (in reply to RCPT TO command)"
	assert.Equal(t, "550 5.7.1 first second third", cleanDiagnostic(in))
	assert.Equal(t, "RCPT", commandOf(in))
}
