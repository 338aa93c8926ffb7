package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// minMemoryLimit is the soft memory limit below which whittle's heap is
// never asked to stay: a cold audit of a 250 MB image stays within it.
const minMemoryLimit = 32 << 20

// tuneGC sets how whittle collects garbage. Its heap is mostly the
// index and the closure, built once and kept alive, which a collection
// can only mark again: collecting at 5x the live heap (GC percent 400)
// instead of 2x costs little memory for a small image. A soft memory
// limit bounds that: twice the heap found live by the last collection,
// and at least minMemoryLimit, so that a small image runs in a few tens
// of MiB and a large one is collected as at GC percent 100, never
// continuously. The limit is moved after every collection.
func tuneGC() {
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(minMemoryLimit)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		sentinel := new([16]byte)
		runtime.SetFinalizer(sentinel, func(*[16]byte) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				debug.SetMemoryLimit(max(minMemoryLimit, 7*int64(sample[0].Value.Uint64())/4))
			}
			arm()
		})
	}
	arm()
}
