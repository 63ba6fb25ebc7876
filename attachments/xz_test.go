package attachments

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/ulikunitz/xz"
)

func xzBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	require.NoError(t, err)
	_, err = w.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func TestXZ(t *testing.T) {
	txz := xzBytes(t, tarBytes(t, zfile{name: "logs/cleanup.bat", data: []byte("@echo off")}))
	t.Run("a tar.xz with a bounded dictionary is listed", func(t *testing.T) {
		usize, ok := xzBounded(bytes.NewReader(txz), int64(len(txz)))
		assert.True(t, ok)
		assert.Positive(t, usize)
		res, err := Check(context.Background(), strings.NewReader(message(attachment("logs.tar.xz", "application/x-xz", txz))))
		require.NoError(t, err)
		assert.Contains(t, allNames(res.Attachments), "logs/cleanup.bat")
		assert.True(t, res.Rejected())
	})
	t.Run("a header asking for a 4 GiB dictionary is not decoded", func(t *testing.T) {
		bad := bytes.Clone(txz)
		i := bytes.Index(bad[12:], []byte{0x21, 0x01}) // LZMA2 filter ID, one property byte
		require.GreaterOrEqual(t, i, 0)
		bad[12+i+2] = 40 // .xz format §5.3.1: 4 GiB - 1
		_, ok := xzBounded(bytes.NewReader(bad), int64(len(bad)))
		assert.False(t, ok)
		res, err := Check(context.Background(), strings.NewReader(message(attachment("logs.tar.xz", "application/x-xz", bad))))
		require.NoError(t, err)
		assert.Contains(t, codes(res), "attachments.not-inspectable")
	})
	t.Run("a truncated xz is not decoded", func(t *testing.T) {
		_, ok := xzBounded(bytes.NewReader(txz[:len(txz)-5]), int64(len(txz)-5))
		assert.False(t, ok)
	})
}
