// Package message holds the pre-send rules of one RFC 5322 message: what a receiver
// will make of it before anything is sent.
//
// The header rules (CheckHeader) enforce what receivers require of RFC 5322 (one
// From with one mailbox, a Date, a Message-ID, no repeated single-use fields), and
// for bulk mail the one-click unsubscribe of RFC 8058 (CheckUnsubscribe). Predict
// computes the DMARC outcome a receiver would compute (RFC 9989, and RFC 7489 where
// it reads differently) from facts the protocol packages give: the SPF result of the
// envelope (spf.CheckHost of the MAIL FROM domain, or of the HELO name for a null
// sender, RFC 7208 §2.4), the DKIM signatures (dkim.VerifyMessage) and the From
// domain's policy (dmarc.Discover). AuthenticationResults writes that outcome as the
// RFC 8601 Authentication-Results header field a receiver would add.
//
// The package does no DNS of its own: the root package (mailcheck.CheckMessage)
// gathers the facts and wires these rules in. Other pre-send rules of the message
// (links, size) live beside these in this package.
package message

import "github.com/mailcheck/mailcheck/internal/finding"

// Finding is the one finding type of the module.
type Finding = finding.Finding

// Code identifies a kind of finding.
type Code = finding.Code
