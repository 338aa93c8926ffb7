package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
)

// Check is a command run in an image and how its outcome is compared
// with the same command's in another image (Against).
type Check struct {
	// Argv is the command. With a Probe it may be empty: the image's
	// Entrypoint and Cmd are started then.
	Argv []string
	// Ignore are regular expressions (RE2) whose matches are removed
	// from standard output, standard error and a probe's answer before
	// they are compared: output that legitimately varies (times, ids).
	Ignore []string
	// ExitOnly compares the exit status alone.
	ExitOnly bool
	// Probe, when set, starts the command as a server and asks it once
	// it listens: "tcp:PORT" (connect, read what it sends first) or
	// "http://127.0.0.1:PORT/PATH" (GET: the status and body), on
	// loopback inside the sandbox's network namespace. The answer is
	// compared too, and the server stopped.
	Probe string
	// ProbeTimeout bounds the wait for the server to listen
	// (DefaultProbeTimeout when 0).
	ProbeTimeout time.Duration
}

// DefaultProbeTimeout is how long a probe waits for a server to listen.
const DefaultProbeTimeout = 30 * time.Second

// maxCompared bounds the bytes of each stream kept for comparison.
const maxCompared = 1 << 20

// Outcome is what a check did in one image.
type Outcome struct {
	ExitCode int `json:"exit_code"`
	// Error says why the command had no exit status of its own.
	Error  string `json:"error,omitempty"`
	Stdout []byte `json:"stdout"`
	Stderr []byte `json:"stderr"`
	// Answer is a probe's answer: "connected\n" and what the server sent
	// first (tcp), or the status line and the body (http).
	Answer []byte `json:"answer,omitempty"`
	// ProbeError says why a probe got no answer.
	ProbeError string `json:"probe_error,omitempty"`
	// Truncated says a stream was longer than what was kept (1 MiB).
	Truncated bool `json:"truncated,omitempty"`
}

// Difference is the first place two outcomes differ.
type Difference struct {
	// What is "exit status", "stdout", "stderr" or "answer".
	What string `json:"what"`
	// Line is the 1-based line of the stream where they first differ.
	Line int `json:"line,omitempty"`
	// Source and Result are the differing values or lines ("" past the
	// end of a stream).
	Source string `json:"source"`
	Result string `json:"result"`
}

// Comparison is one check run in the source and in the result.
type Comparison struct {
	Check  Check    `json:"-"`
	Argv   []string `json:"argv"`
	Source Outcome  `json:"source"`
	Result Outcome  `json:"result"`
	// Diffs are the differences, none when the outcomes agree: the exit
	// status when it differs, and the first differing line of the first
	// stream that differs (unless ExitOnly).
	Diffs []Difference `json:"differences"`
}

// Same reports whether the outcomes agree.
func (c Comparison) Same() bool { return len(c.Diffs) == 0 }

// Against unpacks two indexed images (a source and a result made from
// it) and runs each check in both, as Run runs a command in one, and
// compares the exit status, standard output and standard error (and a
// probe's answer), masked by the check's Ignore expressions. The error is
// for what stops the comparison (an image cannot be unpacked, a bad
// expression, no sandbox); differences are in the Comparisons.
func Against(ctx context.Context, src *source.Image, srcIx *analyze.Index, res *source.Image, resIx *analyze.Index, checks []Check, opts Options) (out []Comparison, err error) {
	if len(checks) == 0 {
		return nil, errors.New("no commands to compare")
	}
	masks := make([][]*regexp.Regexp, len(checks))
	for i, c := range checks {
		if len(c.Argv) == 0 && c.Probe == "" {
			return nil, errors.New("a check needs a command or a probe")
		}
		for _, expr := range c.Ignore {
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("ignore %q: %w", expr, err)
			}
			masks[i] = append(masks[i], re)
		}
		if c.Probe != "" {
			if _, err := ParseProbe(c.Probe); err != nil {
				return nil, err
			}
		}
	}
	type side struct {
		im   *source.Image
		tree *Tree
		cfg  v1.Config
	}
	var sides [2]side
	for i, s := range []struct {
		im *source.Image
		ix *analyze.Index
	}{{src, srcIx}, {res, resIx}} {
		// Both trees in opts.Dir: each is its own private directory.
		t, cfg, uerr := unpackConfig(ctx, s.im, s.ix, opts.Dir)
		if uerr != nil {
			return nil, uerr
		}
		defer t.removeInto(&err) // the named result, not a shadow
		sides[i] = side{im: s.im, tree: t, cfg: cfg}
	}
	for i, c := range checks {
		cmp := Comparison{Check: c, Argv: c.Argv}
		for j, s := range sides {
			o, err := outcome(ctx, s.tree.Dir, s.cfg, c, opts)
			if err != nil {
				return out, fmt.Errorf("running %q in %s: %w", c.Argv, s.im.Ref, err)
			}
			if j == 0 {
				if o.ProbeError != "" {
					// Nothing to compare with: the check itself is wrong.
					return out, fmt.Errorf("probe %s of %q in the source %s: %s", c.Probe, c.Argv, s.im.Ref, o.ProbeError)
				}
				cmp.Source = o
			} else {
				cmp.Result = o
			}
		}
		cmp.Diffs = compare(cmp.Source, cmp.Result, c.ExitOnly, masks[i])
		out = append(out, cmp)
	}
	return out, nil
}

// outcome runs one check in one unpacked image.
func outcome(ctx context.Context, root string, cfg v1.Config, c Check, opts Options) (Outcome, error) {
	opts.SeparateOutput = true
	opts.OutputLimit = maxCompared
	var o Outcome
	var r Result
	if c.Probe != "" {
		pr, err := runProbe(ctx, root, cfg, c, opts)
		if err != nil {
			return o, err
		}
		r, o.Answer = pr.Result, pr.Answer
		if pr.Err != nil {
			o.ProbeError = pr.Err.Error()
			o.Answer = []byte("probe failed: " + pr.Err.Error())
		}
	} else {
		var err error
		if r, err = Run(ctx, root, cfg, c.Argv, opts); err != nil {
			return o, withOutput(err, r.Stderr)
		}
	}
	o.ExitCode = r.ExitCode
	if r.Err != nil {
		o.Error = r.Err.Error()
	}
	o.Stdout, o.Stderr = r.Stdout, r.Stderr
	if len(o.Stdout)+len(o.Stderr) == 0 && len(r.Output) > 0 {
		// What Run said itself (a command not found, not executable).
		o.Stderr = r.Output
	}
	o.Truncated = r.Truncated
	return o, nil
}

// compare finds where two outcomes differ: the exit status, and the
// first line of the first stream that differs.
func compare(a, b Outcome, exitOnly bool, masks []*regexp.Regexp) []Difference {
	var out []Difference
	if a.ExitCode != b.ExitCode || a.Error != b.Error {
		out = append(out, Difference{What: "exit status", Source: status(a), Result: status(b)})
	}
	if exitOnly {
		return out
	}
	for _, s := range []struct {
		what string
		a, b []byte
	}{{"stdout", a.Stdout, b.Stdout}, {"stderr", a.Stderr, b.Stderr}, {"answer", a.Answer, b.Answer}} {
		if d := firstDiff(mask(s.a, masks), mask(s.b, masks)); d != nil {
			d.What = s.what
			return append(out, *d)
		}
	}
	return out
}

func status(o Outcome) string {
	if o.Error != "" {
		return o.Error
	}
	return fmt.Sprint(o.ExitCode)
}

// mask removes every match of the expressions.
func mask(b []byte, masks []*regexp.Regexp) []byte {
	for _, re := range masks {
		b = re.ReplaceAllLiteral(b, nil)
	}
	return b
}

// firstDiff returns the first differing line of two texts, nil when
// they are equal.
func firstDiff(a, b []byte) *Difference {
	if bytes.Equal(a, b) {
		return nil
	}
	la, lb := strings.SplitAfter(string(a), "\n"), strings.SplitAfter(string(b), "\n")
	for i := 0; ; i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return &Difference{Line: i + 1, Source: x, Result: y}
		}
	}
}
