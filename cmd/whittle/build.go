package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/builder/pipeline"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

type buildFlags struct {
	plan        string
	savePlan    string
	roots       []string
	keep, drop  []string
	outputs     []string
	verify      []string
	mode        string
	layers      string
	maxLayers   int
	compression string
	removed     string
	json        bool
	entrypoint  string
	cmd         string
	user        string
	workdir     string
	env         []string
	etc         etcgen.Flags
	allowUser   bool
	sandbox     string
	timeout     time.Duration
	relearn     bool
	limits      limitFlags
}

func newBuildCommand(g *globalFlags) *cobra.Command {
	f := &buildFlags{}
	cmd := &cobra.Command{
		Use:   "build [REF]",
		Short: "Rebuild a smaller image from a plan, write it out and prove it works",
		Long: `build keeps what the image's entry point needs (its closure; --root to choose
other roots), plus --keep patterns, minus --drop patterns, adds the /etc you
choose (--etc-*), writes the image reproducibly to every -o output and runs
each --verify command inside it. The plan file (--plan) says the same as the
flags, which are added to it; --save-plan writes the combined plan, so a trim
done once becomes a step in CI.

  whittle build app.tar --root /usr/bin/python3 --drop '/usr/share/doc/**' \
      --etc-locales C.UTF-8 --etc-certificates all -o oci:min \
      --verify "python3 -c 'import ssl'"
  whittle build --plan whittle-plan.yaml
  whittle build nix:./result --mode assemble -o docker-archive:app.tar

Exit status: 0 built (and verified), 1 an error or a failed verify command.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBuild(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.plan, "plan", "", "plan file (YAML) to build; the flags below add to it")
	fl.StringVar(&f.savePlan, "save-plan", "", "write the plan this build ran (plan file and flags combined) to this file")
	fl.StringArrayVar(&f.roots, "root", nil, "path, package or command whose closure to keep (default: the Entrypoint and Cmd); repeatable")
	fl.StringArrayVar(&f.keep, "keep", nil, "glob of paths to keep as well (/app/**); repeatable")
	fl.StringArrayVar(&f.drop, "drop", nil, "glob of paths to leave out, even if needed (/usr/share/doc/**); repeatable")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "where to write the image: docker-archive:PATH[:TAG], oci:DIR[:NAME], oci-archive:PATH, docker://REF, docker-daemon:REF; repeatable")
	fl.StringArrayVar(&f.verify, "verify", nil, "command to run inside the built image (shell words: \"python3 -c 'import ssl'\"); repeatable")
	fl.StringVar(&f.mode, "mode", "", "trim (keep the closure of the roots) or assemble (the whole Nix closure, with /bin and /tmp)")
	fl.StringVar(&f.layers, "layers", "", "single (one layer) or popularity (a layer per package or store path, most shared first)")
	fl.IntVar(&f.maxLayers, "max-layers", 0, "most layers the popularity strategy makes (default 100)")
	fl.StringVar(&f.compression, "compression", "gzip", "layer compression: gzip or zstd")
	fl.StringVar(&f.removed, "removed", "", "write every path left out to this file, one per line")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "new Entrypoint (shell words)")
	fl.StringVar(&f.cmd, "cmd", "", "new Cmd (shell words)")
	fl.StringVar(&f.user, "user", "", "new User")
	fl.StringVar(&f.workdir, "workdir", "", "new WorkingDir")
	fl.StringArrayVar(&f.env, "env", nil, "NAME=value to set in Env; repeatable")
	addEtcFlags(fl, &f.etc, "etc-")
	fl.BoolVar(&f.allowUser, "allow-missing-user", false, "accept --etc-users that leave out the config's User")
	fl.StringVar(&f.sandbox, "sandbox", "auto", "where verify commands run: auto, bwrap or namespaces")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "longest a verify or learn command may run")
	fl.BoolVar(&f.relearn, "relearn", false, "trace the plan's learn: commands again even when it has a learned: list")
	addLimitFlags(fl, &f.limits)
	return cmd
}

// buildPlan is the plan file (if any) with the flags added.
func (f *buildFlags) buildPlan(args []string) (*plan.Plan, error) {
	p := &plan.Plan{}
	if f.plan != "" {
		loaded, err := plan.Load(f.plan)
		if err != nil {
			return nil, err
		}
		p = loaded
	}
	if len(args) == 1 {
		p.Source = args[0]
	}
	if p.Source == "" {
		if f.plan != "" {
			return nil, fmt.Errorf("%s names no source: add source: or give REF", f.plan)
		}
		p.Source = "demo:"
	}
	flags := plan.Flags{Roots: f.roots, Keep: f.keep, Drop: f.drop, Outputs: f.outputs,
		Mode: f.mode, Layers: f.layers, MaxLayers: f.maxLayers, Env: f.env}
	for _, v := range f.verify {
		argv, err := shellWords(v)
		if err != nil {
			return nil, fmt.Errorf("--verify %q: %w", v, err)
		}
		flags.Verify = append(flags.Verify, argv)
	}
	for _, w := range []struct {
		flag, v string
		dst     *[]string
	}{{"--entrypoint", f.entrypoint, &flags.Entrypoint}, {"--cmd", f.cmd, &flags.Cmd}} {
		if w.v == "" {
			continue
		}
		argv, err := shellWords(w.v)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", w.flag, w.v, err)
		}
		*w.dst = argv
	}
	if f.user != "" {
		flags.User = &f.user
	}
	if f.workdir != "" {
		flags.WorkingDir = &f.workdir
	}
	sel, err := f.etc.Selection()
	if err != nil {
		return nil, err
	}
	flags.Etc = sel
	// The flags get the checks of the plan file's keys (plan.Flags).
	if err := flags.AddTo(p); err != nil {
		return nil, err
	}
	return p, nil
}

func runBuild(cmd *cobra.Command, g *globalFlags, f *buildFlags, args []string) error {
	if cmd.Flags().Changed("max-layers") {
		// 0 is the flag's "not given": said, it asks for no layer.
		if err := atLeast("max-layers", f.maxLayers, 1); err != nil {
			return err
		}
	}
	p, err := f.buildPlan(args)
	if err != nil {
		return err
	}
	if f.savePlan != "" {
		if err := plan.Write(f.savePlan, p); err != nil {
			return err
		}
	}
	openOpts, err := g.openOptions()
	if err != nil {
		return err
	}
	cache, err := g.cache()
	if err != nil {
		return err
	}
	opts := pipeline.Options{Open: openOpts, Cache: cache, Compression: f.compression, AllowMissingUser: f.allowUser, Timeout: f.timeout, Relearn: f.relearn}
	opts.Dest.Insecure = g.insecure
	if f.timeout <= 0 {
		return fmt.Errorf("--timeout %s: want a positive duration", f.timeout)
	}
	switch f.compression {
	case "gzip", "zstd":
	default:
		return fmt.Errorf("--compression %q: want gzip or zstd", f.compression)
	}
	sandbox, err := parseSandbox(f.sandbox)
	if err != nil {
		return err
	}
	opts.Sandbox = sandbox
	if opts.Limits, err = f.limits.limits(); err != nil {
		return err
	}
	if cache != nil {
		// Built layers go beside the default layer cache
		// ($XDG_CACHE_HOME/whittle/build), or inside a --cache-dir:
		// never outside the directory the user named.
		opts.LayerCache = filepath.Join(filepath.Dir(cache.Dir), "build")
		if g.cacheDir != "" {
			opts.LayerCache = filepath.Join(cache.Dir, "build")
		}
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		n, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil || n < 0 || n > 253402300799 {
			return fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970 up to the year 9999", epoch)
		}
		opts.Created = time.Unix(n, 0).UTC()
	}
	progress := g.progress(cmd.ErrOrStderr(), p.Source)
	opts.Progress = func(e pipeline.Event) { progress(describeEvent(e)) }
	rep, err := pipeline.Run(cmd.Context(), p, opts)
	progress("")
	var rootErr *closure.RootError
	if errors.As(err, &rootErr) {
		// Name where the root came from: the flag, or the plan file.
		where := "--root"
		if f.plan != "" && !slices.Contains(f.roots, rootErr.Spec) {
			where = f.plan + ": roots"
		}
		err = fmt.Errorf("%s (image %s): %w", where, p.Source, rootErr.Err) // exitCode escapes the line
	}
	if rep == nil {
		return err
	}
	if serr := saveLearned(cmd.ErrOrStderr(), f, p, rep); serr != nil {
		return serr
	}
	if f.removed != "" {
		// One path a line, escaped as in every human output (a name may
		// hold a newline).
		var b strings.Builder
		for _, p := range rep.RemovedPaths {
			b.WriteString(text.Escape(p) + "\n")
		}
		if werr := atomicfile.WriteFile(f.removed, []byte(b.String())); werr != nil {
			return werr
		}
	}
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rep); jerr != nil {
			return jerr
		}
	} else {
		writeBuildReport(out, rep)
	}
	return err
}

// describeEvent is the progress line for an event ("" keeps the last).
func describeEvent(e pipeline.Event) string {
	switch {
	case e.Build != nil:
		b := e.Build
		switch b.Stage {
		case "reading":
			return fmt.Sprintf("reading files %s / %s", humanize.Bytes(uint64(b.Bytes)), humanize.Bytes(uint64(b.Total)))
		case "layer":
			return fmt.Sprintf("layer %d/%d written (%s)", b.Layer, b.Layers, text.Escape(strings.Join(b.Groups, " ")))
		}
		return "building"
	case e.Write != nil:
		return fmt.Sprintf("writing %s: layer %d/%d %s", text.Escape(e.Write.Dest), e.Write.Index+1, e.Write.Layers, humanize.Bytes(uint64(e.Write.Written)))
	case e.Stage == "done":
		return ""
	}
	if e.Message != "" {
		return e.Stage + " " + text.Escape(e.Message)
	}
	return e.Stage
}

// writeBuildReport prints the before/after summary, the layers, the
// biggest removals, findings and verify results.
func writeBuildReport(w io.Writer, r *pipeline.Report) {
	pct := func(a, b int64) string {
		if b == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
	}
	fmt.Fprintf(w, "built %s from %s (%s)\n", r.Digest, text.Escape(r.Source), r.Mode)
	fmt.Fprintf(w, "\n%-14s %12s %12s %8s\n", "", "before", "after", "after/before")
	fmt.Fprintf(w, "%-14s %12d %12d %8s\n", "files", r.Before.Files, r.After.Files, pct(int64(r.After.Files), int64(r.Before.Files)))
	fmt.Fprintf(w, "%-14s %12s %12s %8s\n", "file bytes", humanize.Bytes(uint64(r.Before.FileBytes)), humanize.Bytes(uint64(r.After.FileBytes)), pct(r.After.FileBytes, r.Before.FileBytes))
	fmt.Fprintf(w, "%-14s %12s %12s %8s\n", "uncompressed", humanize.Bytes(uint64(r.Before.TarBytes)), humanize.Bytes(uint64(r.After.TarBytes)), pct(r.After.TarBytes, r.Before.TarBytes))
	fmt.Fprintf(w, "%-14s %12s %12s %8s\n", "stored", humanize.Bytes(uint64(r.Before.StoredBytes)), humanize.Bytes(uint64(r.After.StoredBytes)), pct(r.After.StoredBytes, r.Before.StoredBytes))
	fmt.Fprintf(w, "\nremoved: %s (%s)", text.Count(r.Removed, "file"), humanize.Bytes(uint64(r.RemovedBytes)))
	if len(r.RemovedGroups) > 0 {
		fmt.Fprintf(w, ", %d packages or store paths entirely", len(r.RemovedGroups))
	}
	fmt.Fprintln(w)
	for _, b := range r.Biggest {
		fmt.Fprintf(w, "  %10s  %s\n", humanize.Bytes(uint64(b.Bytes)), text.Escape(b.Path))
	}
	fmt.Fprintf(w, "\nlayers: %d\n", len(r.Layers))
	for i, l := range r.Layers {
		cached := ""
		if l.Cached {
			cached = "  (cached)"
		}
		groups := strings.Join(l.Groups, " ")
		if len(groups) > 60 {
			groups = groups[:57] + "..."
		}
		fmt.Fprintf(w, "  %3d  %10s  %6d files  %s%s\n", i+1, humanize.Bytes(uint64(l.StoredBytes)), l.Files, text.Escape(groups), cached)
	}
	if len(r.Env) > 0 {
		fmt.Fprintf(w, "\nenv set by etc:")
		for _, kv := range sortedEnv(r.Env) {
			fmt.Fprintf(w, " %s", text.Escape(kv))
		}
		fmt.Fprintln(w)
	}
	for _, o := range r.Outputs {
		fmt.Fprintf(w, "\nwrote %s", text.Escape(o))
	}
	if len(r.Outputs) > 0 {
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, "\nwrote nothing: no output was named (-o oci:DIR, docker-archive:PATH, …; or outputs: in the plan)")
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(w, "\nfindings: %d\n", len(r.Findings))
		for _, fd := range r.Findings {
			where := ""
			if fd.Path() != "" {
				where = text.Escape(fd.Path()) + ": "
			}
			fmt.Fprintf(w, "  %-8s %s%s  [%s]\n", fd.Severity, where, text.Escape(fd.Message), fd.Kind)
		}
	}
	writeUnknowns(w, r.Unknowns)
	if len(r.Verify) > 0 {
		fmt.Fprintln(w, "\nverify:")
		for _, v := range r.Verify {
			status := "PASS"
			if !v.Passed {
				status = fmt.Sprintf("FAIL (exit %d, the source's %d)", v.ExitCode, v.SourceExitCode)
			}
			fmt.Fprintf(w, "  %s  %s\n", status, quoteArgv(v.Argv))
			writeDifferences(w, v.Differences)
			for _, line := range strings.Split(strings.TrimRight(v.Output, "\n"), "\n") {
				if line != "" {
					fmt.Fprintf(w, "      %s\n", text.Escape(line))
				}
			}
		}
	}
}

func sortedEnv(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// writeUnknowns prints where the closure could not see through, so the
// user knows where a keep: or a learn: command is needed.
func writeUnknowns(w io.Writer, us []session.Unknown) {
	if len(us) == 0 {
		return
	}
	fmt.Fprintf(w, "\nunknown to the closure: %d (what runs or loads there is chosen at run time; keep: what it needs, or learn: a command that exercises it)\n", len(us))
	for _, u := range us {
		where := ""
		if u.Path != "" {
			where = text.Escape(u.Path) + ": "
		}
		fmt.Fprintf(w, "  %-16s %s%s\n", u.Kind, where, text.Escape(u.Message))
	}
}
