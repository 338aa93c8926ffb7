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
	"sort"
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
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
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
	Unknowns []session.Unknown `json:"unknowns"`
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

// Run carries out p: it opens p.Source in a session of its own and
// runs RunSession. The report comes back even with ErrVerify; other
// errors return no report.
func Run(ctx context.Context, p *plan.Plan, opts Options) (*Report, error) {
	if p.Source == "" {
		return nil, errors.New("the plan names no source image")
	}
	if _, err := dest.ParseAll(p.Outputs, opts.Dest); err != nil {
		return nil, err
	}
	say := opts.say
	say(Event{Stage: "open", Message: p.Source})
	s, err := session.Open(ctx, p.Source, session.Options{Open: opts.Open, Cache: opts.Cache, NoFindings: len(p.Apply) == 0, OneClosure: true})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return RunSession(ctx, s, p, opts)
}

func (o Options) say(e Event) {
	if o.Progress != nil {
		o.Progress(e)
	}
}

// RunSession carries out p on the image of an open session (p.Source is
// not read): it evaluates the plan (Session.Evaluate: what the build
// writes), builds it, writes it to every output and verifies it. The
// report comes back even with ErrVerify and ErrBroken; other errors
// return no report.
func RunSession(ctx context.Context, s *session.Session, p *plan.Plan, opts Options) (*Report, error) {
	say := opts.say
	outs, err := dest.ParseAll(p.Outputs, opts.Dest)
	if err != nil {
		return nil, err
	}
	im := s.Image()
	say(Event{Stage: "index", Message: im.Ref.String()})
	ix, err := s.Index(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{Source: im.Ref.String(), Mode: string(p.BuildMode()), SourceImage: im, Index: ix, Unknowns: []session.Unknown{}}
	r.Before = sourceSizes(ix)
	spec := builder.Spec{
		Source: im, Index: ix, Strategy: string(p.Layers.Kind()), MaxLayers: p.Layers.Limit(),
		Compression: opts.Compression, Created: opts.Created, Cache: opts.LayerCache,
		Progress: func(e builder.Event) { say(Event{Stage: "build", Build: &e}) },
	}
	eo := session.EvalOptions{AllowMissingUser: opts.AllowMissingUser}
	var baseLayers []*analyze.LayerIndex
	if p.From != "" {
		base, bix, err := onBase(ctx, p.From, &spec, opts, say)
		if err != nil {
			return nil, err
		}
		defer base.Close()
		baseLayers, eo.Base = bix.Layers, bix
	}
	fresh := false
	if p.BuildMode() == plan.Trim && !session.KeepsAll(p) {
		say(Event{Stage: "closure"})
		if eo.Traced, fresh, err = tracedPaths(ctx, p, im, ix, opts, say); err != nil {
			return nil, err
		}
	}
	if !p.Etc.IsZero() {
		say(Event{Stage: "etc"})
	}
	ev, err := s.Evaluate(ctx, p, eo)
	if err != nil {
		return nil, err
	}
	r.Closure, r.EtcOutput, r.Findings, r.Unknowns = ev.Closure, ev.Etc, append(r.Findings, ev.Findings...), ev.Unknowns
	if ev.Etc != nil && len(ev.Etc.Env) > 0 {
		r.Env = ev.Etc.Env
	}
	if fresh {
		r.Learned = learnedList(ev.Closure, eo.Traced)
	}
	spec.Selection, spec.Keep, spec.Extra = ev.Selection, ev.Keep, ev.Extra
	spec.Group, spec.Groups = ev.Group, ev.Groups
	cfg := ev.Config
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

// onBase opens the image from names, whose layers come first in the
// result: the evaluation leaves out every path it already holds the same
// (type, content, mode, owner, link target). The base stays open until
// Run has written and verified the image (Report.Image's base layers are
// not readable after Run returns).
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
	return base, bix, nil
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
