package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/tui"
)

func newTUICommand(g *globalFlags) *cobra.Command {
	c := &cobra.Command{
		Use:   "tui [REF]",
		Short: "Inspect, trim and rebuild an image interactively (also: whittle REF)",
		Long: `tui opens an image in the interactive app (whittle REF does the same). The
header shows the image's totals and a live estimate of what a build of the
plan being edited would weigh. Panes (1-6, tab): Layers and Files (dive's
view: a selected layer shows its changes; d drops a file or a subtree,
again keeps it, a third time leaves it to the closure), Closure (nix-tree's view: referrers, node, needs, with self,
closure and added sizes; w why, r root, U unreachable), Findings (x applies
the plan change a finding states, X every bloat fix), /etc (choose
services, protocols, certificates, locales, time zones and users) and Build
(b builds the plan; o outputs, L layering, v verify). u undoes the last
edit of the plan; ctrl+s saves the plan YAML (asking before it overwrites
a file), which whittle build --plan replays; ? lists every key.

whittle with no command runs it on the demo image when its output is a
terminal.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTUI(cmd, g, args)
		},
	}
	c.Flags().StringVar(&g.planFile, "plan", "", "open with this plan file applied (its source is the image when REF is not given)")
	return c
}

// terminalOut returns the command's output when it is a terminal.
func terminalOut(cmd *cobra.Command) (*os.File, bool) {
	f, ok := cmd.OutOrStdout().(*os.File)
	return f, ok && isatty.IsTerminal(f.Fd())
}

func runTUI(cmd *cobra.Command, g *globalFlags, args []string) error {
	out, ok := terminalOut(cmd)
	if !ok {
		return errors.New("tui: standard output is not a terminal (whittle audit prints a report)")
	}
	var p *plan.Plan
	ref := imageRef(args)
	if g.planFile != "" {
		var err error
		if p, err = plan.Load(g.planFile); err != nil {
			return err
		}
		if len(args) == 0 && p.Source != "" {
			ref = p.Source
		}
		p.Source = ref
	}
	opts, err := g.openOptions()
	if err != nil {
		return err
	}
	cache, err := g.cache()
	if err != nil {
		return err
	}
	if g.verify {
		cache = nil // the TUI reads every blob when asked to verify
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	// Ask the terminal for its background colour now, before the program
	// reads the keyboard, rather than in the middle of drawing.
	lipgloss.HasDarkBackground()
	m := tui.New(ctx, tui.Options{Ref: ref, Open: opts, Cache: cache, Plan: p, PlanPath: g.planFile})
	final, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithOutput(out)).Run()
	if fm, ok := final.(tui.Model); ok {
		fm.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("tui: %w", context.Cause(ctx))
		}
		return fmt.Errorf("running the terminal UI: %w", err)
	}
	if fm, ok := final.(tui.Model); ok && fm.Err() != nil {
		return fm.Err()
	}
	return nil
}
