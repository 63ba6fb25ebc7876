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
