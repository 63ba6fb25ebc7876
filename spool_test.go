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
		sp, err := spoolMessage(bytes.NewReader(msg))
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
