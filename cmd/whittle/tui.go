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

	"github.com/whittle-dev/whittle/tui"
)

func newTUICommand(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "tui [REF]",
		Short: "Browse an image interactively: layers, files, wasted bytes",
		Long: `tui opens an image in an interactive browser. On the left: the image's
totals, its layers (select one with the arrow keys) and what the audit found.
On the right: the file tree, either the final (merged) file system or the
selected layer's own entries marked + added, ~ modified, - removed (m
switches). Directories open with enter; / filters paths; s sorts by name or
size; w shows the wasted bytes and duplicates; ? lists every key.

whittle with no command runs it on the demo image when its output is a
terminal.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTUI(cmd, g, imageRef(args))
		},
	}
}

// terminalOut returns the command's output when it is a terminal.
func terminalOut(cmd *cobra.Command) (*os.File, bool) {
	f, ok := cmd.OutOrStdout().(*os.File)
	return f, ok && isatty.IsTerminal(f.Fd())
}

func runTUI(cmd *cobra.Command, g *globalFlags, ref string) error {
	out, ok := terminalOut(cmd)
	if !ok {
		return errors.New("tui: standard output is not a terminal (whittle audit prints a report)")
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
	m := tui.New(ctx, tui.Options{Ref: ref, Open: opts, Cache: cache})
	final, err := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(out)).Run()
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
