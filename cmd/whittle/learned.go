package main

import (
	"fmt"
	"io"

	"github.com/whittle-dev/whittle/builder/pipeline"
	"github.com/whittle-dev/whittle/builder/verify"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
)

// saveLearned writes the paths a build's learn: commands touched into
// the plan's learned: list, so that the next build (in CI) needs no
// tracing: into --save-plan's file when given, else into --plan's.
func saveLearned(stderr io.Writer, f *buildFlags, p *plan.Plan, rep *pipeline.Report) error {
	if rep.Learned == nil {
		return nil
	}
	dst := f.savePlan
	if dst == "" {
		dst = f.plan
	}
	if dst == "" {
		fmt.Fprintf(stderr, "whittle: learn: %d paths traced; give --save-plan FILE to keep them in a plan\n", len(rep.Learned))
		return nil
	}
	p.Learned = rep.Learned
	if err := plan.Write(dst, p); err != nil {
		return fmt.Errorf("saving the learned paths: %w", err)
	}
	fmt.Fprintf(stderr, "whittle: learn: %d paths traced, saved as learned: in %s\n", len(rep.Learned), text.Escape(dst))
	return nil
}

// writeDifferences prints where a verify command's outcome in the result
// differs from the source's, escaped.
func writeDifferences(w io.Writer, diffs []verify.Difference) {
	for _, d := range diffs {
		fmt.Fprintf(w, "      %s differs", d.What)
		if d.Line > 0 {
			fmt.Fprintf(w, " at line %d", d.Line)
		}
		fmt.Fprintln(w, ":")
		fmt.Fprintf(w, "        source: %s\n", diffLine(d.Source))
		fmt.Fprintf(w, "        result: %s\n", diffLine(d.Result))
	}
}

// planTraced reads a plan's learned: list as traced paths ("": none).
func planTraced(file string) ([]closure.Traced, error) {
	if file == "" {
		return nil, nil
	}
	p, err := plan.Load(file)
	if err != nil {
		return nil, fmt.Errorf("--learned: %w", err)
	}
	var out []closure.Traced
	for _, l := range p.Learned {
		out = append(out, closure.Traced{Path: l})
	}
	return out, nil
}
