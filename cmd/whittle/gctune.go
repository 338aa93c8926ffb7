package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// minMemoryLimit is the soft memory limit below which whittle's heap is
// never asked to stay: a cold audit of a 250 MB image stays within it.
// At 32 MiB a cold Debian audit spent a quarter of its CPU collecting
// (0.4 s more than at 40, for 3 MiB less peak: 52-55 MiB at 40).
const minMemoryLimit = 40 << 20

// memoryLimit is the soft memory limit after a collection found live
// bytes live: 1.75 times that, at least minMemoryLimit, while the heap is
// small, so that a small image runs in a few tens of MiB; for a larger
// heap, the GC percent's 5 times up to 768 MiB, and at least twice the
// live heap, so that a collection is never continuous.
func memoryLimit(live int64) int64 {
	if live <= 64<<20 {
		return max(minMemoryLimit, 7*live/4)
	}
	return max(2*live, min(5*live, 768<<20))
}

// tuneGC sets how whittle collects garbage. Its heap is mostly the
// index and the closure, built once and kept alive, which a collection
// can only mark again: it collects at 5 times the live heap (GC percent
// 400), within a soft memory limit that memoryLimit moves after every
// collection.
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
				debug.SetMemoryLimit(memoryLimit(int64(sample[0].Value.Uint64())))
			}
			arm()
		})
	}
	arm()
}
