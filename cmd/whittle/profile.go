package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the profiles the environment asks for, for
// measuring whittle itself: WHITTLE_CPUPROFILE names a file for a CPU
// profile, WHITTLE_MEMPROFILE one for a heap profile taken at exit (all
// allocations since the start, and what is live), both readable by
// `go tool pprof`. The returned function writes and closes them.
func startProfiles() (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	if p := os.Getenv("WHITTLE_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return stop, fmt.Errorf("WHITTLE_CPUPROFILE: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, fmt.Errorf("WHITTLE_CPUPROFILE: %w", err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if p := os.Getenv("WHITTLE_MEMPROFILE"); p != "" {
		runtime.MemProfileRate = 64 << 10
		stops = append(stops, func() {
			f, err := os.Create(p)
			if err != nil {
				return
			}
			defer f.Close()
			runtime.GC() // the profile counts allocations up to the last collection
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
		})
	}
	return stop, nil
}
