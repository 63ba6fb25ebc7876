package mailcheck

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatusFollowsTheWorstFinding(t *testing.T) {
	info := Finding{Code: "x.info", Severity: Info}
	warn := Finding{Code: "x.warn", Severity: Warning}
	fail := Finding{Code: "x.fail", Severity: Error}
	dnsErr := Finding{Code: "x.dns-error", Severity: Warning, Incomplete: true}
	tests := []struct {
		name     string
		findings []Finding
		want     Status
	}{
		{"no findings pass", nil, StatusPass},
		{"info findings pass", []Finding{info}, StatusPass},
		{"a warning warns", []Finding{info, warn}, StatusWarn},
		{"an error fails", []Finding{warn, fail}, StatusFail},
		{"a DNS failure alone is an error, not a failure", []Finding{dnsErr}, StatusError},
		{"a DNS failure outranks warnings: the result is unknown", []Finding{warn, dnsErr}, StatusError},
		{"a definite failure stays a failure despite a DNS failure", []Finding{dnsErr, fail}, StatusFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, statusOf(tc.findings))
		})
	}
}
