package nixref

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// TestRunScannerAgrees: for random streams of store paths, hash parts,
// base-32 noise and separators, cut into random writes, resolving the
// runs a RunScanner kept gives exactly the occurrences a tracking Scanner
// of the set finds.
func TestRunScannerAgrees(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	hash := func() string {
		b := make([]byte, HashLen)
		for i := range b {
			b[i] = Alphabet[rng.Intn(len(Alphabet))]
		}
		return string(b)
	}
	var cands []string
	for i := 0; i < 8; i++ {
		cands = append(cands, hash())
	}
	set, err := NewSet(cands)
	if err != nil {
		t.Fatal(err)
	}
	pieces := []func() string{
		func() string { return "/nix/store/" + cands[rng.Intn(len(cands))] + "-pkg-1.0" },
		func() string { return "/nix/store/" + cands[rng.Intn(len(cands))] + "-x/lib/y.so" },
		func() string { return cands[rng.Intn(len(cands))] },
		func() string { return hash() },
		func() string { return Alphabet[:rng.Intn(len(Alphabet))] },
		func() string { return "/" }, func() string { return ":" }, func() string { return "\x00" },
		func() string { return "-" }, func() string { return " " }, func() string { return "\"" },
		func() string { return strings.Repeat("a", rng.Intn(80)) },
	}
	withTail := 0
	for round := 0; round < 3000; round++ {
		var streams []string
		for s := rng.Intn(3) + 1; s > 0; s-- {
			var b strings.Builder
			for k := rng.Intn(12); k > 0; k-- {
				b.WriteString(pieces[rng.Intn(len(pieces))]())
			}
			streams = append(streams, b.String())
		}
		sc := set.NewScanner()
		sc.TrackOccurrences()
		rs := NewRunScanner()
		for _, s := range streams {
			for i := 0; i < len(s); {
				k := min(len(s)-i, rng.Intn(70)+1)
				sc.Write([]byte(s[i : i+k]))
				rs.Write([]byte(s[i : i+k]))
				i += k
			}
			sc.EndStream()
			rs.EndStream()
		}
		runs, ok := rs.Runs()
		if !ok {
			t.Fatalf("round %d: overflow", round)
		}
		want, got := sc.Occurrences(), set.Resolve(runs)
		for _, o := range want {
			if len(o) > HashLen+1 {
				withTail++
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: streams %q\nruns %q\nresolved %q\nscanner  %q", round, streams, runs, got, want)
		}
	}
	if withTail < 1000 {
		t.Errorf("only %d of 3000 rounds found a path after a hash part", withTail)
	}
}

// TestRunScannerOverflow: a run longer than MaxRun, or more runs than
// MaxRuns, is reported, not cut.
func TestRunScannerOverflow(t *testing.T) {
	rs := NewRunScanner()
	rs.Write([]byte(" " + strings.Repeat("a", MaxRun+1) + " "))
	if _, ok := rs.Runs(); ok {
		t.Errorf("a run of %d bytes did not overflow", MaxRun+1)
	}
	rs.Reset()
	rs.Write([]byte(" " + strings.Repeat("a", MaxRun) + " "))
	if runs, ok := rs.Runs(); !ok || len(runs) != 1 {
		t.Errorf("a run of %d bytes: %d runs, ok %v", MaxRun, len(runs), ok)
	}
}
