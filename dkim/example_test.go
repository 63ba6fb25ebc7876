package dkim_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mailcheck/mailcheck/dkim"
	"github.com/mailcheck/mailcheck/dnscheck"
)

// LintKey needs no DNS: give it the record text.
func ExampleLintKey() {
	key, findings := dkim.LintKey("brisbane._domainkey.football.example.com",
		"v=DKIM1; k=ed25519; t=y; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	fmt.Println(key.Material, key.Bits, key.Format)
	for _, f := range findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// ed25519 256 raw
	// warning dkim.key-testing
}

// Check probes common selectors; here against a zone file, offline.
func ExampleCheck() {
	zone, err := dnscheck.ParseZone(strings.NewReader(
		`selector1._domainkey.example.com. 300 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`),
		"example")
	if err != nil {
		panic(err)
	}
	res, err := dkim.Check(context.Background(), dnscheck.NewZoneResolver(zone), "example.com",
		dkim.WithProviderHints("example-com.mail.protection.outlook.com"))
	if err != nil {
		panic(err)
	}
	for _, k := range res.Keys {
		fmt.Println(k.Selector, k.Provider, k.Key.Material)
	}
	for _, f := range res.AllFindings() {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// selector1 Microsoft 365 ed25519
	// info dkim.ed25519-only
}

// VerifyMessage on the RFC 8463 Appendix A example, with its keys from a zone file.
func ExampleVerifyMessage() {
	zone, err := dnscheck.LoadZoneFile("../testdata/zones/dkim-rfc8463.zone")
	if err != nil {
		panic(err)
	}
	msg, err := os.Open("../testdata/dkim/rfc8463-a3.eml")
	if err != nil {
		panic(err)
	}
	defer msg.Close()
	res, err := dkim.VerifyMessage(context.Background(), dnscheck.NewZoneResolver(zone), msg)
	if err != nil {
		panic(err)
	}
	for _, s := range res.Signatures {
		fmt.Println(s.Algorithm, s.Selector, s.KeyBits, s.Result, s.Aligned)
	}
	for _, f := range res.AllFindings() {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// ed25519-sha256 brisbane 256 pass true
	// rsa-sha256 test 1024 pass true
	// warning dkim.key-short
	// info dkim.aligned-pass
}
