package verify

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Default limits of a sandboxed command.
const (
	DefaultPidsLimit = 1024
	DefaultMemory    = 2 << 30
	DefaultDisk      = 1 << 30
)

// Limits bound what a sandboxed command may use. A zero field takes its
// default; a negative one means no limit.
type Limits struct {
	// Pids is how many processes (and threads) the command may have at
	// once: a pids cgroup when one can be made, else RLIMIT_NPROC (which
	// counts every process of the user on the host).
	Pids int
	// Memory is how many bytes of memory the command may use: a memory
	// cgroup when one can be made, else RLIMIT_AS (address space, which
	// hurts runtimes that reserve much more than they use).
	Memory int64
	// Disk is how many bytes the command may write: the size of the
	// tmpfs that holds its writes (over the image's tree, through an
	// overlay) when the sandbox is set up as root, else RLIMIT_FSIZE (the
	// size of any one file).
	Disk int64
}

// withDefaults fills the zero fields.
func (l Limits) withDefaults() Limits {
	if l.Pids == 0 {
		l.Pids = DefaultPidsLimit
	}
	if l.Memory == 0 {
		l.Memory = DefaultMemory
	}
	if l.Disk == 0 {
		l.Disk = DefaultDisk
	}
	return l
}

// cgroupPrefix starts the name of each cgroup verify makes; the maker's
// pid follows, so a later run can remove those of a killed one.
const cgroupPrefix = "whittle-verify-"

var cgroupSeq atomic.Int64

// cgroup is one command's control group: a directory per hierarchy
// (cgroup v1) or one directory (v2).
type cgroup struct {
	dirs   []string
	pids   bool // the pids controller limits the command
	memory bool // the memory controller limits the command
}

// newCgroup makes a control group with the limits, under this process's
// own groups, when it can (root, the controllers mounted); nil otherwise.
// Groups left by killed runs beside it are removed first.
func newCgroup(l Limits) *cgroup {
	if os.Geteuid() != 0 {
		return nil
	}
	own, err := ownCgroups()
	if err != nil {
		return nil
	}
	name := fmt.Sprintf("%s%d-%d", cgroupPrefix, os.Getpid(), cgroupSeq.Add(1))
	cg := &cgroup{}
	if p, ok := own[""]; ok && fileExists("/sys/fs/cgroup/cgroup.controllers") {
		// cgroup v2: one directory, controllers enabled in the parent.
		parent := filepath.Join("/sys/fs/cgroup", p)
		removeStaleCgroups(parent)
		os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+pids +memory"), 0)
		dir := filepath.Join(parent, name)
		if os.Mkdir(dir, 0o700) != nil {
			return nil
		}
		cg.dirs = []string{dir}
		if l.Pids > 0 && writeFile(dir, "pids.max", strconv.Itoa(l.Pids)) == nil {
			cg.pids = true
		}
		if l.Memory > 0 && writeFile(dir, "memory.max", strconv.FormatInt(l.Memory, 10)) == nil {
			writeFile(dir, "memory.swap.max", "0")
			cg.memory = true
		}
		return cg
	}
	for _, c := range []string{"pids", "memory"} {
		p, ok := own[c]
		if !ok || (c == "pids" && l.Pids < 0) || (c == "memory" && l.Memory < 0) {
			continue
		}
		parent := filepath.Join("/sys/fs/cgroup", c, p)
		if !fileExists(filepath.Join(parent, "cgroup.procs")) {
			continue
		}
		removeStaleCgroups(parent)
		dir := filepath.Join(parent, name)
		if os.Mkdir(dir, 0o700) != nil {
			continue
		}
		var err error
		if c == "pids" {
			err = writeFile(dir, "pids.max", strconv.Itoa(l.Pids))
			cg.pids = err == nil
		} else {
			err = writeFile(dir, "memory.limit_in_bytes", strconv.FormatInt(l.Memory, 10))
			if err == nil {
				writeFile(dir, "memory.memsw.limit_in_bytes", strconv.FormatInt(l.Memory, 10))
			}
			cg.memory = err == nil
		}
		if err != nil {
			os.Remove(dir)
			continue
		}
		cg.dirs = append(cg.dirs, dir)
	}
	if len(cg.dirs) == 0 {
		return nil
	}
	return cg
}

// ownCgroups reads /proc/self/cgroup: this process's group per controller
// ("" for the cgroup v2 hierarchy).
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, sc.Err()
}

// remove kills what is left in the group and removes it.
func (cg *cgroup) remove() error {
	if cg == nil {
		return nil
	}
	var errs []error
	for _, d := range cg.dirs {
		errs = append(errs, removeCgroup(d))
	}
	return errors.Join(errs...)
}

// removeCgroup kills the processes of a group until it is empty, then
// removes it.
func removeCgroup(dir string) error {
	var err error
	for i := 0; i < 100; i++ {
		writeFile(dir, "cgroup.kill", "1") // v2; v1 has none
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, perr := strconv.Atoi(f); perr == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("removing cgroup %s: %w", dir, err)
}

// removeStaleCgroups removes the groups under parent that a verify run
// which no longer exists made (a SIGKILLed whittle cannot remove its own).
func removeStaleCgroups(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), cgroupPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		removeCgroup(filepath.Join(parent, e.Name()))
	}
}

// processAlive reports whether a process with the pid exists.
func processAlive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

func writeFile(dir, name, value string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(value), 0)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// rlimits are the limits set with setrlimit in the helper: those the
// cgroup and the overlay do not enforce.
type rlimits struct {
	NProc, AS, FSize uint64 // 0: not set
}

// set applies the limits to the calling process (inherited by what it
// executes).
func (r rlimits) set() error {
	for _, l := range []struct {
		res int
		v   uint64
	}{{unix.RLIMIT_NPROC, r.NProc}, {unix.RLIMIT_AS, r.AS}, {unix.RLIMIT_FSIZE, r.FSize}} {
		if l.v == 0 {
			continue
		}
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.v, Max: l.v}); err != nil {
			return fmt.Errorf("setrlimit %d: %w", l.res, err)
		}
	}
	return nil
}
