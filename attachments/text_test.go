package attachments

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type walked struct {
	part, ctype, charset, body string
	attached                   bool
}

func walkAll(t *testing.T, msg string) []walked {
	t.Helper()
	var out []walked
	err := WalkText(context.Background(), strings.NewReader(msg), func(p TextPart) {
		b, err := io.ReadAll(p.Body)
		require.NoError(t, err)
		out = append(out, walked{p.Part, p.ContentType, p.Charset, string(b), p.Attached})
	})
	require.NoError(t, err)
	return out
}

func TestWalkTextDecodesDisplayedParts(t *testing.T) {
	msg := message(
		"Content-Type: multipart/alternative; boundary=alt\r\n\r\n"+
			"--alt\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9 ouvert =\r\nle lundi\r\n"+
			"--alt\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cHM6Ly9leGFtcGxlLmNvbS8iPnZvaXI8L2E+\r\n"+
			"--alt--\r\n",
		attachment("notes.txt", "text/plain", []byte("http//not-displayed.example")),
		"Content-Type: message/rfc822\r\n\r\nSubject: fwd\r\nContent-Type: text/plain\r\n\r\nforwarded text\r\n",
	)
	got := walkAll(t, msg)
	require.Len(t, got, 3, "two alternatives and the forwarded body; the .txt attachment is skipped")
	assert.Equal(t, walked{"1/1", "text/plain", "iso-8859-1", "Café ouvert le lundi", false}, got[0])
	assert.Equal(t, walked{"1/2", "text/html", "utf-8", `<a href="https://example.com/">voir</a>`, false}, got[1])
	assert.Equal(t, "forwarded text\r\n", got[2].body)
	assert.True(t, got[2].attached)
}

func TestWalkTextOfASinglePartAndOfNotAMessage(t *testing.T) {
	got := walkAll(t, "Subject: x\r\n\r\nhello\r\n")
	require.Len(t, got, 1)
	assert.Equal(t, walked{"1", "text/plain", "", "hello\r\n", false}, got[0])
	assert.Empty(t, walkAll(t, "\x7fELF\x02\x01"))
}

func TestWalkTextStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := WalkText(ctx, strings.NewReader("Subject: x\r\n\r\nhello\r\n"), func(TextPart) { t.Fatal("no part after the context is done") })
	assert.ErrorIs(t, err, context.Canceled)
}
