package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/kballard/go-shellquote"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/builder/verify"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/plan"
)

// checks are a plan's commands with their compare options, as the
// verify package runs them.
func checks(cmds [][]string, opts []plan.CheckOptions) []verify.Check {
	out := make([]verify.Check, len(cmds))
	for i, c := range cmds {
		o := plan.OptionsAt(opts, i)
		out[i] = verify.Check{Argv: c, Ignore: o.Ignore, ExitOnly: o.ExitOnly, Probe: o.Probe}
	}
	return out
}

// tracedPaths are the paths the plan's learn: commands touch, which the
// closure keeps: its learned: list when it has one (a rebuild needs no
// tracing) and opts.Relearn is not set, else what the commands touch in
// the source image, run now under the tracer (fresh is true then).
func tracedPaths(ctx context.Context, p *plan.Plan, im *source.Image, ix *analyze.Index, opts Options, say func(Event)) (traced []closure.Traced, fresh bool, err error) {
	if len(p.Learn) == 0 {
		for _, l := range p.Learned {
			traced = append(traced, closure.Traced{Path: l})
		}
		return traced, false, nil
	}
	if p.Learned != nil && !opts.Relearn {
		for _, l := range p.Learned {
			traced = append(traced, closure.Traced{Path: l})
		}
		return traced, false, nil
	}
	learned, err := verify.Learn(ctx, im, ix, checks(p.Learn, p.LearnOptions), verify.Options{
		Sandbox: opts.Sandbox, Timeout: opts.Timeout, Limits: opts.Limits,
		Started: func(argv []string) { say(Event{Stage: "learn", Message: strings.Join(argv, " ")}) },
	})
	if err != nil {
		return nil, false, fmt.Errorf("learn: %w", err)
	}
	for _, l := range learned {
		if l.Result.Err != nil && l.Result.ExitCode != 0 && len(l.Accesses) == 0 {
			return nil, false, fmt.Errorf("learn: %q in %s: %v", l.Result.Argv, im.Ref, l.Result.Err)
		}
	}
	return verify.TracedPaths(learned), true, nil
}

// learnedList is the plan's learned: list for traced paths: those that
// are in the image, sorted.
func learnedList(cl *closure.Closure, traced []closure.Traced) []string {
	out := []string{}
	for _, t := range traced {
		if cl.Exists(t.Path) {
			out = append(out, t.Path)
		}
	}
	return out
}

// verifyAlone runs the commands inside the built image, passing those
// that exit 0: an assembled image has no source image to compare with.
func (r *Report) verifyAlone(ctx context.Context, cmds [][]string, opts Options, say func(Event)) error {
	// Read the result back as any image, and run the commands in it.
	built, err := source.FromV1(r.Digest, r.Image)
	if err != nil {
		return err
	}
	bix, err := analyze.IndexImage(ctx, built, analyze.IndexOptions{})
	if err != nil {
		return fmt.Errorf("reading the built image: %w", err)
	}
	results, err := verify.Verify(ctx, built, bix, cmds, verify.Options{
		Sandbox: opts.Sandbox, Timeout: opts.Timeout, Limits: opts.Limits,
		Started: func(argv []string) { say(Event{Stage: "verify", Message: strings.Join(argv, " ")}) },
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var failed []string
	for _, res := range results {
		v := VerifyResult{Argv: res.Argv, Passed: res.Passed, ExitCode: res.ExitCode, Output: string(res.Output)}
		if res.Err != nil {
			v.Error = res.Err.Error()
		}
		r.Verify = append(r.Verify, v)
		if !res.Passed {
			failed = append(failed, shellquote.Join(res.Argv...))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrVerify, strings.Join(failed, "; "))
	}
	return nil
}
