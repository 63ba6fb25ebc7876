package dnsfail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/stretchr/testify/assert"
)

func TestClassifyNamesEachFailure(t *testing.T) {
	wrap := func(err error) error {
		return &net.DNSError{Err: err.Error(), Name: "x.test", UnwrapErr: err, IsTemporary: true}
	}
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"no error is no kind", nil, ""},
		{"NXDOMAIN is an answer", wrap(ErrNXDOMAIN), NXDOMAIN},
		{"NODATA is an answer", wrap(ErrNODATA), NODATA},
		{"SERVFAIL is a failure", wrap(ErrServFail), ServFail},
		{"REFUSED is a failure", wrap(ErrRefused), Refused},
		{"another rcode keeps its mnemonic", wrap(&RcodeError{Rcode: "NOTIMP"}), "NOTIMP"},
		{"a CNAME loop is named as a loop", wrap(ErrCNAMELoop), CNAMELoop},
		{"an over-long CNAME chain is not called a loop", wrap(ErrCNAMEChainTooLong), CNAMEChainTooLong},
		{"no answer in time is a timeout", wrap(fmt.Errorf("%w: x.test. TXT after 3 attempts: %w", ErrTimeout, os.ErrDeadlineExceeded)), Timeout},
		{"a deadline that passed is a timeout", wrap(fmt.Errorf("%w: x.test. TXT: %w", ErrTimeout, context.DeadlineExceeded)), Timeout},
		{"a cancelled caller is not a timeout", wrap(fmt.Errorf("%w: x.test. TXT: %w", ErrTimeout, context.Canceled)), Canceled},
		{"a refused connection is not a timeout", wrap(fmt.Errorf("%w: after 3 attempts: %w", ErrConnRefused,
			&net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", syscall.ECONNREFUSED)})), ConnRefused},
		{"a raw refused connection is connection refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ConnRefused},
		{"a connection closed mid-answer is connection closed", fmt.Errorf("read tcp: %w", io.ErrUnexpectedEOF), ConnClosed},
		{"a reset connection is connection closed", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, ConnClosed},
		// *net.Resolver's shapes (Go's dnsclient): no sentinel, only the fields.
		{"net.Resolver not found is not found", &net.DNSError{Err: "no such host", IsNotFound: true}, NotFound},
		{"net.Resolver timeout is a timeout", &net.DNSError{Err: "i/o timeout", IsTimeout: true, IsTemporary: true}, Timeout},
		{"net.Resolver SERVFAIL is a temporary server misbehaving", &net.DNSError{Err: "server misbehaving", IsTemporary: true}, ServFail},
		{"net.Resolver REFUSED is a permanent server misbehaving", &net.DNSError{Err: "server misbehaving"}, ServerMisbehaving},
		{"anything else is an error", errors.New("something odd"), Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Classify(tc.err))
			notFound := tc.want == NXDOMAIN || tc.want == NODATA || tc.want == NotFound
			assert.Equal(t, tc.err != nil && !notFound, tc.want.Failed())
		})
	}
}

func TestNXDOMAINAndNODATAAreToldApartWithoutThisPackage(t *testing.T) {
	var neg interface{ NXDOMAIN() bool }
	assert.True(t, errors.As(fmt.Errorf("x: %w", ErrNXDOMAIN), &neg) && neg.NXDOMAIN())
	assert.True(t, errors.As(fmt.Errorf("x: %w", ErrNODATA), &neg) && !neg.NXDOMAIN())
}

func TestFindingIsTheSameForEveryFailure(t *testing.T) {
	for _, err := range []error{ErrServFail, ErrRefused, ErrTimeout, ErrCNAMELoop, ErrCNAMEChainTooLong, ErrConnRefused,
		ErrConnClosed, context.Canceled, &RcodeError{Rcode: "FORMERR"}, errors.New("odd")} {
		k := Classify(err)
		t.Run(string(k)+" is a warning that makes the result unknown", func(t *testing.T) {
			f := Finding("dmarc.dns-error", "_dmarc.example.com", "TXT", err, "the DMARC policy of example.com", "RFC 9989 §4.10")
			assert.Equal(t, finding.Code("dmarc.dns-error"), f.Code)
			assert.Equal(t, finding.Warning, f.Severity)
			assert.True(t, f.Incomplete)
			assert.Contains(t, f.Message, "TXT lookup of _dmarc.example.com failed ("+string(k)+")")
			assert.Contains(t, f.Message, "the DMARC policy of example.com is unknown")
			assert.Equal(t, string(k), f.Evidence.Rcode)
			assert.Equal(t, "_dmarc.example.com", f.Evidence.Name)
			assert.Equal(t, "TXT", f.Evidence.Type)
			assert.Equal(t, err.Error(), f.Evidence.Detail)
			assert.NotContains(t, strings.ToLower(f.Fix), "publish", "a failed lookup is never fixed by publishing a record")
			assert.Empty(t, f.FixRecords)
			assert.Equal(t, "RFC 9989 §4.10", f.Ref)
		})
	}
}
