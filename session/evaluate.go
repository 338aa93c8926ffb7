package session

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/suggest"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
)

// EvalOptions are what an evaluation needs beyond the plan.
type EvalOptions struct {
	// Traced are the paths the plan's learn: commands touch (the
	// builder traces them in its sandbox); nil: the plan's learned: list.
	Traced []closure.Traced
	// AllowMissingUser accepts an etc users choice that leaves out the
	// config's User.
	AllowMissingUser bool
	// Base is the index of the image the result is built on (the plan's
	// from:): a path it already holds the same is not written.
	Base *analyze.Index
}

// Evaluation is what a build of a plan writes, decided entirely before a
// byte is written: the builder writes Selection, and the TUI's estimate
// is Selection's Totals.
type Evaluation struct {
	// Mode is the plan's build mode.
	Mode plan.Mode
	// Config is the runtime config of the result: the source's with the
	// plan's changes and the generated /etc's environment.
	Config v1.Config
	// Closure is the closure the trim keeps (nil when the plan keeps
	// every path, which needs none).
	Closure *closure.Closure
	// Etc is the generated /etc (nil when the plan chooses none); Env the
	// environment it sets.
	Etc *etcgen.Output
	// Keep says which source paths are kept (Selection applies it).
	Keep func(*analyze.Node) bool
	// Extra are the generated files: the /etc output, an assembled
	// image's easy-access links and /tmp.
	Extra []reprotar.File
	// Group names each kept path's layer group (its package or store
	// path; "" loose files) and Groups says what each group needs.
	Group  func(string) string
	Groups map[string][]string
	// Selection is the exact set of entries the build writes.
	Selection *Selection
	// Findings are the problems of what the result keeps: the closure's
	// problems of kept files, drops that remove needed files, and the
	// generated /etc's warnings.
	Findings []finding.Finding
	// Unknowns are the places the closure could not see through (a trim
	// only).
	Unknowns []Unknown

	drops globList // the plan's drop patterns and those of applied findings
}

// Dropped reports whether a drop pattern of the plan, or of a finding it
// applies, matches the image path p (a drop wins over every keep but the
// runtime defaults).
func (e *Evaluation) Dropped(p string) bool { return e.drops.match(p) }

// Evaluate decides what a build of p writes. The plan's source is the
// session's image (p.Source is not read). Errors name the plan key at
// fault (apply:, etc:), but a root not found is a *closure.RootError for
// the caller to name (the plan's roots: or the --root flag).
func (s *Session) Evaluate(ctx context.Context, p *plan.Plan, eo EvalOptions) (*Evaluation, error) {
	if err := checkApply(p.Apply); err != nil {
		return nil, err
	}
	ix, err := s.Index(ctx)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Mode: p.BuildMode(), Config: outputConfig(s.im, p), Unknowns: []Unknown{}, drops: newGlobList(p.Drop)}
	if !p.Etc.IsZero() {
		// Before the closure: what the etc output writes replaces the
		// image's own /etc files, which the closure then leaves out.
		if ev.Etc, err = s.generateEtc(ctx, p.Etc, ev.Config.User, eo.AllowMissingUser); err != nil {
			return nil, err
		}
	}
	switch ev.Mode {
	case plan.Trim:
		err = s.trim(ctx, p, ix, eo, ev)
	case plan.Assemble:
		err = s.assemble(ctx, p, ix, ev)
	default:
		err = fmt.Errorf("mode: %q is no build mode", ev.Mode)
	}
	if err != nil {
		return nil, err
	}
	ev.Keep = keepAccounts(p, ev.Config, ev.Keep)
	if eo.Base != nil {
		ev.Keep = notInBase(eo.Base, ev.Keep)
	}
	if out := ev.Etc; out != nil {
		ev.Extra = append(ev.Extra, out.Files...)
		ev.Findings = append(ev.Findings, out.Warnings...)
		if len(out.Env) > 0 {
			ev.Config.Env = mergeEnv(ev.Config.Env, out.Env)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ev.Selection = Select(ix, ev.Keep, ev.Extra)
	if ev.Closure != nil && ev.Mode == plan.Trim {
		ev.Findings = append(ev.Findings, droppedNeeded(ix, ev.Closure, ev.Keep)...)
	}
	finding.Sort(ev.Findings)
	return ev, nil
}

// trim decides a trim: the closure of the roots, plus keep, minus drop,
// plus the runtime defaults; layers grouped by package or store path.
func (s *Session) trim(ctx context.Context, p *plan.Plan, ix *analyze.Index, eo EvalOptions, ev *Evaluation) error {
	drops := newGlobList(p.Drop)
	if KeepsAll(p) {
		// Every path is kept and one layer holds them: the closure would
		// decide nothing, so it is not computed (nor its findings).
		// Empty directories of the source are kept too (/tmp); one that
		// drops emptied goes with them.
		ev.Keep = drops.without(func(n *analyze.Node) bool { return !n.IsDir() || len(n.Children) == 0 })
		ev.Keep = withDefaults(drops, runtimeDirs(ctx, s.im, ix, ev.Config), nil, ev.Keep)
		return nil
	}
	traced := eo.Traced
	if traced == nil {
		for _, l := range p.Learned {
			traced = append(traced, closure.Traced{Path: l})
		}
	}
	copts := closure.Options{Roots: p.Roots, NoConfigRoots: len(p.Roots) > 0, Traced: traced, EtcProvides: p.Etc.Provides(), Env: runEnv(p, ev.Etc)}
	if ev.Etc != nil {
		copts.EtcGenerated = etcGenerated(ev.Etc)
	}
	cl, err := s.Closure(ctx, copts)
	if err != nil {
		return err // a *closure.RootError names the root; the caller names the key or flag
	}
	ev.Closure = cl
	for _, pr := range cl.Problems {
		// With nothing to run and no keep pattern, nothing would be kept.
		if pr.Kind == "closure/root" && pr.Severity == finding.Error && len(p.Keep) == 0 {
			return fmt.Errorf("roots: %s", pr.Message)
		}
	}
	// The problems of what the build keeps: a broken file nothing needs
	// is not the result's.
	for _, pr := range cl.Problems {
		if pr.Path() == "" {
			ev.Findings = append(ev.Findings, pr)
			continue
		}
		if id, ok := cl.Owner(pr.Path()); ok && cl.Analysis.Reachable(id) {
			ev.Findings = append(ev.Findings, pr)
		}
	}
	all := drops
	if len(p.Apply) > 0 {
		applied, err := s.applyFindings(ctx, cl, p.Apply)
		if err != nil {
			return err
		}
		all = newGlobList(append(append([]string(nil), p.Drop...), applied...))
		ev.drops = all
	}
	keeps := newGlobList(p.Keep)
	ev.Keep = all.without(func(n *analyze.Node) bool {
		pth := n.Path()
		if keeps.match(pth) {
			return true
		}
		if n.IsDir() {
			return cl.NeedsDir(pth) // else kept when it holds something kept
		}
		id, ok := cl.Owner(pth)
		return ok && cl.Analysis.Reachable(id)
	})
	ev.Keep = withDefaults(drops, runtimeDirs(ctx, s.im, ix, ev.Config), appDirs(cl), ev.Keep)
	ev.Unknowns = unknowns(cl)
	ev.Group, ev.Groups = groups(cl)
	return nil
}

// KindDroppedNeeded: a drop removes files the roots' closure needs; the
// result may not run.
const KindDroppedNeeded = "build/dropped-needed"

// droppedNeeded reports the files the closure of the roots reaches that
// keep leaves out (a drop pattern won over the closure).
func droppedNeeded(ix *analyze.Index, cl *closure.Closure, keep func(*analyze.Node) bool) []finding.Finding {
	var paths []string
	var bytes int64
	ix.Root.Walk(func(n *analyze.Node) bool {
		if n.IsDir() || n.Path() == "/" {
			return true
		}
		id, ok := cl.Owner(n.Path())
		if !ok || !cl.Analysis.Reachable(id) || cl.Graph.Get(id).Kind != graph.File || keep(n) {
			return true
		}
		paths = append(paths, n.Path())
		if n.Content != nil {
			bytes += n.Content.Size
		}
		return true
	})
	if len(paths) == 0 {
		return nil
	}
	shown := paths
	if len(shown) > 20 {
		shown = shown[:20]
	}
	return []finding.Finding{{
		Kind: KindDroppedNeeded, Severity: finding.Warning, Paths: shown, Bytes: bytes,
		Message: fmt.Sprintf("drop patterns leave out %s the roots need (%s first); the image may not run", text.Count(len(paths), "file"), paths[0]),
		Fix:     "narrow the drop, or prove the image with a verify command",
	}}
}

// KeepsAll reports whether a plan keeps every path in one layer with no
// finding applied: a keep of "/**", single layering, no apply. Such a
// trim needs no closure.
func KeepsAll(p *plan.Plan) bool {
	return slices.Contains(p.Keep, "/**") && p.Layers.Kind() == plan.Single && len(p.Apply) == 0
}

// applyFindings returns the drop globs of the findings the plan applies
// (by kind, "bloat/docs", or family, "bloat"). Only drops are applied:
// /etc and config changes are the plan's own keys.
func (s *Session) applyFindings(ctx context.Context, cl *closure.Closure, apply []string) ([]string, error) {
	fs, err := s.Findings(ctx, cl, doctor.Options{})
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	var drops []string
	for _, f := range fs {
		for _, a := range apply {
			if (f.Kind == a || f.Family() == a) && f.Change != nil {
				drops = append(drops, f.Change.Drop...)
			}
		}
	}
	return drops, nil
}

// checkApply refuses apply: entries that name no bloat kind, with the
// nearest ones.
func checkApply(apply []string) error {
	known := append([]string{doctor.FamilyBloat}, doctor.BloatKinds...)
	for _, a := range apply {
		if !slices.Contains(known, a) {
			return fmt.Errorf("apply: %q is no bloat finding kind%s; apply takes %s or one of %s", a, suggest.Hint(a, known), doctor.FamilyBloat, strings.Join(doctor.BloatKinds, ", "))
		}
	}
	return nil
}

// groups names each path's layer group after the package or store path
// that holds it (loose files share one group), and lists what each group
// needs, from the closure's edges between files of different groups.
func groups(cl *closure.Closure) (func(string) string, map[string][]string) {
	name := func(id graph.NodeID) string {
		n := cl.Graph.Get(id)
		if n.Kind == graph.File {
			g, ok := cl.Group(id)
			if !ok {
				return ""
			}
			n = cl.Graph.Get(g)
		}
		return n.Name
	}
	sets := map[string]map[string]bool{}
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		from := name(id)
		if from == "" {
			continue
		}
		for _, e := range cl.Graph.Edges(id) {
			if to := name(e.To); to != "" && to != from {
				if sets[from] == nil {
					sets[from] = map[string]bool{}
				}
				sets[from][to] = true
			}
		}
	}
	needs := map[string][]string{}
	for from, set := range sets {
		for to := range set {
			needs[from] = append(needs[from], to)
		}
		sort.Strings(needs[from])
	}
	return func(p string) string {
		if id, ok := cl.Owner(p); ok {
			return name(id)
		}
		return ""
	}, needs
}

// assemble decides an assemble: every path of the Nix closure,
// easy-access links into the root's bin, and /tmp; layers by store path.
func (s *Session) assemble(ctx context.Context, p *plan.Plan, ix *analyze.Index, ev *Evaluation) error {
	im := s.im
	root := ""
	if im.Nix != nil {
		root = im.Nix.Root
	} else if im.Config != nil {
		root = im.Config.Config.Labels[source.NixRootLabel]
	}
	if root == "" && ix.Root.Lookup("/nix/store") == nil {
		return fmt.Errorf("mode assemble: %s is no Nix closure (no /nix/store); give nix:PATH, a rootfs-tar: of `nix-store -qR` paths, or use mode trim", im.Ref)
	}
	cl, err := s.Closure(ctx, closure.Options{})
	if err != nil {
		return err
	}
	ev.Closure = cl
	ev.Findings = append(ev.Findings, cl.Problems...)
	ev.Keep = newGlobList(p.Drop).without(func(n *analyze.Node) bool {
		return !n.IsDir() || strings.HasPrefix(n.Path(), "/nix/store/")
	})
	ev.Group, ev.Groups = groups(cl)
	if root != "" {
		if n := ix.Root.Lookup(root + "/bin"); n != nil && n.IsDir() {
			ev.Extra = append(ev.Extra, reprotar.File{Path: "/bin", Kind: reprotar.Symlink, Mode: 0o777, Link: root + "/bin"})
		}
	}
	if ix.Root.Lookup("/tmp") == nil {
		ev.Extra = append(ev.Extra, reprotar.File{Path: "/tmp", Kind: reprotar.Dir, Mode: 0o1777})
	}
	return nil
}

// outputConfig is the source's runtime config with the plan's changes.
func outputConfig(im *source.Image, p *plan.Plan) v1.Config {
	var cfg v1.Config
	if im.Config != nil {
		src := im.Config.Config
		cfg = v1.Config{
			Entrypoint: src.Entrypoint, Cmd: src.Cmd, Env: src.Env, WorkingDir: src.WorkingDir,
			User: src.User, ExposedPorts: src.ExposedPorts, Labels: src.Labels, StopSignal: src.StopSignal,
			Volumes: src.Volumes, Healthcheck: src.Healthcheck, Shell: src.Shell,
		}
	}
	c := p.Config
	if c.Entrypoint != nil {
		cfg.Entrypoint = c.Entrypoint
	}
	if c.Cmd != nil {
		cfg.Cmd = c.Cmd
	}
	if c.Env != nil {
		cfg.Env = mergeEnv(cfg.Env, c.Env)
	}
	if c.WorkingDir != nil {
		cfg.WorkingDir = *c.WorkingDir
	}
	if c.User != nil {
		cfg.User = *c.User
	}
	if c.ExposedPorts != nil {
		cfg.ExposedPorts = map[string]struct{}{}
		for _, port := range c.ExposedPorts {
			if !strings.Contains(port, "/") {
				port += "/tcp"
			}
			cfg.ExposedPorts[port] = struct{}{}
		}
	}
	if c.Labels != nil {
		labels := map[string]string{}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		for k, v := range c.Labels {
			labels[k] = v
		}
		cfg.Labels = labels
	}
	return cfg
}

// runEnv is what the result's environment adds to the source's: the
// plan's config.env, then the generated /etc's (LANG, LOCALE_ARCHIVE,
// TZ, SSL_CERT_FILE, …), as KEY=VALUE in name order; the closure's
// run-time rules read the environment the result runs with.
func runEnv(p *plan.Plan, etc *etcgen.Output) []string {
	env := sortedEnv(p.Config.Env)
	if etc != nil {
		env = append(env, sortedEnv(etc.Env)...)
	}
	return env
}

// sortedEnv is set as KEY=VALUE in name order.
func sortedEnv(set map[string]string) []string {
	keys := slices.Sorted(maps.Keys(set))
	env := make([]string, len(keys))
	for i, k := range keys {
		env[i] = k + "=" + set[k]
	}
	return env
}

// mergeEnv sets the names of set in env (replacing their entries in
// place, appending new ones in name order).
func mergeEnv(env []string, set map[string]string) []string {
	out := make([]string, 0, len(env)+len(set))
	done := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if v, ok := set[k]; ok {
			if !done[k] {
				out = append(out, k+"="+v)
				done[k] = true
			}
			continue
		}
		out = append(out, kv)
	}
	var names []string
	for k := range set {
		if !done[k] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, k+"="+set[k])
	}
	return out
}

// generateEtc plans the chosen /etc from the image's own data.
func (s *Session) generateEtc(ctx context.Context, sel etcgen.Selection, user string, allowMissingUser bool) (*etcgen.Output, error) {
	cat, err := s.Catalog(ctx)
	if err != nil {
		return nil, err
	}
	out, err := cat.Plan(sel)
	if err != nil {
		return nil, fmt.Errorf("etc: %w", err)
	}
	if !allowMissingUser {
		if err := out.CheckUser(user); err != nil {
			return nil, fmt.Errorf("etc: %w; add it to etc.users", err)
		}
	}
	return out, nil
}

// keepAccounts keeps the image's /etc/passwd and /etc/group when the
// config's User is a name and the plan generates no accounts: a runtime
// resolves the name there, and without them the image cannot start.
func keepAccounts(p *plan.Plan, cfg v1.Config, keep func(*analyze.Node) bool) func(*analyze.Node) bool {
	name, _, _ := strings.Cut(cfg.User, ":")
	if name == "" || len(p.Etc.Users) > 0 {
		return keep
	}
	if _, err := strconv.Atoi(name); err == nil {
		return keep // a uid needs no entry
	}
	return newGlobList(p.Drop).without(func(n *analyze.Node) bool {
		return n.Path() == "/etc/passwd" || n.Path() == "/etc/group" || keep(n)
	})
}

// notInBase wraps keep so that a path the base image already holds the
// same is left out (the base's layers come first in the result).
func notInBase(base *analyze.Index, keep func(*analyze.Node) bool) func(*analyze.Node) bool {
	return func(n *analyze.Node) bool {
		if !keep(n) {
			return false
		}
		b := base.Root.Lookup(n.Path())
		return b == nil || !sameFile(n, b)
	}
}

// sameFile reports whether two nodes of two images hold the same file
// (type, mode, owner, link target, and content by xxHash64 and size).
func sameFile(a, b *analyze.Node) bool {
	ea, eb := a.Entry, b.Entry
	if a.Content != nil {
		ea = a.Content
	}
	if b.Content != nil {
		eb = b.Content
	}
	if a.IsDir() != b.IsDir() || ea.Mode != eb.Mode || ea.UID != eb.UID || ea.GID != eb.GID {
		return false
	}
	if (a.Content == nil) != (b.Content == nil) {
		return false
	}
	if a.Content != nil {
		return a.Content.Size == b.Content.Size && a.Content.Hash == b.Content.Hash
	}
	return a.Entry.Type == b.Entry.Type && a.Entry.Link == b.Entry.Link
}

// closureKey names a closure computation by the options that decide it.
func closureKey(o closure.Options) (string, error) {
	b, err := json.Marshal(struct {
		Roots         []string
		NoConfigRoots bool
		Granularity   closure.Granularity
		Env           []string
		EtcProvides   []string
		EtcGenerated  []string
		Traced        []closure.Traced
	}{nilIfEmpty(o.Roots), o.NoConfigRoots, o.Granularity, nilIfEmpty(o.Env), nilIfEmpty(o.EtcProvides), nilIfEmpty(o.EtcGenerated), nilIfEmpty(o.Traced)})
	if err != nil {
		return "", fmt.Errorf("naming the closure: %w", err)
	}
	return string(b), nil
}

// nilIfEmpty makes an empty list nil, so that both name one closure.
func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
