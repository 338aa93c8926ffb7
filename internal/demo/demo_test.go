package demo

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

func TestBuildIsReproducible(t *testing.T) {
	cfg1, layers1, err := Build("")
	if err != nil {
		t.Fatal(err)
	}
	cfg2, layers2, err := Build(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cfg1, cfg2) {
		t.Errorf("two builds gave different configs")
	}
	if len(layers1) != len(layers2) {
		t.Fatalf("two builds gave %d and %d layers", len(layers1), len(layers2))
	}
	for i := range layers1 {
		if sha256.Sum256(layers1[i]) != sha256.Sum256(layers2[i]) {
			t.Errorf("layer %d differs between two builds", i+1)
		}
	}
}

// The measured sizes of the default demo's layers (tar streams). A change
// to what the demo holds changes them: update them on purpose.
var wantLayerSizes = []int{23_023_616, 6_400_000, 9_736_192, 12_288}

const wantTotalSize = 39_172_096

// wantConfigDigest is the SHA-256 of the raw config, which lists every
// layer's digest: it changes with any byte of the image.
const wantConfigDigest = "64032d38687afba48fcceb08d9437920087e6fee34da677d96d1dc38b4e52a71"

func TestSizes(t *testing.T) {
	b := demoBuilt(t)
	total := 0
	for i, l := range b.tars {
		total += len(l)
		if i < len(wantLayerSizes) && len(l) != wantLayerSizes[i] {
			t.Errorf("layer %d is %d bytes, want %d", i+1, len(l), wantLayerSizes[i])
		}
	}
	if len(b.tars) != len(wantLayerSizes) {
		t.Errorf("%d layers, want %d", len(b.tars), len(wantLayerSizes))
	}
	if total != wantTotalSize {
		t.Errorf("total %d bytes, want %d", total, wantTotalSize)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(b.config)); got != wantConfigDigest {
		t.Errorf("config digest %s, want %s", got, wantConfigDigest)
	}
	// The bounds the demo is designed to: tens of MB at most.
	if total < 25<<20 || total > 40<<20 {
		t.Errorf("total %d bytes is outside 25–40 MiB", total)
	}
}

func TestUnknownName(t *testing.T) {
	for _, tc := range []struct {
		name, err string
	}{
		{"nope", `unknown demo image "nope"; known: default`},
		{"Default", `unknown demo image "Default"; known: default`},
	} {
		if _, _, err := Build(tc.name); err == nil || err.Error() != tc.err {
			t.Errorf("Build(%q) = %v, want %s", tc.name, err, tc.err)
		}
		if _, err := Describe(tc.name); err == nil || err.Error() != tc.err {
			t.Errorf("Describe(%q) = %v, want %s", tc.name, err, tc.err)
		}
	}
	if got := Names(); len(got) != 1 || got[0] != DefaultName {
		t.Errorf("Names() = %q, want [default]", got)
	}
}

func BenchmarkBuild(b *testing.B) {
	for b.Loop() {
		if _, _, err := Build(""); err != nil {
			b.Fatal(err)
		}
	}
}
