package spool

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpoolReadsBackWhatWasWritten(t *testing.T) {
	data := make([]byte, 3*chunkSize+123)
	for i := range data {
		data[i] = byte(rand.IntN(256))
	}
	for _, memCap := range []int64{1 << 30, chunkSize + 7, 0} {
		dir := t.TempDir()
		s := New(memCap, dir)
		// Written in uneven pieces, so writes straddle chunk boundaries.
		for p := data; len(p) > 0; {
			k := min(len(p), 1+rand.IntN(100000))
			n, err := s.Write(p[:k])
			require.NoError(t, err)
			require.Equal(t, k, n)
			p = p[k:]
		}
		require.Equal(t, int64(len(data)), s.Size())
		files, _ := os.ReadDir(dir)
		assert.Equal(t, memCap < int64(len(data)), len(files) == 1, "spilled to disk only past memCap %d", memCap)

		got, err := io.ReadAll(io.NewSectionReader(s, 0, s.Size()))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "memCap %d: the bytes read back differ", memCap)
		b := make([]byte, 10)
		n, err := s.ReadAt(b, s.Size()-4)
		assert.Equal(t, 4, n)
		assert.Equal(t, io.EOF, err)
		_, err = s.ReadAt(b, -1)
		assert.Error(t, err)

		require.NoError(t, s.Close())
		files, _ = os.ReadDir(dir)
		assert.Empty(t, files, "Close removes the temporary file")
	}
}
