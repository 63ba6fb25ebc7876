package mailcheck_test

import (
	"context"
	"fmt"

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
	// grade D score 65
	// cap: D No DMARC record.
	// first fix: One valid DMARC record
}
