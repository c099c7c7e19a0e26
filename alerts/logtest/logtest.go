// Package logtest holds what tests need to read what the code under test
// logs while its goroutines still write.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that one goroutine may read while others write
// to it: the destination of a test's slog handler.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
