// Package spool holds data written once and then read at random offsets: in memory
// up to a cap, then in a temporary file that Close always removes. The attachment
// scan spools decoded parts and nested archives in it; the milter spools each message.
package spool

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// chunkSize is the unit in which a spool holds data in memory. Fixed chunks mean the
// spool never copies what it already holds when it grows (a bytes.Buffer doubling from
// 16 to 32 MiB would briefly need 48 MiB).
const chunkSize = 256 << 10

// Spool holds up to memCap bytes in memory, then everything in a temporary file that
// Close always removes. It is written once, then read at random offsets (the zip
// lister needs io.ReaderAt). It is not safe for concurrent writes; concurrent ReadAt
// calls are safe once writing is done.
type Spool struct {
	memCap int64
	dir    string
	chunks [][]byte
	file   *os.File
	size   int64
}

// New returns an empty spool that spills to a temporary file in dir ("" is
// os.TempDir()) once more than memCap bytes are written.
func New(memCap int64, dir string) *Spool {
	return &Spool{memCap: memCap, dir: dir}
}

// Write appends p, moving everything to a temporary file once memCap is passed.
func (s *Spool) Write(p []byte) (int, error) {
	if s.file == nil && s.size+int64(len(p)) > s.memCap {
		if err := s.spill(); err != nil {
			return 0, err
		}
	}
	if s.file != nil {
		n, err := s.file.Write(p)
		s.size += int64(n)
		return n, err
	}
	n := len(p)
	for len(p) > 0 {
		switch {
		case len(s.chunks) == 0:
			// Most parts are small: the first chunk starts small and grows by append
			// up to chunkSize; later chunks are allocated whole.
			s.chunks = append(s.chunks, make([]byte, 0, min(chunkSize, max(4096, len(p)))))
		case len(s.chunks[len(s.chunks)-1]) == chunkSize:
			s.chunks = append(s.chunks, make([]byte, 0, chunkSize))
		}
		last := &s.chunks[len(s.chunks)-1]
		k := min(chunkSize-len(*last), len(p))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	s.size += int64(n)
	return n, nil
}

func (s *Spool) spill() error {
	f, err := os.CreateTemp(s.dir, "mailcheck-spool-*")
	if err != nil {
		return fmt.Errorf("spool: spilling to disk: %w", err)
	}
	for _, c := range s.chunks {
		if _, err := f.Write(c); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("spool: spilling to disk: %w", err)
		}
	}
	s.chunks = nil
	s.file = f
	return nil
}

// Size is the number of bytes written.
func (s *Spool) Size() int64 { return s.size }

// ReadAt reads from the spooled data.
func (s *Spool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("spool: negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	if s.file != nil {
		if rem := s.size - off; int64(len(p)) > rem {
			n, err := s.file.ReadAt(p[:rem], off)
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
		return s.file.ReadAt(p, off)
	}
	n := 0
	for n < len(p) && off < s.size {
		c := s.chunks[off/chunkSize]
		k := copy(p[n:], c[off%chunkSize:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Close releases the memory and removes the temporary file, if any.
func (s *Spool) Close() error {
	s.chunks = nil
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.file = nil
	return err
}
