// Package session is whittle's one engine. A Session opens an image
// reference once and answers every question the front ends ask of it:
// lazily (nothing is computed before it is asked for), cached (each answer
// is computed once per session, and what the layer cache holds is not
// computed again) and cancellable by context:
//
//   - the index: one streaming pass over the layers that also learns what
//     the closure reads (closure.Learner), so no layer is read twice;
//   - the closure of a set of roots (closure.Build);
//   - the findings, bloat and breakage (package doctor);
//   - the /etc catalog (etcgen.LoadCatalog);
//   - the evaluation of a plan (evaluate.go): the exact entries, files and
//     bytes a build of it writes.
//
// The CLI and the TUI only present these answers; the builder only writes
// an Evaluation's selection, so the TUI's estimate and the built image
// are one computation. The package never prints: progress goes to
// Options.Progress.
package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
)

// Options tune a session.
type Options struct {
	// Open is passed to source.Open.
	Open source.Options
	// Cache is the layer index cache (nil: none): layer indexes, what the
	// closure learnt of each file, whole closures, the /etc catalog's
	// reads and the findings' facts.
	Cache *analyze.Cache
	// Refresh reads and hashes every layer blob even when the cache holds
	// its index, and computes closures afresh (--verify-blobs).
	Refresh bool
	// Progress, when set, hears each step (from the goroutine asking).
	Progress func(Progress)
	// IndexOnly says nothing will be asked of the closure or the
	// findings: the index pass learns nothing for them (audit
	// --no-findings, diff).
	IndexOnly bool
	// NoFindings says no findings will be asked for (a build that applies
	// none): the index pass learns nothing for them, and Findings reads
	// what it needs from the layers.
	NoFindings bool
	// OneClosure says one closure will be asked for (audit, doctor):
	// once it is built, what the index learnt for it is forgotten, so
	// its memory serves the findings.
	OneClosure bool
}

// Progress is a step of a session's work: Stage "opening", "indexing"
// (Done of Total layers read), "closure", "findings" or "etc"; "" when
// the step has ended (a status line clears then).
type Progress struct {
	Stage       string
	Done, Total int
}

// Session is one opened image and what has been computed of it. Its
// methods are safe for concurrent use; Close ends it.
type Session struct {
	opts    Options
	im      *source.Image
	learned *closure.Learner
	// judged is what the findings learnt as the layers were read.
	judged *doctor.Learner

	index    memo[struct{}, *analyze.Index]
	closures memo[string, *closure.Closure]
	findings memo[findingsKey, []finding.Finding]
	catalog  memo[struct{}, *etcgen.Catalog]
	survey   memo[struct{}, *doctor.Survey]
}

// keptAnswers is how many closures (and findings) a session keeps: the
// latest ones asked for. An app that toggles roots back and forth finds
// them again; one that asks for ever new ones holds no more than this.
const keptAnswers = 4

// findingsKey names one findings computation: the closure it judges
// with, what it computes and its options.
type findingsKey struct {
	cl       *closure.Closure
	breakage bool
	opts     string
}

// Open opens ref (skopeo's transport syntax, see source.Open). Nothing
// is read beyond the manifest and config until asked.
func Open(ctx context.Context, ref string, opts Options) (*Session, error) {
	say(opts, Progress{Stage: "opening"})
	im, err := source.Open(ctx, ref, opts.Open)
	say(opts, Progress{})
	if err != nil {
		return nil, err
	}
	return New(im, opts), nil
}

// New makes a session of an image already opened; the session owns it
// from then on (Close closes it).
func New(im *source.Image, opts Options) *Session {
	s := &Session{opts: opts, im: im}
	s.closures.limit, s.findings.limit = keptAnswers, keptAnswers
	if !opts.IndexOnly {
		s.learned = closure.NewLearner(opts.Cache)
		if !opts.NoFindings {
			s.judged = doctor.NewLearner(opts.Cache, im)
		}
	}
	return s
}

// NewIndexed makes a session of an image already opened and indexed
// (with ix, which IndexImage gave for it); the session owns the image.
// What the closure learns is read from the image when asked.
func NewIndexed(im *source.Image, ix *analyze.Index, opts Options) *Session {
	s := New(im, opts)
	s.learned, s.judged = nil, nil // the index pass is over: it learnt nothing
	s.index.set(struct{}{}, ix)
	return s
}

// Close closes the image. Answers already given stay valid, but the
// contents behind them can no longer be read.
func (s *Session) Close() error { return s.im.Close() }

// Image is the opened source image.
func (s *Session) Image() *source.Image { return s.im }

// Cache is the layer cache the session uses (nil: none).
func (s *Session) Cache() *analyze.Cache { return s.opts.Cache }

func say(opts Options, p Progress) {
	if opts.Progress != nil {
		opts.Progress(p)
	}
}

// indexOptions are the options of the session's one index pass.
func (s *Session) indexOptions() analyze.IndexOptions {
	opts := analyze.IndexOptions{Cache: s.opts.Cache, Verify: s.opts.Refresh}
	// A typed nil is no nil Learner: only the learners there are. The
	// findings' reads little of most files, so it goes first.
	var ls []analyze.Learner
	if s.judged != nil {
		ls = append(ls, s.judged)
	}
	if s.learned != nil {
		ls = append(ls, s.learned)
	}
	if len(ls) > 0 {
		opts.Learner = analyze.Learners(ls...)
	}
	return opts
}

// Index reads every layer once (or the cache's index of it) and returns
// the image's index; the closure's facts are learnt in the same pass.
func (s *Session) Index(ctx context.Context) (*analyze.Index, error) {
	return s.index.get(ctx, struct{}{}, func(ctx context.Context) (*analyze.Index, error) {
		opts := s.indexOptions()
		done := 0
		opts.Progress = func(p analyze.LayerProgress) {
			if p.Done {
				done++
			}
			say(s.opts, Progress{Stage: "indexing", Done: done, Total: p.Layers})
		}
		defer say(s.opts, Progress{})
		return analyze.IndexImage(ctx, s.im, opts)
	})
}

// Indexed reports whether the index is computed (or known to be in the
// cache, so that Index reads no layer).
func (s *Session) Indexed() bool {
	return s.index.has(struct{}{}) || analyze.Identify(s.im, s.indexOptions())
}

// ClosureOptions completes opts with what the session knows: its cache,
// what the index learnt, Refresh, and Nix's path info when the source
// has it.
func (s *Session) ClosureOptions(opts closure.Options) closure.Options {
	opts.Cache, opts.Refresh = s.opts.Cache, s.opts.Refresh
	if s.learned != nil {
		opts.Learned = s.learned
	}
	if s.im.Nix != nil {
		opts.NixInfo = s.im.Nix.Info
	}
	return opts
}

// Closure returns the closure that opts ask for (see closure.Options; the
// cache, learner and Nix info are the session's). When the layer cache
// holds that closure, the image is not even indexed. Errors are
// closure.Build's: a *closure.RootError for a root not found.
func (s *Session) Closure(ctx context.Context, opts closure.Options) (*closure.Closure, error) {
	opts = s.ClosureOptions(opts)
	key, err := closureKey(opts)
	if err != nil {
		return nil, err
	}
	return s.closures.get(ctx, key, func(ctx context.Context) (*closure.Closure, error) {
		say(s.opts, Progress{Stage: "closure"})
		defer say(s.opts, Progress{})
		if !s.index.has(struct{}{}) && analyze.Identify(s.im, s.indexOptions()) {
			index := func() (*analyze.Index, error) { return s.Index(ctx) }
			if cl, ok := closure.Cached(ctx, s.im, opts, index); ok {
				return cl, nil
			}
		}
		ix, err := s.Index(ctx)
		if err != nil {
			return nil, err
		}
		if !s.opts.NoFindings {
			// The findings' survey of the tree needs no closure: it is
			// made on the other core meanwhile.
			go func() { _, _ = s.Survey(ctx) }()
		}
		cl, err := closure.Build(ctx, s.im, ix, opts)
		if err == nil && s.opts.OneClosure {
			s.learned.Forget()
		}
		return cl, err
	})
}

// Findings returns doctor.All's findings of the image with closure cl
// (nil: the config's roots), computed once per closure and options.
func (s *Session) Findings(ctx context.Context, cl *closure.Closure, opts doctor.Options) ([]finding.Finding, error) {
	return s.judge(ctx, cl, opts, false)
}

// Breakage is Findings' breakage half alone (doctor.Breakage).
func (s *Session) Breakage(ctx context.Context, cl *closure.Closure, opts doctor.Options) ([]finding.Finding, error) {
	return s.judge(ctx, cl, opts, true)
}

func (s *Session) judge(ctx context.Context, cl *closure.Closure, opts doctor.Options, breakage bool) ([]finding.Finding, error) {
	if cl == nil {
		var err error
		if cl, err = s.Closure(ctx, closure.Options{Env: opts.Env}); err != nil {
			return nil, err
		}
	}
	opts.Cache = s.opts.Cache
	if s.judged != nil {
		opts.Learned = s.judged
	}
	key := findingsKey{cl: cl, breakage: breakage, opts: fmt.Sprintf("%q %q", opts.Ignore, opts.Env)}
	return s.findings.get(ctx, key, func(ctx context.Context) ([]finding.Finding, error) {
		ix, err := s.Index(ctx)
		if err != nil {
			return nil, err
		}
		say(s.opts, Progress{Stage: "findings"})
		defer say(s.opts, Progress{})
		if breakage {
			return doctor.Breakage(ctx, s.im, ix, cl, opts)
		}
		if opts.Survey, err = s.Survey(ctx); err != nil {
			return nil, err
		}
		return doctor.All(ctx, s.im, ix, cl, opts)
	})
}

// Survey returns the closure-free part of the bloat checks of the
// image's tree (doctor.NewSurvey), made once; a Closure call of a session
// that expects findings starts it beside the closure.
func (s *Session) Survey(ctx context.Context) (*doctor.Survey, error) {
	return s.survey.get(ctx, struct{}{}, func(ctx context.Context) (*doctor.Survey, error) {
		ix, err := s.Index(ctx)
		if err != nil {
			return nil, err
		}
		return doctor.NewSurvey(ctx, ix)
	})
}

// Catalog returns what /etc choices the image offers (services,
// protocols, certificates, locales, time zones, users), reading every
// file it needs in one pass over the layers.
func (s *Session) Catalog(ctx context.Context) (*etcgen.Catalog, error) {
	return s.catalog.get(ctx, struct{}{}, func(ctx context.Context) (*etcgen.Catalog, error) {
		ix, err := s.Index(ctx)
		if err != nil {
			return nil, err
		}
		say(s.opts, Progress{Stage: "etc"})
		defer say(s.opts, Progress{})
		fsys := s.FS(ctx, ix).WithCache(s.opts.Cache, "etc")
		// One pass over the layers for every file the catalog reads:
		// without it each zone file is a pass of its own.
		if err := fsys.Preload(func(n *analyze.Node) bool { return etcgen.CatalogPath(n.Path()) }); err != nil {
			return nil, err
		}
		cat, err := etcgen.LoadCatalog(fsys)
		if err != nil {
			return nil, source.PrefixRef(s.im.Ref, err)
		}
		return cat, nil
	})
}

// FS is the image's merged file system, reading contents through the
// index (analyze.NewFS).
func (s *Session) FS(ctx context.Context, ix *analyze.Index) *analyze.ImageFS {
	return analyze.NewFS(ctx, s.im, ix)
}

// memo computes each key's value once; callers asking while it is
// computed wait for it. A computation ended by its caller's cancellation
// is forgotten, so the next caller computes it again. With a limit, only
// the values of the latest limit keys asked for are kept.
type memo[K comparable, T any] struct {
	mu    sync.Mutex
	calls map[K]*call[T]
	limit int
	order []K // keys, least recently asked first (with a limit)
}

// touch records that key was asked for, and forgets the least recently
// asked values beyond the limit. m.mu is held.
func (m *memo[K, T]) touch(key K) {
	if m.limit == 0 {
		return
	}
	m.order = slices.DeleteFunc(m.order, func(k K) bool { return k == key })
	m.order = append(m.order, key)
	for len(m.order) > m.limit {
		delete(m.calls, m.order[0])
		m.order = m.order[1:]
	}
}

type call[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// has reports whether key's value is computed (successfully or not).
func (m *memo[K, T]) has(key K) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[key]
	if !ok {
		return false
	}
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// set records key's value.
func (m *memo[K, T]) set(key K, val T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[K]*call[T]{}
	}
	c := &call[T]{done: make(chan struct{}), val: val}
	close(c.done)
	m.calls[key] = c
}

func (m *memo[K, T]) get(ctx context.Context, key K, f func(context.Context) (T, error)) (T, error) {
	for {
		m.mu.Lock()
		if m.calls == nil {
			m.calls = map[K]*call[T]{}
		}
		c, ok := m.calls[key]
		m.touch(key)
		if !ok {
			c = &call[T]{done: make(chan struct{})}
			m.calls[key] = c
			m.mu.Unlock()
			c.val, c.err = f(ctx)
			if c.err != nil && ctx.Err() != nil {
				m.mu.Lock()
				if m.calls[key] == c {
					delete(m.calls, key)
				}
				m.mu.Unlock()
			}
			close(c.done)
			return c.val, c.err
		}
		m.mu.Unlock()
		select {
		case <-c.done:
			if c.err != nil && isCancel(c.err) && ctx.Err() == nil {
				continue // another caller's cancellation: compute again
			}
			return c.val, c.err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
