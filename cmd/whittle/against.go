package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/builder/verify"
	"github.com/whittle-dev/whittle/internal/text"
)

// runAgainst runs argv in the source and the result and compares.
func runAgainst(cmd *cobra.Command, g *globalFlags, f *verifyFlags, srcRef, resRef string, argv []string) error {
	sandbox, err := parseSandbox(f.sandbox)
	if err != nil {
		return err
	}
	limits, err := f.limits.limits()
	if err != nil {
		return err
	}
	check := verify.Check{Argv: argv, Ignore: f.ignore, ExitOnly: f.exitOnly, Probe: f.probe}
	srcS, srcIx, err := g.openAndIndex(cmd.Context(), srcRef, cmd.ErrOrStderr(), asksIndex)
	if err != nil {
		return err
	}
	defer srcS.Close()
	resS, resIx, err := g.openAndIndex(cmd.Context(), resRef, cmd.ErrOrStderr(), asksIndex)
	if err != nil {
		return err
	}
	defer resS.Close()
	progress := g.progress(cmd.ErrOrStderr(), resRef)
	progress("unpacking")
	cmps, err := verify.Against(cmd.Context(), srcS.Image(), srcIx, resS.Image(), resIx, []verify.Check{check},
		verify.Options{Sandbox: sandbox, Timeout: f.timeout, Dir: f.dir, Limits: limits, Started: func([]string) { progress("") }})
	progress("")
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, c := range cmps {
		writeComparison(out, c)
		if !c.Same() {
			return fmt.Errorf("verify: %s differs in %s from %s: %s", quoteArgv(c.Argv), resRef, srcRef, c.Diffs[0].What)
		}
	}
	return nil
}

// writeComparison prints SAME or DIFF, the command, and the first
// differing lines of each side, escaped.
func writeComparison(w io.Writer, c verify.Comparison) {
	words := quoteArgv(c.Argv)
	if c.Check.Probe != "" {
		words = strings.TrimSpace(words + "  (probe " + text.Escape(c.Check.Probe) + ")")
	}
	if c.Same() {
		fmt.Fprintf(w, "SAME  %s  (exit status %s in both)\n", words, outcomeStatus(c.Source))
		return
	}
	fmt.Fprintf(w, "DIFF  %s\n", words)
	for _, d := range c.Diffs {
		fmt.Fprintf(w, "  %s", d.What)
		if d.Line > 0 {
			fmt.Fprintf(w, ", line %d", d.Line)
		}
		fmt.Fprintln(w, ":")
		fmt.Fprintf(w, "    source: %s\n", diffLine(d.Source))
		fmt.Fprintf(w, "    result: %s\n", diffLine(d.Result))
	}
}

func outcomeStatus(o verify.Outcome) string {
	if o.Error != "" {
		return o.Error
	}
	return fmt.Sprint(o.ExitCode)
}

func diffLine(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return text.Escape(strings.TrimSuffix(s, "\n"))
}
