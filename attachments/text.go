package attachments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	rfc5322 "github.com/mailcheck/mailcheck/internal/header"
	"golang.org/x/text/transform"
)

// TextPart is one body part a mail client displays as text: a text/* part that is not
// an attachment (no file name, no "attachment" disposition).
type TextPart struct {
	// Part is the MIME part path, as in Attachment.Part.
	Part string
	// ContentType is the media type in lower case: "text/plain", "text/html", ...
	ContentType string
	// Charset is the declared charset ("" when none is declared).
	Charset string
	// Attached reports a part inside an attached message (message/rfc822): forwarded
	// content rather than the message's own.
	Attached bool
	// Body is the text with its transfer encoding undone and converted to UTF-8 from
	// Charset (read as it is when the charset is unknown). It is valid only during the
	// callback; what the callback does not read is skipped.
	Body io.Reader
}

// WalkText reads a message as Check does (the same MIME walker, as tolerant) and calls
// fn with each text part, in message order. Attachments are skipped without being
// inspected. The error is set only when the message cannot be read; a stop of ctx
// ends the walk early with ctx's error. Time is linear in the message size.
func WalkText(ctx context.Context, r io.Reader, fn func(TextPart)) error {
	c := config{limits: DefaultLimits, memory: DefaultMemory}
	cr := &countingReader{r: r, ctx: ctx}
	s := &scanner{ctx: ctx, cfg: c, textFn: fn}
	br := getReader(cr)
	defer putReader(br)
	if why := rfc5322.Sniff(br); why == "" {
		s.walkMessage(br, "", 0)
	} // else not a message: there is no text to walk
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("attachments: text walk stopped: %w", err)
	}
	if cr.err != nil && !errors.Is(cr.err, io.EOF) {
		return fmt.Errorf("%w: %w", ErrRead, cr.err)
	}
	return nil
}

// walkText hands one displayed text part to the WalkText callback.
func (s *scanner) walkText(e entity, decoded io.Reader) {
	charset := ""
	if cs := paramValues(e.ctParams, "charset"); len(cs) > 0 {
		charset = strings.TrimSpace(cs[0])
	}
	body := decoded
	switch cs := strings.ToLower(charset); cs {
	case "", "us-ascii", "utf-8", "utf8":
	default:
		if enc := charsetEncoding(cs); enc != nil {
			body = transform.NewReader(decoded, enc.NewDecoder())
		}
	}
	s.textFn(TextPart{Part: displayPart(e.path), ContentType: e.contentType, Charset: charset, Attached: s.attached > 0, Body: body})
}
