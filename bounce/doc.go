// Package bounce reads rejection notices and says why a message was not delivered.
//
// A bounce is a message a mail server sends back when it cannot deliver. The standard
// form is a delivery status notification (RFC 3464, updated by RFC 6533): a
// multipart/report (RFC 6522) whose message/delivery-status part holds one field group
// per failed recipient (Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code),
// usually followed by the returned message or its header (message/rfc822,
// text/rfc822-headers). Many servers still send plain-text notices instead (qmail,
// older Exim and Postfix setups, Yahoo), and Amazon SES also delivers bounces as JSON
// notifications; Parse reads those too. A feedback report (ARF, RFC 5965) is
// recognised and reported with the reason "feedback".
//
// Each recipient gets the SMTP reply code (RFC 5321 §4.2), the enhanced status code
// (RFC 3463) and a Reason from Sisimai's vocabulary, the names other bounce tools
// use, decided from the diagnostic text first (receivers' texts are more specific
// than their codes) and the status code second.
//
// The package reports facts: it runs no DNS query and judges nothing about the
// sender's setup. The root package mailcheck (ExplainBounce) runs the checks that
// confirm the cause.
//
// Input is bounded: Parse reads at most MaxSize bytes, walks at most a fixed number
// of MIME parts and nesting levels, and works in time linear in its input.
package bounce
