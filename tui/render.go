package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/whittle-dev/whittle/internal/text"
)

// box frames lines in a rounded border w cells wide and h rows high, with
// the title set into the top edge. Lines are clipped or padded to fit.
func (s Styles) box(title string, lines []string, w, h int, focused bool) string {
	if w < 4 || h < 2 {
		return ""
	}
	border, titleStyle := s.Border, s.Title
	if focused {
		border, titleStyle = s.FocusedBorder, s.FocusedTitle
	}
	inner := w - 2
	var b strings.Builder
	if title = clip(title, inner-4); title == "" {
		b.WriteString(border.Render("╭" + strings.Repeat("─", inner) + "╮"))
	} else {
		b.WriteString(border.Render("╭─ "))
		b.WriteString(titleStyle.Render(title))
		b.WriteString(border.Render(" " + strings.Repeat("─", inner-3-ansi.StringWidth(title)) + "╮"))
	}
	side := border.Render("│")
	for i := 0; i < h-2; i++ {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		b.WriteByte('\n')
		b.WriteString(side)
		b.WriteString(fit(line, inner))
		b.WriteString(side)
	}
	b.WriteByte('\n')
	b.WriteString(border.Render("╰" + strings.Repeat("─", inner) + "╯"))
	return b.String()
}

// fit clips s (which may hold styles) to w cells and pads it with spaces
// to exactly w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// clip shortens plain text to at most w cells, ending it with "…" when cut.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// clipLeft shortens plain text to at most w cells by cutting its start,
// which keeps the end of a path (the part that names it).
func clipLeft(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := ansi.StringWidth(s)
	if n <= w {
		return s
	}
	return ansi.TruncateLeft(s, n-w+1, "…")
}

// padRight pads plain text with spaces to w cells.
func padRight(s string, w int) string {
	if pad := w - ansi.StringWidth(s); pad > 0 {
		return s + strings.Repeat(" ", pad)
	}
	return s
}

// padLeft right-aligns plain text in w cells.
func padLeft(s string, w int) string {
	if pad := w - ansi.StringWidth(s); pad > 0 {
		return strings.Repeat(" ", pad) + s
	}
	return s
}

// wrap breaks text into lines of at most w cells at spaces, breaking words
// longer than a line.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		for ansi.StringWidth(word) > w {
			if line != "" {
				lines = append(lines, line)
				line = ""
			}
			head := ansi.Truncate(word, w, "")
			lines = append(lines, head)
			word = word[len(head):]
		}
		switch {
		case word == "":
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// oneLine collapses runs of white space, newlines included, to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// bytesText is a byte count for a person.
func bytesText(n int64) string { return humanize.Bytes(uint64(max(n, 0))) }

// percent formats a share as "17.5%".
func percent(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" }

// score formats a share out of 100 like percent, except that only a
// perfect score shows as 100.0%.
func score(f float64) string {
	if f < 100 {
		f = min(f, 99.9)
	}
	return percent(f)
}

// shortPath fits a path from an image into w cells: Nix store hashes are
// abbreviated first, then the start is cut, keeping the end that names it.
func shortPath(p string, w int) string {
	p = text.Escape(p)
	if ansi.StringWidth(p) <= w {
		return p
	}
	parts := strings.Split(p, "/")
	for i, part := range parts {
		parts[i] = abbrevStoreName(part)
	}
	p = clipLeft(strings.Join(parts, "/"), w)
	if rest, ok := strings.CutPrefix(p, "……"); ok {
		// The cut fell just after an abbreviated hash.
		p = "…" + rest
	}
	return p
}

// shortName fits a file name into w cells: a Nix store hash is
// abbreviated first, then the middle is cut, keeping the start and the end
// (the package name and version, the extension).
func shortName(name string, w int) string {
	if ansi.StringWidth(name) <= w {
		return name
	}
	if name = abbrevStoreName(name); ansi.StringWidth(name) <= w {
		return name
	}
	if w < 4 {
		return clip(name, w)
	}
	head := (w - 1) / 3
	tail := w - 1 - head
	return ansi.Truncate(name, head, "") + "…" + ansi.TruncateLeft(name, ansi.StringWidth(name)-tail, "")
}

// abbrevStoreName shortens a Nix store name's 32-character hash to its
// first 7 characters and "…".
func abbrevStoreName(s string) string {
	const hashLen = 32
	if len(s) <= hashLen+1 || s[hashLen] != '-' {
		return s
	}
	for i := 0; i < hashLen; i++ {
		if !strings.ContainsRune("0123456789abcdfghijklmnpqrsvwxyz", rune(s[i])) {
			return s
		}
	}
	return s[:7] + "…" + s[hashLen:]
}
