package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two records at one name are discarded together; the text output shows both, so the
// reader sees which one to keep without switching to --format json.
func TestTextOutputShowsEveryRecordWhenThereAreSeveral(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"the dmarc command shows both DMARC records",
			[]string{"--zone", demoZone, "dmarc", "twodmarc.example"},
			[]string{
				"records   2 at _dmarc.twodmarc.example, all ignored:",
				"            1. v=DMARC1; p=reject\n",
				"            2. v=DMARC1; p=none; rua=mailto:dmarc@twodmarc.example\n",
			}},
		{"the domain report shows both DMARC records",
			[]string{"--zone", demoZone, "twodmarc.example"},
			[]string{
				"1. v=DMARC1; p=reject\n",
				"2. v=DMARC1; p=none; rua=mailto:dmarc@twodmarc.example\n",
			}},
		{"the spf command shows both SPF records",
			[]string{"--zone", scoringZone, "spf", "twospf.scoring.example"},
			[]string{
				"twospf.scoring.example  cost 0, total 0  ✗ 2 SPF records\n      1. v=spf1 mx -all\n      2. v=spf1 a -all\n",
			}},
		{"the domain report shows both SPF records",
			[]string{"--zone", scoringZone, "twospf.scoring.example"},
			[]string{"1. v=spf1 mx -all\n", "2. v=spf1 a -all\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			require.Equal(t, 1, code, errOut)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
		})
	}
}
