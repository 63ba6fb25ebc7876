package attachments_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/attachments"
)

// A message whose attachment hides an executable behind an RFC 2231 encoded name.
func ExampleCheck() {
	msg := "Subject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nPlease pay.\r\n" +
		"--b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\n" +
		"Content-Disposition: attachment; filename*=utf-8''invoice.pdf%20.exe\r\n\r\nMZ\r\n--b--\r\n"
	res, err := attachments.Check(context.Background(), strings.NewReader(msg), attachments.WithReceivers("infomaniak", "gmail"))
	if err != nil {
		panic(err)
	}
	for _, a := range res.Attachments {
		fmt.Println(a.Part, strings.Join(a.Names, " | "), a.Type)
	}
	for _, v := range res.Receivers {
		fmt.Println(v.Receiver, v.Action)
	}
	for _, f := range res.Findings {
		fmt.Println(f.Severity, f.Code)
	}
	// Output:
	// 2 invoice.pdf | invoice.pdf .exe dos-executable
	// infomaniak reject
	// gmail reject
	// error attachments.forbidden
	// warning attachments.name-mismatch
	// warning attachments.double-extension
}
