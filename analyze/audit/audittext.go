package audit

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/whittle-dev/whittle/internal/compress"
	"github.com/whittle-dev/whittle/internal/text"
)

// WriteText renders the audit for a person: sizes humanized, one section
// per list, the CI verdict last when rules were checked. Every string that
// came from the image or the user (names, history, messages) is escaped
// with text.Escape, so none can hold a control byte or a line break.
func (a *Audit) WriteText(w io.Writer) error {
	p := &textWriter{w: w}
	t := a.Totals
	p.printf("Image       %s (%s, %s)\n", text.Escape(a.Reference), text.Escape(a.Image.Platform), plural(t.Layers, "layer"))
	if a.Image.ManifestDigest != "" {
		p.printf("Digest      %s\n", text.Escape(a.Image.ManifestDigest))
	}
	stored := humanize.Bytes(uint64(t.StoredBytes)) + " as stored"
	p.printf("Size        %s uncompressed, %s\n", humanize.Bytes(uint64(t.UncompressedBytes)), stored)
	p.printf("Files       %s of files in the layers, %s visible in the final file system\n",
		humanize.Bytes(uint64(t.ContentBytes)), humanize.Bytes(uint64(t.VisibleBytes)))
	p.printf("            %s, %s, %s, %s\n",
		plural(t.Files, "file"), plural(t.Directories, "directory"), plural(t.Symlinks, "symlink"), plural(t.Others, "other"))
	p.printf("Wasted      %s (%.1f%% of file bytes; %.1f%% of the bytes above the base layer)\n",
		humanize.Bytes(uint64(t.WastedBytes)), t.WastedPercent, t.UserWastedPercent)
	p.printf("Efficiency  %.2f%%   (dive's formula: %.2f%%, counting %s wasted)\n",
		100*t.Efficiency, 100*t.DiveEfficiency, humanize.Bytes(uint64(t.DiveWastedBytes)))
	p.printf("Duplicates  %s reclaimable\n", humanize.Bytes(uint64(t.DuplicateBytes)))

	p.section("Layers")
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tSIZE\tSTORED\tFILES\tADDED\tMODIFIED\tREMOVED\tWASTED\tCOMMAND")
	for _, l := range a.Layers {
		storedCol := humanize.Bytes(uint64(l.StoredBytes))
		if l.Compression == string(compress.None) {
			storedCol += " (raw)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Index,
			humanize.Bytes(uint64(l.ContentBytes)), storedCol, humanize.Comma(int64(l.Entries)),
			humanize.Comma(int64(l.Added)), humanize.Comma(int64(l.Modified)), humanize.Comma(int64(l.Removed)),
			humanize.Bytes(uint64(l.WastedBytes)), clip(text.Escape(oneLine(l.Command)), 70))
	}
	tw.Flush()

	p.section("Largest directories")
	if len(a.TopDirs) == 0 {
		p.printf("  none\n")
	}
	tw = tabwriter.NewWriter(p, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, d := range a.TopDirs {
		fmt.Fprintf(tw, "  %s\t%s\t  %s\n", humanize.Bytes(uint64(d.Bytes)), plural(d.Files, "file"), text.Escape(d.Path))
	}
	tw.Flush()

	p.section("Largest files")
	if len(a.TopFiles) == 0 {
		p.printf("  none\n")
	}
	tw = tabwriter.NewWriter(p, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, f := range a.TopFiles {
		fmt.Fprintf(tw, "  %s\tlayer %d\t  %s\n", humanize.Bytes(uint64(f.Bytes)), f.Layer, text.Escape(f.Path))
	}
	tw.Flush()

	p.section("Wasted: stored in a layer, not visible in the image")
	if len(a.Wasted) == 0 {
		p.printf("  none\n")
	}
	tw = tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	for _, g := range a.Wasted {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t(%s of layer %d)\n", humanize.Bytes(uint64(g.Bytes)), text.Escape(g.Path), wasteVerb(g.Reason, g.By),
			plural(g.Files, "file"), g.StoredIn)
	}
	tw.Flush()

	p.section("Duplicates: identical files at several paths")
	if len(a.Duplicates) == 0 {
		p.printf("  none\n")
	}
	for _, d := range a.Duplicates {
		p.printf("  %s reclaimable: %d × %s  %s\n", humanize.Bytes(uint64(d.Reclaimable)), len(d.Paths),
			humanize.Bytes(uint64(d.BytesEach)), clip(escapeAll(d.Paths, "  "), 100))
	}

	if len(a.Findings) > 0 {
		p.section("Findings")
		if a.Reclaimable > 0 {
			p.printf("  %s reclaimable by applying every bloat finding\n", humanize.Bytes(uint64(a.Reclaimable)))
		}
		for _, f := range a.Findings {
			p.printf("  %-8s %s  [%s]\n", f.Severity, text.Escape(f.Message), text.Escape(f.Kind))
			if f.Fix != "" {
				p.printf("  %-8s fix: %s\n", "", text.EscapeGlobs(f.Fix))
			}
		}
	}
	if a.Rules != nil {
		p.section("CI rules")
		pass, fail := 0, 0
		for _, r := range a.Rules.Results {
			verdict := "PASS"
			if r.Pass {
				pass++
			} else {
				verdict = "FAIL"
				fail++
			}
			p.printf("  %s  %s: %s\n", verdict, text.Escape(r.Rule), text.Escape(r.Message))
		}
		verdict := "PASS"
		if !a.Rules.Pass {
			verdict = "FAIL"
		}
		p.printf("Result: %s (%d passed, %d failed)\n", verdict, pass, fail)
	}
	return p.err
}

type textWriter struct {
	w   io.Writer
	err error
}

func (p *textWriter) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

func (p *textWriter) printf(format string, args ...any) { fmt.Fprintf(p, format, args...) }
func (p *textWriter) section(title string)              { p.printf("\n%s\n", title) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return humanize.Comma(int64(n)) + " " + word[:len(word)-1] + "ies"
	}
	return humanize.Comma(int64(n)) + " " + word + "s"
}

// wasteVerb says what a layer did to hide bytes, for the text report.
func wasteVerb(reason string, by int) string {
	switch reason {
	case "overwritten":
		return fmt.Sprintf("overwritten by layer %d", by)
	case "deleted":
		return fmt.Sprintf("deleted by layer %d", by)
	case "opaque":
		return fmt.Sprintf("hidden by layer %d's opaque directory", by)
	case "replaced":
		return fmt.Sprintf("parent replaced by a non-directory in layer %d", by)
	}
	return fmt.Sprintf("%s (layer %d)", reason, by)
}

// escapeAll escapes each name and joins them with sep.
func escapeAll(names []string, sep string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = text.Escape(n)
	}
	return strings.Join(out, sep)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
