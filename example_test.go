package mailcheck_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// CheckMX on the bundled demo zone, offline.
func ExampleCheckMX() {
	zone, err := dnscheck.LoadZoneFile("testdata/zones/demo.zone")
	if err != nil {
		panic(err)
	}
	r := dnscheck.NewZoneResolver(zone)
	check, err := mailcheck.CheckMX(context.Background(), "broken.example", mailcheck.WithResolver(r))
	if err != nil {
		panic(err)
	}
	fmt.Println(check.Status)
	for _, f := range check.Findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// fail
	// warning mx.cname
	// error mx.private-address
	// error mx.no-address
}

// CheckDomain on the bundled demo zone, offline: the grade, the caps that hold it down,
// and the first fix.
func ExampleCheckDomain() {
	zone, err := dnscheck.LoadZoneFile("testdata/zones/demo.zone")
	if err != nil {
		panic(err)
	}
	rep, err := mailcheck.CheckDomain(context.Background(), "nodmarc.example",
		mailcheck.WithResolver(dnscheck.NewZoneResolver(zone)))
	if err != nil {
		panic(err)
	}
	fmt.Println("grade", rep.Grade, "score", rep.Score)
	for _, c := range rep.Caps {
		fmt.Println("cap:", c.MaxGrade, c.Reason)
	}
	fmt.Println("first fix:", rep.FixFirst[0].Title)
	// Output:
	// grade D score 67
	// cap: D No DMARC record.
	// first fix: One valid DMARC record
}

// CheckMessage with the envelope the message will be sent with: SPF is checked for
// the MAIL FROM domain from the client IP, and DMARC is predicted as the receiver
// computes it. The message is unsigned, so DMARC passes through SPF alone.
func ExampleCheckMessage_envelope() {
	zone, err := dnscheck.LoadZoneFile("testdata/zones/demo.zone")
	if err != nil {
		panic(err)
	}
	msg := "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: hello\r\n" +
		"Date: Fri, 27 Nov 2026 14:48:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nHello Bob.\r\n"
	rep, err := mailcheck.CheckMessage(context.Background(), strings.NewReader(msg),
		mailcheck.WithResolver(dnscheck.NewZoneResolver(zone)),
		mailcheck.WithEnvelope(netip.MustParseAddr("192.0.2.10"), "bounce@example.com", "out.example.com"),
		mailcheck.WithAuthservID("mx.example.net"))
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Verdict.Line)
	fmt.Println(rep.Check("dmarc").Summary)
	for _, f := range rep.Check("dmarc").Findings {
		fmt.Println(f.Severity, f.Code)
	}
	fmt.Println(strings.ReplaceAll(rep.AuthenticationResults, "\r\n", "\n"))
	// Output:
	// would be accepted by every selected receiver
	// DMARC passes for example.com through SPF; policy p=reject.
	// info dmarc.predicted-pass
	// warning dmarc.spf-only
	// Authentication-Results: mx.example.net;
	//	spf=pass smtp.mailfrom=bounce@example.com;
	//	dkim=none;
	//	dmarc=pass header.from=example.com policy.dmarc=reject
}
