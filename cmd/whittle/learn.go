package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/builder/verify"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/internal/text"
)

type learnFlags struct {
	sandbox string
	timeout time.Duration
	probe   string
	roots   []string
	json    bool
	limits  limitFlags
}

func newLearnCommand(g *globalFlags) *cobra.Command {
	f := &learnFlags{}
	cmd := &cobra.Command{
		Use:   "learn REF -- CMD [ARGS...]",
		Short: "Run a command in an image under a file tracer and show what the static closure misses",
		Long: `learn runs the command after -- inside the image, sandboxed as verify runs it,
under a file-access tracer (ptrace, built in: nothing to install), and
lists every file of the image the command (the image's Entrypoint and Cmd
when none is given) (and every process it starts)
opened, executed, looked up, read as a link or listed that the static
closure does not reach: what a default trim would lose. Those are the
paths a plan's learn: commands keep (as traced edges of the closure,
saved in the plan's learned: list). The counts are the honest measure of
the static rules on this image.

  whittle learn app.tar -- python3 /app/run.py --self-test
  whittle learn app.tar --probe http://127.0.0.1:8080/ --json --`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 0 {
				return errors.New("learn: give the command to run after --, as in: whittle learn REF -- sh -c 'exit 0'")
			}
			if dash != 1 {
				return fmt.Errorf("learn: want one image reference before --, got %d", dash)
			}
			return runLearn(cmd, g, f, args[0], args[dash:])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.sandbox, "sandbox", "auto", "auto (bwrap when installed), bwrap or namespaces")
	fl.DurationVar(&f.timeout, "timeout", verify.DefaultTimeout, "longest the command may run")
	addLimitFlags(fl, &f.limits)
	fl.StringVar(&f.probe, "probe", "", "start the command (or the entry point) as a server and ask it: tcp:PORT or http://127.0.0.1:PORT/PATH")
	fl.StringSliceVar(&f.roots, "roots", nil, "roots of the static closure compared with (default: Entrypoint and Cmd)")
	fl.BoolVar(&f.json, "json", false, "print JSON")
	return cmd
}

// learnReport is learn's JSON output.
type learnReport struct {
	Reference string   `json:"reference"`
	Command   []string `json:"command"`
	ExitCode  int      `json:"exit_code"`
	// Touched counts the paths the command touched (existing or not);
	// InImage those that are files or symlinks of the image; Missed
	// those the static closure does not reach.
	Touched int `json:"touched"`
	InImage int `json:"in_image"`
	Reached int `json:"reached"`
	// MissedFiles counts the distinct image paths the trim would lose
	// (two names of one file through a symlinked directory count once).
	MissedFiles int         `json:"missed_files"`
	Missed      []learnMiss `json:"missed"`
}

type learnMiss struct {
	Path      string   `json:"path"`
	Op        string   `json:"op"`
	By        []string `json:"by"`
	Unreached []string `json:"unreached"`
}

func runLearn(cmd *cobra.Command, g *globalFlags, f *learnFlags, ref string, argv []string) error {
	sandbox, err := parseSandbox(f.sandbox)
	if err != nil {
		return err
	}
	limits, err := f.limits.limits()
	if err != nil {
		return err
	}
	s, ix, err := g.openAndIndex(cmd.Context(), ref, cmd.ErrOrStderr(), asksClosure)
	if err != nil {
		return err
	}
	defer s.Close()
	im := s.Image()
	progress := g.progress(cmd.ErrOrStderr(), ref)
	progress("closure")
	cl, err := g.closure(cmd.Context(), s, closure.Options{Roots: f.roots})
	if err != nil {
		progress("")
		return err
	}
	if len(argv) == 0 && f.probe == "" && im.Config != nil {
		argv = append(append([]string(nil), im.Config.Config.Entrypoint...), im.Config.Config.Cmd...)
	}
	if len(argv) == 0 && f.probe == "" {
		return fmt.Errorf("learn: %s names nothing to run (no Entrypoint or Cmd): give the command after --", ref)
	}
	progress("unpacking")
	learned, err := verify.Learn(cmd.Context(), im, ix, []verify.Check{{Argv: argv, Probe: f.probe}},
		verify.Options{Sandbox: sandbox, Timeout: f.timeout, Limits: limits, Started: func([]string) { progress("") }})
	progress("")
	if err != nil {
		return err
	}
	l := learned[0]
	traced := verify.TracedPaths(learned)
	inImage, missed := cl.TracedCount(traced)
	rep := learnReport{Reference: im.Ref.String(), Command: text.JSONStrings(argv), ExitCode: l.Result.ExitCode,
		Touched: len(l.Accesses), InImage: inImage, Reached: inImage - len(missed), Missed: []learnMiss{}}
	byPath := map[string][]string{}
	for _, a := range l.Accesses {
		byPath[a.Path] = a.By
	}
	files := map[string]bool{}
	for _, m := range missed {
		for _, u := range m.Unreached {
			files[u] = true
		}
		rep.Missed = append(rep.Missed, learnMiss{Path: text.JSONString(m.Path), Op: m.Op,
			By: text.JSONStrings(byPath[m.Path]), Unreached: text.JSONStrings(m.Unreached)})
	}
	rep.MissedFiles = len(files)
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	status := "exit status " + fmt.Sprint(l.Result.ExitCode)
	if l.Result.Err != nil {
		status = l.Result.Err.Error()
	}
	fmt.Fprintf(out, "%s  (%s)\n", quoteArgv(argv), text.Escape(status))
	fmt.Fprintf(out, "touched %d paths, %d of them in the image; the static closure reaches %d and misses %d (%d files a trim would lose)\n",
		rep.Touched, rep.InImage, rep.Reached, len(missed), rep.MissedFiles)
	for _, m := range missed {
		fmt.Fprintf(out, "  %-8s %s", m.Op, text.Escape(m.Path))
		if by := byPath[m.Path]; len(by) > 0 {
			fmt.Fprintf(out, "  by %s", quoteArgv(by))
		}
		fmt.Fprintln(out)
	}
	return nil
}
