package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

func TestSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"512MiB", 512 << 20, false},
		{"2GB", 2e9, false},
		{"1GiB", 1 << 30, false},
		{"4096", 4096, false},
		{"0", -1, false},
		{"lots", 0, true},
		{"-5MB", 0, true},
	} {
		got, err := sizeFlag("--disk", tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%q: %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if got := sizeString(2 << 30); got != "2GiB" {
		t.Errorf("sizeString: %s", got)
	}
}

// TestVerifyDirAndLimits: a bad limit is one error line; --dir D holds the
// private directory only while verify runs, and D keeps its mode and
// owner.
func TestVerifyDirAndLimits(t *testing.T) {
	if _, errs, code := run(t, "verify", "demo:", "--memory", "lots", "--", "true"); code != 1 || errs != "whittle: --memory \"lots\": want a size such as 512MiB or 2GB, or 0 for no limit\n" {
		t.Errorf("bad --memory: exit %d, %q", code, errs)
	}
	if _, errs, code := run(t, "verify", "demo:", "--pids-limit", "0", "--", "true"); code != 1 || !strings.Contains(errs, "--pids-limit 0") {
		t.Errorf("bad --pids-limit: exit %d, %q", code, errs)
	}
	testfix.NeedTool(t, "bwrap")
	ref := "rootfs-tar:" + testfix.DebianRootfsTar(t)
	d := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(d, 0o750); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run(t, "verify", ref, "--dir", d, "--disk", "8MiB", "--", "sh", "-c", `head -c 16777216 /dev/zero > /tmp/fill`)
	if code != 1 || !strings.Contains(out, "No space left on device") {
		t.Errorf("--disk 8MiB: exit %d, %s%s", code, out, errs)
	}
	info, err := os.Stat(d)
	if err != nil {
		t.Fatal(err)
	}
	if st := info.Sys().(*syscall.Stat_t); info.Mode().Perm() != 0o750 || st.Uid != uint32(os.Geteuid()) {
		t.Errorf("--dir left %v owned by %d", info.Mode(), st.Uid)
	}
	if ents, _ := os.ReadDir(d); len(ents) != 0 {
		t.Errorf("--dir left %v", ents)
	}
}
