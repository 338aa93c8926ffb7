package main

import (
	"fmt"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/spf13/pflag"

	"github.com/whittle-dev/whittle/builder/verify"
)

// limitFlags are the sandbox's limits as verify and build read them.
type limitFlags struct {
	pids         int
	memory, disk string
}

// addLimitFlags adds --pids-limit, --memory and --disk to fl.
func addLimitFlags(fl *pflag.FlagSet, lf *limitFlags) {
	fl.IntVar(&lf.pids, "pids-limit", verify.DefaultPidsLimit, "most processes and threads a verify command may have at once (-1: no limit)")
	fl.StringVar(&lf.memory, "memory", sizeString(verify.DefaultMemory), "most memory a verify command may use, as 512MiB or 2GB (0: no limit)")
	fl.StringVar(&lf.disk, "disk", sizeString(verify.DefaultDisk), "most bytes a verify command may write, as 512MiB or 2GB (0: no limit)")
}

// limits reads the flags.
func (lf *limitFlags) limits() (verify.Limits, error) {
	l := verify.Limits{Pids: lf.pids}
	switch {
	case lf.pids == 0 || lf.pids < -1:
		return l, fmt.Errorf("--pids-limit %d: want a positive number, or -1 for no limit", lf.pids)
	}
	var err error
	if l.Memory, err = sizeFlag("--memory", lf.memory); err != nil {
		return l, err
	}
	if l.Disk, err = sizeFlag("--disk", lf.disk); err != nil {
		return l, err
	}
	return l, nil
}

// sizeFlag reads a size in bytes ("0" for no limit: -1 in Limits).
func sizeFlag(name, s string) (int64, error) {
	n, err := humanize.ParseBytes(strings.TrimSpace(s))
	if err != nil || n > 1<<62 {
		return 0, fmt.Errorf("%s %q: want a size such as 512MiB or 2GB, or 0 for no limit", name, s)
	}
	if n == 0 {
		return -1, nil
	}
	return int64(n), nil
}

// sizeString writes a default size as the flags read it: 2GiB.
func sizeString(n int64) string {
	for _, u := range []struct {
		unit  string
		bytes int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.bytes == 0 {
			return fmt.Sprintf("%d%s", n/u.bytes, u.unit)
		}
	}
	return fmt.Sprint(n)
}
