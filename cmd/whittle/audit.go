package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/session"
)

type auditFlags struct {
	json      bool
	ci        bool
	rulesFile string
	output    string
	top       int
	depth     int
	rules     map[string]*string
	// noFindings leaves out the bloat and breakage findings (and the
	// closure they need); ignore drops some by id or family.
	noFindings bool
	ignore     []string
}

// ruleFlags are the rule flags: whittle's names, measured with whittle's
// exact figures, and dive's, as dive's --ci flags spell them, measured as
// dive measures.
var ruleFlags = []struct{ name, help string }{
	{audit.RuleMaxSize, "fail when the uncompressed image is larger (500MB, 2GiB)"},
	{audit.RuleMinEfficiency, "fail when efficiency (visible / stored file bytes) is lower: a ratio 0-1 (0.9) or a percentage with its sign (90%)"},
	{audit.RuleMaxWasted, "fail when more bytes are wasted, each stored byte not visible counted once (20MB)"},
	{audit.RuleMaxWastedPercent, "fail when wasted bytes exceed this percentage (0-100: 10 means 10%) of stored file bytes"},
	{audit.RuleMaxUserWastedPercent, "fail when wasted bytes exceed this percentage (10 means 10%; over 100 when upper layers delete more than they add) of the bytes above the base layer"},
	{audit.DiveLowestEfficiency, "dive's rule, measured as dive does: lowest efficiency score, a ratio 0-1 (0.9)"},
	{audit.DiveHighestWastedBytes, "dive's rule, measured as dive does: most wasted bytes (20MB)"},
	{audit.DiveHighestUserWasted, "dive's rule, measured as dive does: most wasted bytes over the bytes above the base layer, a ratio 0-1 (0.1 means 10%)"},
}

func newAuditCommand(g *globalFlags) *cobra.Command {
	f := &auditFlags{rules: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "audit [REF]",
		Short: "Report an image's size: layers, largest paths, wasted bytes, duplicates",
		Long: `audit reads every layer once and reports where the image's bytes are:
each layer's size and the command that made it, the largest directories and
files, the bytes stored in layers but not visible in the final file system
(overwritten, deleted, or hidden by an opaque directory, each byte counted
once), identical files at several paths, and config mistakes.

Its findings section adds what the run-time closure shows (--no-findings
leaves it out): bloat that can go (docs, man pages, translations, headers,
caches, package managers, compilers, symlink cycles, trees stored twice,
unneeded /etc, files no root reaches, bytes later layers hide), each file
counted once so the "reclaimable" total is what applying them all saves,
and breakage that must be fixed (see whittle doctor). --ignore drops
findings by id (bloat/docs) or family (bloat).

With --ci it checks thresholds, given as flags or in a rules file (whittle's
or dive's .dive-ci, both "rules:" maps), prints PASS or FAIL for each and
exits 2 when one fails. A rule flag, --rules or --ci-config turns --ci on.
Without --rules, .whittle-ci.yaml or .dive-ci in the current directory is
read when present (only with --ci); a rules file named on the command line
must exist.

whittle's rules (max-size, min-efficiency, max-wasted, max-wasted-percent,
max-user-wasted-percent) use whittle's exact figures. dive's rules
(lowestEfficiency, highestWastedBytes, highestUserWastedPercent) are
measured with dive v0.13's own definitions and take dive's values (ratios
0-1), so a .dive-ci that passes in dive passes here; as in dive, once any
dive rule is set (or no rule at all), the dive rules not named get dive's
defaults (lowestEfficiency 0.9, highestUserWastedPercent 0.1). A rule set
to "disabled", "off", "false" or nothing is not checked.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd, g, f, imageRef(args))
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, "print the report as JSON (schema "+audit.Schema+", see docs/audit-json.md)")
	fl.BoolVar(&f.ci, "ci", false, "check CI rules; exit 2 when one fails (implied by a rule flag or --rules)")
	fl.StringVar(&f.rulesFile, "rules", "", "rules file (YAML with a rules: map; dive's .dive-ci works); implies --ci")
	fl.StringVar(&f.rulesFile, "ci-config", "", "dive's name for --rules; implies --ci")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file instead of stdout")
	fl.IntVar(&f.top, "top", 10, "entries in each list")
	fl.IntVar(&f.depth, "depth", 3, "deepest directory level in the largest-directories list")
	fl.BoolVar(&f.noFindings, "no-findings", false, "leave out the bloat and breakage findings (no closure is computed)")
	fl.StringSliceVar(&f.ignore, "ignore", nil, "leave out findings with this id or family (bloat/docs, tls; repeatable)")
	for _, r := range ruleFlags {
		f.rules[r.name] = fl.String(r.name, "", r.help)
	}
	for _, hidden := range []string{"ci-config", audit.DiveLowestEfficiency, audit.DiveHighestWastedBytes, audit.DiveHighestUserWasted} {
		fl.MarkHidden(hidden)
	}
	return cmd
}

func runAudit(cmd *cobra.Command, g *globalFlags, f *auditFlags, ref string) error {
	if err := atLeast("top", f.top, 1); err != nil {
		return err
	}
	if err := atLeast("depth", f.depth, 1); err != nil {
		return err
	}
	var rules audit.Rules
	f.ci = f.ci || f.rulesFile != "" || f.anyRuleFlag(cmd)
	if f.ci {
		if err := f.loadRules(cmd, &rules); err != nil {
			return err
		}
	}
	s, ix, err := g.openAndIndex(cmd.Context(), ref, cmd.ErrOrStderr(), auditAsks(f.noFindings))
	if err != nil {
		return err
	}
	defer s.Close()
	a := audit.New(s.Image(), ix, audit.Options{Top: f.top, Depth: f.depth})
	if !f.noFindings {
		fs, err := auditFindings(cmd, g, s, f.ignore)
		if err != nil {
			return err
		}
		a.AddFindings(fs)
	}
	if f.ci {
		a.Rules = rules.Evaluate(a)
	}
	var out bytes.Buffer
	if f.json {
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(a); err != nil {
			return err
		}
	} else if err := a.WriteText(&out); err != nil {
		return err
	}
	if f.output != "" {
		if err := atomicfile.WriteFile(f.output, out.Bytes()); err != nil {
			return err
		}
	} else if _, err := cmd.OutOrStdout().Write(out.Bytes()); err != nil {
		return err
	}
	if a.Rules != nil && !a.Rules.Pass {
		return &ciFailure{}
	}
	return nil
}

// loadRules gathers the rules: the rules file (given, or found in the
// current directory), then flags over it, then dive's defaults for the dive
// rules nobody named (when some dive rule, or no rule at all, was set).
func (f *auditFlags) loadRules(cmd *cobra.Command, rules *audit.Rules) error {
	file := f.rulesFile
	if file == "" {
		for _, candidate := range []string{".whittle-ci.yaml", ".dive-ci"} {
			if _, err := os.Stat(candidate); err == nil {
				file = candidate
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("reading %s: %w", candidate, err)
			}
		}
	}
	if file != "" {
		if err := audit.LoadRules(file, rules); err != nil {
			return err
		}
	}
	for _, r := range ruleFlags {
		if cmd.Flags().Changed(r.name) {
			if err := rules.Set(r.name, *f.rules[r.name]); err != nil {
				return err
			}
		}
	}
	rules.ApplyDiveDefaults()
	return nil
}

// anyRuleFlag reports whether a rule flag was given.
func (f *auditFlags) anyRuleFlag(cmd *cobra.Command) bool {
	for _, r := range ruleFlags {
		if cmd.Flags().Changed(r.name) {
			return true
		}
	}
	return false
}

// auditFindings computes the closure and the bloat and breakage findings
// over it (the closure's own problems among them).
func auditFindings(cmd *cobra.Command, g *globalFlags, s *session.Session, ignore []string) ([]finding.Finding, error) {
	cl, err := g.closure(cmd.Context(), s, closure.Options{})
	if err != nil {
		return nil, err
	}
	fo := doctor.Options{Ignore: append([]string{"config"}, ignore...)} // audit.New reports the config findings
	return s.Findings(cmd.Context(), cl, fo)
}

// auditAsks is what an audit asks of its session: the findings (and
// their closure) unless --no-findings.
func auditAsks(noFindings bool) asks {
	if noFindings {
		return asksIndex
	}
	return asksFindings
}
