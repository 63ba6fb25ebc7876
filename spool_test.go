package mailcheck

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpoolReadsTheMessageBackInMemoryAndFromAFile(t *testing.T) {
	for _, size := range []int{0, 100, maxMemorySpool, maxMemorySpool + 1, 3*maxMemorySpool + 7} {
		msg := bytes.Repeat([]byte("0123456789abcdef\r\n"), size/18+1)[:size]
		sp, err := spoolMessage(struct{ io.Reader }{bytes.NewReader(msg)}) // a plain reader: copied
		require.NoError(t, err)
		assert.Equal(t, size > maxMemorySpool, sp.file != nil, "size %d: in a file", size)
		for range 2 { // each section reads the whole message afresh
			got, err := io.ReadAll(sp.section())
			require.NoError(t, err)
			assert.True(t, bytes.Equal(msg, got), "size %d: the message read back", size)
		}
		var name string
		if sp.file != nil {
			name = sp.file.Name()
		}
		sp.Close()
		if name != "" {
			_, err := os.Stat(name)
			assert.True(t, os.IsNotExist(err), "size %d: the temporary file is removed", size)
		} else if size > 0 {
			_, err := sp.ReadAt(make([]byte, 1), 0)
			assert.ErrorIs(t, err, os.ErrClosed, "size %d: no read of a buffer given back to the pool", size)
		}
	}
}

func TestSpoolReadsASeekableReaderInPlace(t *testing.T) {
	msg := []byte("Received: by mx\r\nFrom: a@example.com\r\n\r\nHello.\r\n")
	r := bytes.NewReader(msg)
	_, err := r.Seek(17, io.SeekStart) // the caller already read the Received line
	require.NoError(t, err)
	sp, err := spoolMessage(r)
	require.NoError(t, err)
	assert.Nil(t, sp.file)
	assert.Nil(t, sp.buf, "not copied")
	got, err := io.ReadAll(sp.section())
	require.NoError(t, err)
	assert.Equal(t, string(msg[17:]), string(got), "read from the reader's offset")
	assert.Equal(t, 0, r.Len(), "left at its end, as if read")
	sp.Close()

	// A file: read in place too; a pipe (not seekable) is copied.
	f, err := os.CreateTemp(t.TempDir(), "msg")
	require.NoError(t, err)
	defer f.Close()
	f.Write(msg)
	f.Seek(0, io.SeekStart)
	sp, err = spoolMessage(f)
	require.NoError(t, err)
	assert.NotNil(t, sp.at)
	got, _ = io.ReadAll(sp.section())
	assert.Equal(t, string(msg), string(got))
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	go func() { pw.Write(msg); pw.Close() }()
	sp, err = spoolMessage(pr)
	require.NoError(t, err)
	assert.Nil(t, sp.at, "a pipe cannot seek: copied")
	got, _ = io.ReadAll(sp.section())
	assert.Equal(t, string(msg), string(got))
	sp.Close()
}

func TestSpoolReportsADirectoryOnceInItsOwnWords(t *testing.T) {
	// A directory seeks without error on Linux but does not read: copied, so the
	// error comes from spoolMessage and no check reports it again in its own words.
	d, err := os.Open(t.TempDir())
	require.NoError(t, err)
	defer d.Close()
	_, err = spoolMessage(d)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading the message")
	assert.Contains(t, err.Error(), "is a directory")
}
