package analyze

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// asyncHasher computes a SHA-256 on another goroutine, so that checking a
// layer's digest runs beside parsing it instead of after: on two cores a
// cold index costs about the time of the slower of the two, not their sum.
// Writes are batched into large buffers handed over through a channel.
type asyncHasher struct {
	h     hash.Hash
	cur   []byte
	full  chan []byte
	free  chan []byte
	done  chan struct{}
	sum   v1.Hash
	ended bool
}

const hashChunk = 256 << 10

func newAsyncHasher() *asyncHasher {
	a := &asyncHasher{
		h:    sha256.New(),
		full: make(chan []byte, 2),
		free: make(chan []byte, 3),
		done: make(chan struct{}),
	}
	for i := 0; i < 3; i++ {
		a.free <- make([]byte, 0, hashChunk)
	}
	a.cur = <-a.free
	go func() {
		for b := range a.full {
			a.h.Write(b)
			a.free <- b[:0]
		}
		close(a.done)
	}()
	return a
}

// Write queues p for hashing; it never fails.
func (a *asyncHasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := cap(a.cur) - len(a.cur)
		if room == 0 {
			a.full <- a.cur
			a.cur = <-a.free
			continue
		}
		if room > len(p) {
			room = len(p)
		}
		a.cur = append(a.cur, p[:room]...)
		p = p[room:]
	}
	return n, nil
}

// Sum waits for the hashing to finish and returns the digest. Nothing may
// be written after Sum.
func (a *asyncHasher) Sum() v1.Hash {
	if !a.ended {
		a.ended = true
		a.full <- a.cur
		close(a.full)
		<-a.done
		a.sum = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(a.h.Sum(nil))}
	}
	return a.sum
}

// Close stops the hashing goroutine when a read failed before Sum.
func (a *asyncHasher) Close() { a.Sum() }
