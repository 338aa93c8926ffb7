package testfix

import (
	"os"
	"strings"
	"testing"
)

func TestNixFixture(t *testing.T) {
	st := NixFixture(t)
	if st.StoreDir != "/nix/store" {
		t.Errorf("StoreDir = %q", st.StoreDir)
	}
	want := map[string]string{
		"leaf": "whittle-leaf", "content": "whittle-content", "symlinks": "whittle-symlinks",
		"split": "whittle-split", "zoneinfo": "whittle-zoneinfo", "named": "whittle-named",
		"multi": "whittle-multi", "multi-dev": "whittle-multi-dev", "top": "whittle-top",
	}
	if len(st.Out) != len(want) {
		t.Errorf("Out has %d paths, want %d", len(st.Out), len(want))
	}
	for name, suffix := range want {
		p := st.Out[name]
		if !strings.HasPrefix(p, st.StoreDir+"/") || !strings.HasSuffix(p, "-"+suffix) || len(p) != len(st.StoreDir)+1+32+1+len(suffix) {
			t.Errorf("Out[%s] = %q, want %s/<hash>-%s", name, p, st.StoreDir, suffix)
		}
	}
	data, err := os.ReadFile(st.SplitFile)
	if err != nil {
		t.Fatal(err)
	}
	hash := st.Out["symlinks"][len(st.StoreDir)+1:][:32]
	if got := string(data[NixSplitOffset : NixSplitOffset+32]); got != hash {
		t.Errorf("split file holds %q at %d, want the hash of symlinks %q", got, NixSplitOffset, hash)
	}
	if target, err := os.Readlink(st.Out["zoneinfo"] + "/share/zoneinfo/posix"); err != nil || target != "." {
		t.Errorf("zoneinfo/posix -> %q, %v", target, err)
	}
}
