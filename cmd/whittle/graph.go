package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/atomicfile"
)

type graphFlags struct {
	format        string
	why           []string
	roots         []string
	noConfigRoots bool
	unreachable   bool
	depth         int
	chains        int
	output        string
	closure       string
	env           []string
	learned       string
}

func newGraphCommand(g *globalFlags) *cobra.Command {
	f := &graphFlags{}
	cmd := &cobra.Command{
		Use:   "graph [REF]",
		Short: "Show the dependency closure: why every byte is in the image",
		Long: `graph computes what the image's entry point needs, transitively: Nix store
paths and their references, dpkg/apk packages and their dependencies, ELF
libraries (DT_NEEDED resolved as ld.so would, in the context of the
program that loads them), #! interpreters, symlinks, the commands shell
scripts run (runs edges; exec "$@" in the entry point makes the Cmd a root;
commands chosen at run time are counted as dynamic), and the run-time
payload (an interpreter's standard library, glibc's NSS and gconv modules,
locales, time zones, OpenSSL's configuration and CA certificates).

--closure files (the default) makes every file a node, linked only by what
it executes and loads: what a trim keeps. --closure packages makes nodes
of packages and store paths, linked also by package dependencies and Nix
references: what the package manager would keep.
The roots are the config's Entrypoint and Cmd (through its PATH; a sh -c
command line's first word; absolute paths among the arguments), a nix:
image's store path, and --roots.

Sizes are nix-tree's: self is a node's own files; closure is self plus
everything it needs; added is what would leave the image if the node went
away. --why answers "why is this here?" with the shortest chains from a
root; --unreachable lists what no root needs.

  whittle graph debian:12 --roots /usr/bin/python3
  whittle graph nix:./result --format dot | dot -Tsvg > closure.svg
  whittle graph app.tar --why libssl3 --why /usr/share/zoneinfo/UTC`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGraph(cmd, g, f, imageRef(args))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "tree", "tree, json or dot")
	fl.StringArrayVar(&f.why, "why", nil, "explain why a path, package or store path is in the image (repeatable)")
	fl.StringArrayVar(&f.roots, "roots", nil, "more roots: paths, packages, store paths or commands (repeatable; each value is one name, commas and all)")
	fl.BoolVar(&f.noConfigRoots, "no-config-roots", false, "ignore the config's Entrypoint and Cmd as roots")
	fl.BoolVar(&f.unreachable, "unreachable", false, "list what no root needs (tree); include it (dot)")
	fl.IntVar(&f.depth, "depth", 0, "deepest level of the tree (0: all)")
	fl.IntVar(&f.chains, "chains", 5, "most chains --why shows per target")
	fl.StringVarP(&f.output, "output", "o", "", "write to this file instead of stdout")
	fl.StringVar(&f.closure, "closure", "files", "granularity: files (what runs and loads, what a trim keeps) or packages (what the package manager keeps)")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=VALUE added to the config's Env for the run-time rules (LANG, TZ, SSL_CERT_FILE, …; repeatable)")
	fl.StringVar(&f.learned, "learned", "", "add the traced paths of this plan's learned: list (traced edges, as build keeps them)")
	return cmd
}

func runGraph(cmd *cobra.Command, g *globalFlags, f *graphFlags, ref string) error {
	if err := atLeast("depth", f.depth, 0); err != nil {
		return err
	}
	if err := atLeast("chains", f.chains, 1); err != nil {
		return err
	}
	switch f.format {
	case "tree", "json", "dot":
	default:
		return fmt.Errorf("--format %q: want tree, json or dot", f.format)
	}
	gran, err := closure.ParseGranularity(f.closure)
	if err != nil {
		return fmt.Errorf("--closure: %w", err)
	}
	if err := checkEnv(f.env); err != nil {
		return err
	}
	s, err := g.open(cmd.Context(), ref, cmd.ErrOrStderr(), asksClosure)
	if err != nil {
		return err
	}
	defer s.Close()
	im := s.Image()
	traced, err := planTraced(f.learned)
	if err != nil {
		return err
	}
	c, err := g.closure(cmd.Context(), s, closure.Options{Roots: f.roots, NoConfigRoots: f.noConfigRoots, Granularity: gran, Env: f.env, Traced: traced})
	if err != nil {
		return err
	}
	// A --why that names nothing is reported after the answers to the
	// others, not instead of them.
	var targets []graph.NodeID
	var whyErrs []error
	for _, w := range f.why {
		ids, err := c.Find(w)
		if err != nil {
			whyErrs = append(whyErrs, fmt.Errorf("--why: %w", err))
			continue
		}
		targets = append(targets, ids...)
	}
	if len(f.why) > 0 && len(targets) == 0 {
		return errors.Join(whyErrs...)
	}
	const maxChainLen = 64
	var out bytes.Buffer
	switch {
	case f.format == "json":
		var why []graph.NodeID
		if len(f.why) > 0 {
			why = targets
		}
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		err = enc.Encode(c.NewReport(im.Ref.String(), why, f.chains, maxChainLen))
	case f.format == "dot":
		err = c.WriteDOT(&out, f.unreachable)
	case len(targets) > 0:
		err = c.WriteWhy(&out, targets, f.chains, maxChainLen)
	default:
		err = c.WriteTree(&out, im.Ref.String(), closure.TreeOptions{Depth: f.depth, Unreachable: f.unreachable})
	}
	if err != nil {
		return err
	}
	if f.output != "" {
		err = atomicfile.WriteFile(f.output, out.Bytes())
	} else {
		_, err = cmd.OutOrStdout().Write(out.Bytes())
	}
	return errors.Join(append([]error{err}, whyErrs...)...)
}
