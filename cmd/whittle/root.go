package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/internal/text"
)

// globalFlags are the flags every command shares.
type globalFlags struct {
	platform string
	insecure bool
	noCache  bool
	cacheDir string
	verify   bool
	quiet    bool
	planFile string // the app's --plan

	// learner, set by commands that compute a closure (learnClosure),
	// learns the closure's facts as the layers are indexed.
	learner *closure.Learner
	// wantFindings, set by commands that compute findings
	// (learnFindings), makes the index of an image make findings its
	// Learner, which learns what the findings read.
	wantFindings bool
	findings     *doctor.Learner
}

// learnFindings makes the next index learn what the closure and the
// findings read, so that cold findings read no layer again.
func (g *globalFlags) learnFindings() error {
	g.wantFindings = true
	return g.learnClosure()
}

// learnClosure makes the next index learn what the closure reads, so a
// cold closure reads no layer again.
func (g *globalFlags) learnClosure() error {
	cache, err := g.cache()
	if err != nil {
		return err
	}
	g.learner = closure.NewLearner(cache)
	return nil
}

func newRootCommand() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "whittle",
		Short: "Inspect container images, explain every byte, and rebuild them smaller",
		Long: `whittle inspects container images and Nix closures: where every byte comes
from and why it is there, what is wasted, what is broken.

Image references use skopeo's words:
  docker://REF or REF      a registry (docker config credentials; plain HTTP
                           only for localhost/127.0.0.1 or with --insecure)
  docker-archive:PATH[:TAG|:@N]  docker save output
  oci:DIR[:TAG]            an OCI image layout; oci-archive:PATH[:TAG] tarred
  docker-daemon:REF        a running engine (DOCKER_HOST; podman works)
  dir:PATH                 a root file system directory
  rootfs-tar:PATH          a root file system tarball (gzip, zstd or plain)
  demo:                    the built-in demo image (the default)
A bare local path is recognised by its content.

whittle REF opens the interactive app on an image (see tui); with no
command on a terminal, on the demo image.`,
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := terminalOut(cmd); ok || len(args) == 1 || g.planFile != "" {
				return runTUI(cmd, g, args)
			}
			return cmd.Help()
		},
	}
	root.Flags().StringVar(&g.planFile, "plan", "", "open the app with this plan file applied (its source is the image when REF is not given)")
	pf := root.PersistentFlags()
	pf.StringVar(&g.platform, "platform", "", "platform to pick from a multi-platform image (os/arch[/variant]; default linux on this machine's architecture)")
	pf.BoolVar(&g.insecure, "insecure", false, "allow plain HTTP to registries that are not on loopback")
	pf.BoolVar(&g.noCache, "no-cache", false, "read every layer, neither using nor filling the layer index cache")
	pf.StringVar(&g.cacheDir, "cache-dir", "", "cache directory: layer indexes, what the closure learnt, whole closures, and (in build/) built layers (default $XDG_CACHE_HOME/whittle/layers, built layers in ../build)")
	pf.BoolVar(&g.verify, "verify-blobs", false, "read and hash every layer blob even when the cache holds its index, and compute closures afresh (a warm run only checks each blob is there with its size)")
	pf.BoolVarP(&g.quiet, "quiet", "q", false, "no progress on stderr")
	root.AddCommand(newAuditCommand(g), newGraphCommand(g), newEtcCommand(g), newTUICommand(g), newBuildCommand(g), newVerifyCommand(g), newLearnCommand(g), newDiffCommand(g), newDoctorCommand(g))
	return root
}

// imageRef is the image a command's optional REF argument names: the
// demo image when there is none.
func imageRef(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "demo:"
}

// openOptions turns the global flags into source.Options.
func (g *globalFlags) openOptions() (source.Options, error) {
	opts := source.Options{Insecure: g.insecure}
	if g.platform != "" {
		p, err := v1.ParsePlatform(g.platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return opts, fmt.Errorf("--platform %q: want os/arch[/variant], like linux/arm64/v8", g.platform)
		}
		opts.Platform = p
	}
	return opts, nil
}

// cache returns the layer index cache the flags ask for, or nil.
func (g *globalFlags) cache() (*analyze.Cache, error) {
	if g.noCache {
		return nil, nil
	}
	dir := g.cacheDir
	if dir == "" {
		d, err := analyze.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &analyze.Cache{Dir: dir}, nil
}

// openAndIndex opens a reference and indexes it, showing progress on a
// terminal's stderr. The caller closes the image.
func (g *globalFlags) openAndIndex(ctx context.Context, ref string, stderr io.Writer) (*source.Image, *analyze.Index, error) {
	im, err := g.open(ctx, ref, stderr)
	if err != nil {
		return nil, nil, err
	}
	ix, err := g.index(ctx, im, stderr)
	if err != nil {
		im.Close()
		return nil, nil, err
	}
	return im, ix, nil
}

// open opens a reference, showing progress on a terminal's stderr. The
// caller closes the image.
func (g *globalFlags) open(ctx context.Context, ref string, stderr io.Writer) (*source.Image, error) {
	opts, err := g.openOptions()
	if err != nil {
		return nil, err
	}
	progress := g.progress(stderr, ref)
	progress("opening")
	defer progress("")
	return source.Open(ctx, ref, opts)
}

// indexOptions are the IndexOptions the flags ask for.
func (g *globalFlags) indexOptions() (analyze.IndexOptions, error) {
	cache, err := g.cache()
	opts := analyze.IndexOptions{Cache: cache, Verify: g.verify}
	// The findings' learner reads little of most files: it goes first.
	var ls []analyze.Learner
	if g.findings != nil {
		ls = append(ls, g.findings)
	}
	if g.learner != nil {
		ls = append(ls, g.learner)
	}
	opts.Learner = analyze.Learners(ls...)
	return opts, err
}

// index indexes an opened image, showing progress on a terminal's stderr.
func (g *globalFlags) index(ctx context.Context, im *source.Image, stderr io.Writer) (*analyze.Index, error) {
	if g.wantFindings {
		cache, err := g.cache()
		if err != nil {
			return nil, err
		}
		g.findings = doctor.NewLearner(cache, im)
	}
	opts, err := g.indexOptions()
	if err != nil {
		return nil, err
	}
	progress := g.progress(stderr, im.Ref.String())
	defer progress("")
	done := 0
	opts.Progress = func(p analyze.LayerProgress) {
		if p.Done {
			done++
		}
		progress(fmt.Sprintf("reading layers %d/%d", done, p.Layers))
	}
	return analyze.IndexImage(ctx, im, opts)
}

// progress returns a function that shows one updating status line on a
// terminal's stderr ("" clears it), and does nothing elsewhere.
func (g *globalFlags) progress(stderr io.Writer, ref string) func(string) {
	f, ok := stderr.(*os.File)
	if g.quiet || !ok || !isatty.IsTerminal(f.Fd()) {
		return func(string) {}
	}
	return func(s string) {
		if s == "" {
			fmt.Fprint(f, "\r\033[K")
			return
		}
		fmt.Fprintf(f, "\r\033[K%s: %s…", text.Escape(ref), text.Escape(s))
	}
}

// buildClosure computes an opened image's closure with the layer cache
// the flags ask for (returned for the callers' other reads), Nix's path
// info when the source has it, and an error for a --roots entry that
// names the flag and the image.
func (g *globalFlags) buildClosure(ctx context.Context, im *source.Image, ix *analyze.Index, opts closure.Options) (*closure.Closure, *analyze.Cache, error) {
	opts, err := g.closureOptions(im, opts)
	if err != nil {
		return nil, nil, err
	}
	cl, err := closure.Build(ctx, im, ix, opts)
	var rootErr *closure.RootError
	if errors.As(err, &rootErr) {
		return nil, nil, fmt.Errorf("--roots (image %s): %w", im.Ref, rootErr.Err)
	}
	if err != nil {
		return nil, nil, err
	}
	return cl, opts.Cache, nil
}

// closureOptions completes opts with the cache the flags ask for and
// Nix's path info when the source has it.
func (g *globalFlags) closureOptions(im *source.Image, opts closure.Options) (closure.Options, error) {
	cache, err := g.cache()
	if err != nil {
		return opts, err
	}
	opts.Cache, opts.Learned, opts.Refresh = cache, g.learner, g.verify
	if im.Nix != nil {
		opts.NixInfo = im.Nix.Info
	}
	return opts, nil
}

// closure returns an opened image's closure for a command that needs the
// index only through it (graph): when the cache holds the closure of
// these layers and options, without indexing the image at all (the index
// is read only if the closure must look a path up); else as
// buildClosure does.
func (g *globalFlags) closure(ctx context.Context, im *source.Image, stderr io.Writer, opts closure.Options) (*closure.Closure, error) {
	if err := g.learnClosure(); err != nil {
		return nil, err
	}
	iopts, err := g.indexOptions()
	if err != nil {
		return nil, err
	}
	if copts, err := g.closureOptions(im, opts); err == nil && analyze.Identify(im, iopts) {
		index := func() (*analyze.Index, error) { return g.index(ctx, im, stderr) }
		if cl, ok := closure.Cached(ctx, im, copts, index); ok {
			return cl, nil
		}
	}
	ix, err := g.index(ctx, im, stderr)
	if err != nil {
		return nil, err
	}
	cl, _, err := g.buildClosure(ctx, im, ix, opts)
	return cl, err
}

// checkEnv checks --env values: each NAME=value, the name not empty and
// free of blanks and control characters (a name no shell could set).
func checkEnv(env []string) error {
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" || strings.IndexFunc(k, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			return fmt.Errorf("--env %q: want NAME=value, the name without blanks or control characters", kv)
		}
	}
	return nil
}
