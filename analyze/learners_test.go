package analyze

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze/source"
)

// readingLearner wants the files whose names start with prefix and
// reads head bytes of each (all when head < 0), keeping them by path;
// it records what it saw when LayerRead is told.
type readingLearner struct {
	prefix string
	head   int
	mu     sync.Mutex
	got    map[string][]byte
	done   map[int]int // entries learnt by each layer when LayerRead came
	inMem  int         // entries it was handed in memory
}

func (l *readingLearner) Wants(e *Entry) bool {
	return len(e.Path) > len(l.prefix) && e.Path[:len(l.prefix)] == l.prefix
}

func (l *readingLearner) Learn(layer, pos int, e *Entry, r io.Reader) error {
	var b []byte
	var err error
	if l.head < 0 {
		b, err = io.ReadAll(r)
	} else {
		b = make([]byte, min(int64(l.head), e.Size))
		_, err = io.ReadFull(r, b)
	}
	if err != nil {
		return err
	}
	_, inMem := EntryBytes(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got[e.Path] = b
	if inMem {
		l.inMem++
	}
	return nil
}

func (l *readingLearner) LayerRead(layer int, _ v1.Hash) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done[layer] = len(l.got)
}

// TestLearners: joined learners each see exactly the bytes they read of
// the entries they want, whatever the entry's size (read in memory and
// learnt on another goroutine, or streamed to the last learner), and
// LayerRead comes after every entry of the layer was learnt.
func TestLearners(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	sizes := []int{0, 10, 4000, asyncMin - 1, asyncMin, 200000, maxShared, maxShared + 4096}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	want := map[string][]byte{}
	for i, size := range sizes {
		for _, dir := range []string{"both", "all", "head"} {
			data := make([]byte, size)
			for j := range data {
				data[j] = byte(r.IntN(256))
			}
			name := fmt.Sprintf("/%s/f%d", dir, i)
			want[name] = data
			if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			tw.Write(data)
		}
	}
	tw.Close()
	sum := sha256.Sum256(buf.Bytes())
	raw, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}}})
	im, err := source.Memory("demo:", raw, [][]byte{buf.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	// The head reader goes first: it wants /both and /head, the whole
	// reader /both and /all.
	head := &readingLearner{prefix: "/", head: 100, got: map[string][]byte{}, done: map[int]int{}}
	headWants := &filterLearner{readingLearner: head, ok: func(p string) bool { return p[:5] == "/both" || p[:5] == "/head" }}
	all := &readingLearner{prefix: "/", head: -1, got: map[string][]byte{}, done: map[int]int{}}
	allWants := &filterLearner{readingLearner: all, ok: func(p string) bool { return p[:5] == "/both" || p[:4] == "/all" }}
	if _, err := IndexImage(context.Background(), im, IndexOptions{Learner: Learners(headWants, nil, allWants)}); err != nil {
		t.Fatal(err)
	}
	for name, data := range want {
		if headWants.ok(name) {
			if got, w := head.got[name], data[:min(100, len(data))]; !bytes.Equal(got, w) {
				t.Errorf("head learner: %s: %d bytes, want its first %d", name, len(got), len(w))
			}
		} else if _, ok := head.got[name]; ok {
			t.Errorf("head learner saw %s, which it does not want", name)
		}
		if allWants.ok(name) {
			if got := all.got[name]; !bytes.Equal(got, data) {
				t.Errorf("whole learner: %s: %d bytes, want %d", name, len(got), len(data))
			}
		} else if _, ok := all.got[name]; ok {
			t.Errorf("whole learner saw %s, which it does not want", name)
		}
	}
	if head.done[0] != 2*len(sizes) || all.done[0] != 2*len(sizes) {
		t.Errorf("LayerRead after %d and %d entries, want %d each", head.done[0], all.done[0], 2*len(sizes))
	}
	// In memory: every entry up to maxShared, /both and /all alike.
	if want := 2 * (len(sizes) - 1); all.inMem != want {
		t.Errorf("whole learner was handed %d entries in memory, want %d", all.inMem, want)
	}
}

// filterLearner is a readingLearner that wants the paths ok accepts.
type filterLearner struct {
	*readingLearner
	ok func(string) bool
}

func (f *filterLearner) Wants(e *Entry) bool { return f.ok(e.Path) }
