// Package pipeline runs a plan from start to end: it opens and indexes
// the source, computes the closure of the roots, generates the chosen
// /etc, builds the image (package builder), writes it to every output
// (package dest), runs the verify commands inside it (package verify) and
// reports what changed. The CLI's `whittle build` and the TUI's build pane
// both call Run.
//
// It never prints: progress goes to a callback, the result is a Report.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/kballard/go-shellquote"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/builder"
	"github.com/whittle-dev/whittle/builder/dest"
	"github.com/whittle-dev/whittle/builder/verify"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/nixref"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/suggest"
	"github.com/whittle-dev/whittle/plan"
)

// Options tune a run.
type Options struct {
	// Open is passed to source.Open; Dest to the destinations.
	Open source.Options
	Dest dest.Options
	// Cache is the layer index cache (nil: none); LayerCache the
	// directory of written layers ("" none).
	Cache      *analyze.Cache
	LayerCache string
	// Compression is "gzip" (default) or "zstd".
	Compression string
	// Created is the build time (zero: the Unix epoch).
	Created time.Time
	// AllowMissingUser accepts an etc users choice that leaves out the
	// config's User.
	AllowMissingUser bool
	// Sandbox, Timeout and Limits tune verify and learn.
	Sandbox verify.Sandbox
	Timeout time.Duration
	Limits  verify.Limits
	// Relearn traces the plan's learn: commands again even when it has a
	// learned: list.
	Relearn bool
	// Progress hears each stage.
	Progress func(Event)
}

// Event is a stage of a run: "open", "index", "closure", "etc", "build"
// (with the builder's event), "write", "verify", "done".
type Event struct {
	Stage   string
	Message string
	Build   *builder.Event
	Write   *dest.Progress
}

// Sizes are an image's totals: files, uncompressed layer bytes and
// stored (compressed) bytes.
type Sizes struct {
	Files       int   `json:"files"`
	FileBytes   int64 `json:"file_bytes"`
	TarBytes    int64 `json:"tar_bytes"`
	StoredBytes int64 `json:"stored_bytes"`
}

// Removal is a path left out, with its bytes.
type Removal struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// VerifyResult is one verify command's outcome in the built image,
// compared with its outcome in the source: it passes when they agree.
type VerifyResult struct {
	Argv     []string `json:"argv"`
	Probe    string   `json:"probe,omitempty"`
	Passed   bool     `json:"passed"`
	ExitCode int      `json:"exit_code"`
	// SourceExitCode is the command's exit status in the source.
	SourceExitCode int    `json:"source_exit_code"`
	Output         string `json:"output"`
	Error          string `json:"error,omitempty"`
	// Differences are where the result's outcome differs from the
	// source's: the exit status, the first differing line of output.
	Differences []verify.Difference `json:"differences,omitempty"`
}

// Report is what a run did.
type Report struct {
	Source  string `json:"source"`
	Mode    string `json:"mode"`
	Digest  string `json:"digest"`
	Before  Sizes  `json:"before"`
	After   Sizes  `json:"after"`
	Removed int    `json:"removed_files"`
	// RemovedBytes are the bytes of the regular files left out.
	RemovedBytes int64 `json:"removed_bytes"`
	// RemovedGroups are the packages or store paths none of whose files
	// were kept.
	RemovedGroups []string            `json:"removed_packages"`
	Biggest       []Removal           `json:"biggest_removals"`
	Layers        []builder.LayerInfo `json:"layers"`
	Outputs       []string            `json:"outputs"`
	Verify        []VerifyResult      `json:"verify"`
	Findings      []finding.Finding   `json:"findings"`
	// Unknowns are the places the closure could not see through (a
	// trim only; empty when it saw through everything).
	Unknowns []Unknown `json:"unknowns"`
	// Learned are the paths the plan's learn: commands touched, traced
	// by this run (nil when the plan's learned: list was used): the
	// plan's new learned: list.
	Learned      []string          `json:"learned,omitempty"`
	Env          map[string]string `json:"env,omitempty"`
	RemovedPaths []string          `json:"-"`
	Image        v1.Image          `json:"-"`
	Config       v1.Config         `json:"config"`
	Closure      *closure.Closure  `json:"-"`
	Catalog      *etcgen.Catalog   `json:"-"`
	EtcOutput    *etcgen.Output    `json:"-"`
	SourceImage  *source.Image     `json:"-"`
	Index        *analyze.Index    `json:"-"`
}

// ErrVerify is wrapped by Run's error when a verify command failed; the
// report is returned with it.
var ErrVerify = errors.New("verify failed")

// ErrBroken is wrapped by Run's error when the built image cannot start
// (its entry point is not in it); nothing is written, and the report is
// returned with it.
var ErrBroken = errors.New("the built image cannot start")

// Run carries out p. ref, when not empty, overrides p.Source. The report
// comes back even with ErrVerify; other errors return no report.
func Run(ctx context.Context, p *plan.Plan, opts Options) (*Report, error) {
	say := func(e Event) {
		if opts.Progress != nil {
			opts.Progress(e)
		}
	}
	if p.Source == "" {
		return nil, errors.New("the plan names no source image")
	}
	if err := checkApply(p.Apply); err != nil {
		return nil, err
	}
	outs, err := dest.ParseAll(p.Outputs, opts.Dest)
	if err != nil {
		return nil, err
	}
	say(Event{Stage: "open", Message: p.Source})
	im, err := source.Open(ctx, p.Source, opts.Open)
	if err != nil {
		return nil, err
	}
	defer im.Close()
	say(Event{Stage: "index", Message: p.Source})
	// The closure's facts are learnt as the layers are read, so that a
	// trim reads no layer twice to compute it.
	learned := closure.NewLearner(opts.Cache)
	ix, err := analyze.IndexImage(ctx, im, analyze.IndexOptions{Cache: opts.Cache, Learner: learned})
	if err != nil {
		return nil, err
	}
	r := &Report{Source: im.Ref.String(), Mode: string(p.BuildMode()), SourceImage: im, Index: ix, Unknowns: []Unknown{}}
	r.Before = sourceSizes(ix)

	cfg := outputConfig(im, p)
	if !p.Etc.IsZero() {
		// Before the closure: what the etc output writes replaces the
		// image's own /etc files, which the closure then leaves out.
		say(Event{Stage: "etc"})
		out, err := generateEtc(ctx, im, ix, opts.Cache, p.Etc, cfg.User, opts.AllowMissingUser)
		if err != nil {
			return nil, err
		}
		r.EtcOutput = out
	}
	spec := builder.Spec{
		Source: im, Index: ix, Strategy: string(p.Layers.Kind()), MaxLayers: p.Layers.Limit(),
		Compression: opts.Compression, Created: opts.Created, Cache: opts.LayerCache,
		Progress: func(e builder.Event) { say(Event{Stage: "build", Build: &e}) },
	}
	switch p.BuildMode() {
	case plan.Trim:
		if err := trimSpec(ctx, p, im, ix, learned, &spec, r, opts, say); err != nil {
			return nil, err
		}
	case plan.Assemble:
		if err := assembleSpec(ctx, p, im, ix, &spec, r, say); err != nil {
			return nil, err
		}
	}
	keepAccounts(p, cfg, &spec)
	var baseLayers []*analyze.LayerIndex
	if p.From != "" {
		base, bix, err := onBase(ctx, p.From, &spec, opts, say)
		if err != nil {
			return nil, err
		}
		defer base.Close()
		baseLayers = bix.Layers
	}
	if out := r.EtcOutput; out != nil {
		spec.Extra = append(spec.Extra, out.Files...)
		r.Findings = append(r.Findings, out.Warnings...)
		if len(out.Env) > 0 {
			cfg.Env = mergeEnv(cfg.Env, out.Env)
			r.Env = out.Env
		}
	}
	spec.Config = cfg
	r.Config = cfg
	res, err := builder.Build(ctx, spec)
	if err != nil {
		return nil, err
	}
	// Without a layer cache the layers live in a temporary directory,
	// removed once written and verified (Report.Image is not readable
	// after Run then).
	defer res.Close()
	r.Image = res.Image
	r.Layers = res.Layers
	r.Findings = append(r.Findings, res.Findings...)
	finding.Sort(r.Findings)
	d, err := res.Image.Digest()
	if err != nil {
		return nil, fmt.Errorf("getting digest: %w", err)
	}
	r.Digest = d.String()
	// What the result holds, merged from the entries the build wrote (and
	// the base's): the figures after and the entry point check need no
	// second read of its bytes.
	bix := analyze.Merge(append(append([]*analyze.LayerIndex(nil), baseLayers...), res.Written...))
	r.summarise(ix, bix, res, spec.Group)
	broken := entrypointFindings(cfg, bix)
	r.Findings = append(r.Findings, broken...)
	finding.Sort(r.Findings)
	if len(broken) > 0 && len(p.Verify) == 0 {
		// Nothing is written: an image that cannot start is no output.
		return r, fmt.Errorf("%w: %s", ErrBroken, broken[0].Message)
	}
	for _, o := range outs {
		r.Outputs = append(r.Outputs, o.Name())
	}
	if len(outs) > 0 {
		say(Event{Stage: "write", Message: strings.Join(r.Outputs, ", ")})
		if err := outs.Write(ctx, res.Image, func(pr dest.Progress) { say(Event{Stage: "write", Write: &pr}) }); err != nil {
			return nil, err
		}
	}
	if len(p.Verify) > 0 {
		var verr error
		switch {
		case p.BuildMode() == plan.Trim:
			verr = r.verify(ctx, checks(p.Verify, p.VerifyOptions), opts, say)
		case len(p.VerifyOptions) > 0:
			verr = errors.New("verify: compare options (ignore, exit_only, probe) need a source image to compare with; an assembled image has none")
		default:
			verr = r.verifyAlone(ctx, p.Verify, opts, say)
		}
		if verr != nil {
			return r, verr
		}
	}
	say(Event{Stage: "done"})
	return r, nil
}

// onBase builds on the image from names: its layers come first, and every
// path it already has the same (type, content, mode, owner, link target)
// is left out of the layers the build writes.
// The base stays open until Run has written and verified the image
// (Report.Image's base layers are not readable after Run returns). The
// comparison uses the index's content hashes (xxHash64 and size).
func onBase(ctx context.Context, from string, spec *builder.Spec, opts Options, say func(Event)) (*source.Image, *analyze.Index, error) {
	say(Event{Stage: "open", Message: from})
	base, err := source.Open(ctx, from, opts.Open)
	if err != nil {
		return nil, nil, fmt.Errorf("from: %w", err)
	}
	bix, err := analyze.IndexImage(ctx, base, analyze.IndexOptions{Cache: opts.Cache})
	if err != nil {
		base.Close()
		return nil, nil, fmt.Errorf("from: %w", err)
	}
	layers, err := base.V1Layers()
	if err != nil {
		base.Close()
		return nil, nil, fmt.Errorf("from: %w", err)
	}
	spec.Base = layers
	if base.Config != nil {
		var hist []v1.History
		for _, h := range base.Config.History {
			if !h.EmptyLayer {
				hist = append(hist, h)
			}
		}
		if len(hist) == len(layers) {
			spec.BaseHistory = hist
		}
	}
	keep := spec.Keep
	spec.Keep = func(n *analyze.Node) bool {
		if !keep(n) {
			return false
		}
		b := bix.Root.Lookup(n.Path())
		return b == nil || !sameFile(n, b)
	}
	return base, bix, nil
}

// sameFile reports whether two nodes of two images hold the same file.
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

// verify runs the checks in the built image and in the source, and
// compares their outcomes.
func (r *Report) verify(ctx context.Context, cmds []verify.Check, opts Options, say func(Event)) error {
	// Read the result back as any image, and run the commands in it.
	built, err := source.FromV1(r.Digest, r.Image)
	if err != nil {
		return err
	}
	bix, err := analyze.IndexImage(ctx, built, analyze.IndexOptions{})
	if err != nil {
		return fmt.Errorf("reading the built image: %w", err)
	}
	cmps, err := verify.Against(ctx, r.SourceImage, r.Index, built, bix, cmds, verify.Options{
		Sandbox: opts.Sandbox, Timeout: opts.Timeout, Limits: opts.Limits,
		Started: func(argv []string) { say(Event{Stage: "verify", Message: strings.Join(argv, " ")}) },
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	var failed []string
	for _, c := range cmps {
		v := VerifyResult{Argv: c.Argv, Probe: c.Check.Probe, Passed: c.Same(), ExitCode: c.Result.ExitCode,
			SourceExitCode: c.Source.ExitCode, Output: string(c.Result.Stdout) + string(c.Result.Stderr),
			Error: c.Result.Error, Differences: c.Diffs}
		if v.Argv == nil {
			v.Argv = []string{}
		}
		r.Verify = append(r.Verify, v)
		if !v.Passed {
			failed = append(failed, shellquote.Join(c.Argv...)+" ("+c.Diffs[0].What+" differs from the source's)")
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrVerify, strings.Join(failed, "; "))
	}
	return nil
}

// trimSpec fills the spec of a trim: the closure of the roots, plus keep,
// minus drop; layers grouped by package or store path.
func trimSpec(ctx context.Context, p *plan.Plan, im *source.Image, ix *analyze.Index, learned *closure.Learner, spec *builder.Spec, r *Report, opts Options, say func(Event)) error {
	cfg := outputConfig(im, p)
	if keepsAll(p) {
		// Every path is kept and one layer holds them: the closure would
		// decide nothing, so it is not computed (nor its findings).
		// Empty directories of the source are kept too (/tmp); one that
		// drops emptied goes with them.
		spec.Keep = dropper(p.Drop, func(n *analyze.Node) bool { return !n.IsDir() || len(n.Children) == 0 })
		spec.Keep = withDefaults(p.Drop, runtimeDirs(ctx, im, ix, cfg), nil, spec.Keep)
		return nil
	}
	say(Event{Stage: "closure"})
	traced, fresh, err := tracedPaths(ctx, p, im, ix, opts, say)
	if err != nil {
		return err
	}
	copts := closure.Options{Roots: p.Roots, NoConfigRoots: len(p.Roots) > 0, Cache: opts.Cache, Learned: learned, Traced: traced, EtcProvides: p.Etc.Provides()}
	if r.EtcOutput != nil {
		copts.EtcGenerated = etcGenerated(r.EtcOutput)
	}
	if im.Nix != nil {
		copts.NixInfo = im.Nix.Info
	}
	cl, err := closure.Build(ctx, im, ix, copts)
	if err != nil {
		return err
	}
	r.Closure = cl
	if fresh {
		r.Learned = learnedList(cl, traced)
	}
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
			r.Findings = append(r.Findings, pr)
			continue
		}
		if id, ok := cl.Owner(pr.Path()); ok && cl.Analysis.Reachable(id) {
			r.Findings = append(r.Findings, pr)
		}
	}
	drops := append([]string(nil), p.Drop...)
	if len(p.Apply) > 0 {
		applied, err := applyFindings(ctx, im, ix, cl, opts.Cache, p.Apply)
		if err != nil {
			return err
		}
		drops = append(drops, applied...)
	}
	spec.Keep = dropper(drops, func(n *analyze.Node) bool {
		pth := n.Path()
		for _, k := range p.Keep {
			if glob.Match(k, pth) {
				return true
			}
		}
		if n.IsDir() {
			return cl.NeedsDir(pth) // else kept when it holds something kept
		}
		id, ok := cl.Owner(pth)
		return ok && cl.Analysis.Reachable(id)
	})
	spec.Keep = withDefaults(p.Drop, runtimeDirs(ctx, im, ix, cfg), appDirs(cl), spec.Keep)
	r.Findings = append(r.Findings, droppedNeeded(ix, cl, spec.Keep)...)
	r.Unknowns = unknowns(cl)
	spec.Group, spec.Groups = groups(cl)
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
		Message: fmt.Sprintf("drop patterns leave out %d files the roots need (%s first); the image may not run", len(paths), paths[0]),
		Fix:     "narrow the drop, or prove the image with a verify command",
	}}
}

// keepsAll reports whether a plan keeps every path in one layer with no
// finding applied: a keep of "/**", single layering, no apply.
func keepsAll(p *plan.Plan) bool {
	return slices.Contains(p.Keep, "/**") && p.Layers.Kind() == plan.Single && len(p.Apply) == 0
}

// dropper wraps keep so that the plan's drop globs win.
func dropper(drops []string, keep func(*analyze.Node) bool) func(*analyze.Node) bool {
	return func(n *analyze.Node) bool {
		for _, d := range drops {
			if glob.Match(d, n.Path()) {
				return false
			}
		}
		return keep(n)
	}
}

// applyFindings returns the drop globs of the findings the plan applies
// (by kind, "bloat/docs", or family, "bloat"). Only drops are applied:
// /etc and config changes are the plan's own keys.
func applyFindings(ctx context.Context, im *source.Image, ix *analyze.Index, cl *closure.Closure, cache *analyze.Cache, apply []string) ([]string, error) {
	fs, err := doctor.All(ctx, im, ix, cl, doctor.Options{Cache: cache})
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

// assembleSpec fills the spec of an assemble: every path of the Nix
// closure, easy-access links into the root's bin, and /tmp; layers by
// store path.
func assembleSpec(ctx context.Context, p *plan.Plan, im *source.Image, ix *analyze.Index, spec *builder.Spec, r *Report, say func(Event)) error {
	root := ""
	if im.Nix != nil {
		root = im.Nix.Root
	} else if im.Config != nil {
		root = im.Config.Config.Labels[source.NixRootLabel]
	}
	if root == "" && ix.Root.Lookup("/nix/store") == nil {
		return fmt.Errorf("mode assemble: %s is no Nix closure (no /nix/store); give nix:PATH, a rootfs-tar: of `nix-store -qR` paths, or use mode trim", im.Ref)
	}
	say(Event{Stage: "closure"})
	cl, err := closure.Build(ctx, im, ix, closure.Options{NixInfo: nixInfo(im)})
	if err != nil {
		return err
	}
	r.Closure = cl
	r.Findings = append(r.Findings, cl.Problems...)
	spec.Keep = dropper(p.Drop, func(n *analyze.Node) bool {
		return !n.IsDir() || strings.HasPrefix(n.Path(), "/nix/store/")
	})
	spec.Group, spec.Groups = groups(cl)
	if root != "" {
		if n := ix.Root.Lookup(root + "/bin"); n != nil && n.IsDir() {
			spec.Extra = append(spec.Extra, reprotar.File{Path: "/bin", Kind: reprotar.Symlink, Mode: 0o777, Link: root + "/bin"})
		}
	}
	if ix.Root.Lookup("/tmp") == nil {
		spec.Extra = append(spec.Extra, reprotar.File{Path: "/tmp", Kind: reprotar.Dir, Mode: 0o1777})
	}
	return nil
}

func nixInfo(im *source.Image) []nixref.PathInfo {
	if im.Nix != nil {
		return im.Nix.Info
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
func generateEtc(ctx context.Context, im *source.Image, ix *analyze.Index, cache *analyze.Cache, sel etcgen.Selection, user string, allowMissingUser bool) (*etcgen.Output, error) {
	fsys := analyze.NewFS(ctx, im, ix).WithCache(cache, "etc")
	if err := fsys.Preload(func(n *analyze.Node) bool { return etcgen.CatalogPath(n.Path()) }); err != nil {
		return nil, err
	}
	cat, err := etcgen.LoadCatalog(fsys)
	if err != nil {
		return nil, source.PrefixRef(im.Ref, err)
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

// sourceSizes totals the source image.
func sourceSizes(ix *analyze.Index) Sizes {
	return Sizes{Files: ix.Totals.Files, FileBytes: ix.Totals.VisibleBytes, TarBytes: ix.Totals.TarBytes, StoredBytes: ix.Totals.StoredBytes}
}

// summarise fills the figures after (from the built image's index), what
// was removed (source files the result does not hold as files), the
// biggest removals and the groups left out entirely.
func (r *Report) summarise(ix, bix *analyze.Index, res *builder.Result, group func(string) string) {
	for _, l := range res.Layers {
		r.After.TarBytes += l.TarBytes
		r.After.StoredBytes += l.StoredBytes
	}
	r.After.Files, r.After.FileBytes = bix.Totals.Files, bix.Totals.VisibleBytes
	isFile := func(n *analyze.Node) bool {
		return n != nil && (n.Entry.Type == analyze.TypeRegular || n.Entry.Type == analyze.TypeHardlink)
	}
	var removals []Removal
	seen, keptGroup := map[string]bool{}, map[string]bool{}
	ix.Root.Walk(func(n *analyze.Node) bool {
		p := n.Path()
		if p == "/" {
			return true
		}
		out := bix.Root.Lookup(p)
		if out == nil {
			r.RemovedPaths = append(r.RemovedPaths, p)
		}
		if !isFile(n) {
			return true
		}
		g := ""
		if group != nil {
			g = group(p)
		}
		if g != "" {
			seen[g] = true
		}
		if isFile(out) {
			if g != "" {
				keptGroup[g] = true
			}
			return true
		}
		r.Removed++
		if n.Content != nil {
			r.RemovedBytes += n.Content.Size
			removals = append(removals, Removal{p, n.Content.Size})
		}
		return true
	})
	sort.Strings(r.RemovedPaths)
	sort.Slice(removals, func(i, j int) bool {
		if removals[i].Bytes != removals[j].Bytes {
			return removals[i].Bytes > removals[j].Bytes
		}
		return removals[i].Path < removals[j].Path
	})
	if len(removals) > 10 {
		removals = removals[:10]
	}
	r.Biggest = removals
	for g := range seen {
		if !keptGroup[g] {
			r.RemovedGroups = append(r.RemovedGroups, g)
		}
	}
	sort.Strings(r.RemovedGroups)
}

// KindEntrypointMissing: the built image cannot start: its entry point
// (or Cmd) is not an executable file in it.
const KindEntrypointMissing = "build/entrypoint-missing"

// entrypointFindings checks that the result holds what its config runs.
func entrypointFindings(cfg v1.Config, bix *analyze.Index) []finding.Finding {
	argv := append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
	if len(argv) == 0 {
		return nil
	}
	prog := argv[0]
	var candidates []string
	switch {
	case strings.HasPrefix(prog, "/"):
		candidates = []string{prog}
	case strings.Contains(prog, "/"):
		candidates = []string{path.Join("/", cfg.WorkingDir, prog)}
	default:
		pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		for _, kv := range cfg.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				pathEnv = v
			}
		}
		for _, d := range strings.Split(pathEnv, ":") {
			if d != "" {
				candidates = append(candidates, path.Join(d, prog))
			}
		}
	}
	for _, c := range candidates {
		n, _, err := bix.Root.Resolve(c, imagefs.Follow)
		if err == nil && n.Content != nil && n.Entry.Mode&0o111 != 0 {
			return nil
		}
	}
	return []finding.Finding{{
		Kind: KindEntrypointMissing, Severity: finding.Error, Paths: []string{prog},
		Message: fmt.Sprintf("the built image runs %s, which it does not hold as an executable file", prog),
		Fix:     "keep it (roots: or keep:), or change config.entrypoint/cmd",
	}}
}

// keepAccounts keeps the image's /etc/passwd and /etc/group when the
// config's User is a name and the plan generates no accounts: a runtime
// resolves the name there, and without them the image cannot start.
func keepAccounts(p *plan.Plan, cfg v1.Config, spec *builder.Spec) {
	name, _, _ := strings.Cut(cfg.User, ":")
	if name == "" || len(p.Etc.Users) > 0 {
		return
	}
	if _, err := strconv.Atoi(name); err == nil {
		return // a uid needs no entry
	}
	keep := spec.Keep
	spec.Keep = dropper(p.Drop, func(n *analyze.Node) bool {
		return n.Path() == "/etc/passwd" || n.Path() == "/etc/group" || keep(n)
	})
}
