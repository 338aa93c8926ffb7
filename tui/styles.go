package tui

import (
	"io"
	"os"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles holds every style the browser draws with.
type Styles struct {
	Border        lipgloss.Style // the frame of an unfocused pane
	FocusedBorder lipgloss.Style // the frame of the focused pane
	Title         lipgloss.Style // a pane's title, in its frame
	FocusedTitle  lipgloss.Style
	Header        lipgloss.Style // column headings
	Label         lipgloss.Style // the names of the image totals
	Dim           lipgloss.Style // secondary text: commands, digests, hints
	Cursor        lipgloss.Style // the selected row of the focused pane
	CursorBlurred lipgloss.Style // the selected row of another pane
	Dir           lipgloss.Style
	Symlink       lipgloss.Style
	Special       lipgloss.Style // devices and FIFOs
	Added         lipgloss.Style // an entry that adds a path
	Modified      lipgloss.Style // an entry that replaces a path
	Removed       lipgloss.Style // a whiteout or an opaque directory
	FromLayer     lipgloss.Style // image files the selected layer wrote
	Bytes         lipgloss.Style // sizes
	Warning       lipgloss.Style
	Error         lipgloss.Style
	Spinner       lipgloss.Style
	Prompt        lipgloss.Style // the filter prompt
	Help          help.Styles
}

// DefaultStyles returns styles that read on dark and light terminals,
// or MonoStyles when the NO_COLOR environment variable is set.
func DefaultStyles() Styles {
	if os.Getenv("NO_COLOR") != "" {
		return MonoStyles()
	}
	accent := lipgloss.AdaptiveColor{Light: "#5A56E0", Dark: "#7571F9"}
	subtle := lipgloss.AdaptiveColor{Light: "#A49FA5", Dark: "#777777"}
	border := lipgloss.AdaptiveColor{Light: "#C2B8C2", Dark: "#4D4D4D"}
	green := lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#3FB950"}
	yellow := lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#D29922"}
	red := lipgloss.AdaptiveColor{Light: "#CF222E", Dark: "#F85149"}
	blue := lipgloss.AdaptiveColor{Light: "#0969DA", Dark: "#58A6FF"}
	cyan := lipgloss.AdaptiveColor{Light: "#1B7C83", Dark: "#39C5CF"}

	h := help.New().Styles
	return Styles{
		Border:        lipgloss.NewStyle().Foreground(border),
		FocusedBorder: lipgloss.NewStyle().Foreground(accent),
		Title:         lipgloss.NewStyle().Foreground(subtle),
		FocusedTitle:  lipgloss.NewStyle().Foreground(accent).Bold(true),
		Header:        lipgloss.NewStyle().Foreground(subtle).Bold(true),
		Label:         lipgloss.NewStyle().Foreground(subtle),
		Dim:           lipgloss.NewStyle().Foreground(subtle),
		Cursor:        lipgloss.NewStyle().Foreground(lipgloss.Color("#FFFDF5")).Background(accent).Bold(true),
		CursorBlurred: lipgloss.NewStyle().Reverse(true),
		Dir:           lipgloss.NewStyle().Foreground(blue).Bold(true),
		Symlink:       lipgloss.NewStyle().Foreground(cyan),
		Special:       lipgloss.NewStyle().Foreground(yellow),
		Added:         lipgloss.NewStyle().Foreground(green),
		Modified:      lipgloss.NewStyle().Foreground(yellow),
		Removed:       lipgloss.NewStyle().Foreground(red),
		FromLayer:     lipgloss.NewStyle().Underline(true),
		Bytes:         lipgloss.NewStyle(),
		Warning:       lipgloss.NewStyle().Foreground(yellow),
		Error:         lipgloss.NewStyle().Foreground(red).Bold(true),
		Spinner:       lipgloss.NewStyle().Foreground(accent),
		Prompt:        lipgloss.NewStyle().Foreground(accent).Bold(true),
		Help:          h,
	}
}

// MonoStyles returns styles without a colour, for NO_COLOR
// (https://no-color.org): the selected row in reverse video, the focused
// frame and headings bold, secondary text faint. They render those
// attributes themselves, since lipgloss's default renderer, under
// NO_COLOR, writes no attribute at all and the selection would not show.
func MonoStyles() Styles {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	plain := r.NewStyle()
	bold := r.NewStyle().Bold(true)
	faint := r.NewStyle().Faint(true)
	return Styles{
		Border:        plain,
		FocusedBorder: bold,
		Title:         plain,
		FocusedTitle:  bold,
		Header:        bold,
		Label:         faint,
		Dim:           faint,
		Cursor:        r.NewStyle().Reverse(true).Bold(true),
		CursorBlurred: r.NewStyle().Reverse(true),
		Dir:           bold,
		Symlink:       plain,
		Special:       plain,
		Added:         plain,
		Modified:      plain,
		Removed:       plain,
		FromLayer:     r.NewStyle().Underline(true),
		Bytes:         plain,
		Warning:       bold,
		Error:         bold,
		Spinner:       plain,
		Prompt:        bold,
		Help: help.Styles{
			Ellipsis: faint, ShortKey: plain, ShortDesc: faint, ShortSeparator: faint,
			FullKey: plain, FullDesc: faint, FullSeparator: faint,
		},
	}
}
