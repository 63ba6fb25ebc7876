package dmarc_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/dmarc"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// Check on an in-memory zone, offline: the subdomain inherits the organizational
// domain's sp, and the report mailbox is checked.
func ExampleCheck() {
	zone, err := dnscheck.ParseZone(strings.NewReader(`$TTL 300
example.com.        MX  10 mx.example.com.
mx.example.com.     A   192.0.2.1
_dmarc.example.com. TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.com"
shop.example.com.   A   192.0.2.2
`), "example")
	if err != nil {
		panic(err)
	}
	res, err := dmarc.Check(context.Background(), dnscheck.NewZoneResolver(zone), "shop.example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println("found at:", res.FoundAt, "("+res.Source+")")
	fmt.Println("policy:", res.EffectivePolicy)
	for _, d := range res.Destinations {
		fmt.Println("reports:", d.URI.Address, d.Mail)
	}
	for _, f := range res.Findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// found at: _dmarc.example.com (organizational-domain)
	// policy: quarantine
	// reports: dmarc@example.com mx
	// info dmarc.inherited
}

// Corrected keeps the owner's record and fixes what has one reading: here a typo in
// p, v written last and a report address without its mailto: scheme.
func ExampleCorrected() {
	c, ok := dmarc.Corrected("p=rejected; v=DMARC1; sp=quarantine; rua=dmarc@example.com")
	if !ok {
		panic("not a DMARC record")
	}
	fmt.Println(c.Record)
	for _, ch := range c.Typos() {
		fmt.Println(ch.From, "→", ch.To)
	}
	// Output:
	// v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.com
	// p=rejected → p=reject
	// dmarc@example.com → mailto:dmarc@example.com
}
