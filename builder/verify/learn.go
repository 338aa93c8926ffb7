package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kballard/go-shellquote"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/internal/trace"
)

// Learned is what one command touched when Learn ran it.
type Learned struct {
	// Result is the command's own outcome, as Run reports it.
	Result Result
	// Accesses are the paths it and its children touched inside the
	// image, sorted, the sandbox's own mounts (/proc, /dev, /sys and a
	// /tmp the image lacks) left out. A path may not exist in the image:
	// a program probes for many files it does without.
	Accesses []trace.Access
}

// Learn unpacks an indexed image once and runs each command in it, as
// Verify does, under a file-access tracer (ptrace, started by this
// program re-executed: see trace.Wrap), and reports the paths each
// touched. A command that fails still reports what it touched; the error
// is for what stops learning.
func Learn(ctx context.Context, im *source.Image, ix *analyze.Index, commands []Check, opts Options) (learned []Learned, err error) {
	if len(commands) == 0 {
		return nil, errors.New("no commands to learn from")
	}
	tree, cfg, err := unpackConfig(ctx, im, ix, opts.Dir)
	if err != nil {
		return nil, err
	}
	defer tree.removeInto(&err)
	_, noTmp := os.Lstat(tree.Dir + "/tmp")
	for _, c := range commands {
		l, err := learnOne(ctx, tree.Dir, cfg, c, opts)
		if err != nil {
			return learned, fmt.Errorf("learning from %q in %s: %w", c.Argv, im.Ref, withOutput(err, l.Result.Output))
		}
		l.Accesses = slices.DeleteFunc(l.Accesses, func(a trace.Access) bool {
			return sandboxPath(a.Path, noTmp != nil)
		})
		learned = append(learned, l)
	}
	return learned, nil
}

// learnOne runs one check under the tracer.
func learnOne(ctx context.Context, root string, cfg v1.Config, c Check, opts Options) (Learned, error) {
	var l Learned
	f, err := os.CreateTemp("", "whittle-trace-*.json")
	if err != nil {
		return l, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// The tracer may run as the image's user: it is given the open file.
	opts.Launch = func(cmd *exec.Cmd, execs int) { trace.Wrap(cmd, f, execs) }
	if c.Probe != "" {
		pr, err := runProbe(ctx, root, cfg, c, opts)
		l.Result = pr.Result
		if err != nil {
			return l, err
		}
	} else {
		l.Result, err = Run(ctx, root, cfg, c.Argv, opts)
		if err != nil {
			return l, err
		}
	}
	if errors.Is(l.Result.Err, ErrNotFound) {
		return l, nil
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return l, fmt.Errorf("reading the trace: %w", err)
	}
	if len(data) == 0 {
		return l, errors.New("the tracer wrote nothing (see the output)")
	}
	if err := json.Unmarshal(data, &l.Accesses); err != nil {
		return l, fmt.Errorf("reading the trace: %w", err)
	}
	return l, nil
}

// sandboxPath reports whether p is provided by the sandbox rather than
// the image: /proc, /dev, /sys, and /tmp when the image has none.
func sandboxPath(p string, hostTmp bool) bool {
	for _, m := range []string{"/proc", "/dev", "/sys"} {
		if p == m || strings.HasPrefix(p, m+"/") {
			return true
		}
	}
	return hostTmp && (p == "/tmp" || strings.HasPrefix(p, "/tmp/"))
}

// TracedPaths merges what the commands touched into the closure's
// traced paths, sorted by path, each with its strongest access and the
// command line behind it.
func TracedPaths(learned []Learned) []closure.Traced {
	best := map[string]trace.Access{}
	for _, l := range learned {
		for _, a := range l.Accesses {
			if old, ok := best[a.Path]; !ok || trace.Stronger(a.Op, old.Op) {
				best[a.Path] = a
			}
		}
	}
	out := make([]closure.Traced, 0, len(best))
	for _, p := range slices.Sorted(maps.Keys(best)) {
		a := best[p]
		out = append(out, closure.Traced{Path: p, Op: string(a.Op), By: shellquote.Join(a.By...)})
	}
	return out
}
