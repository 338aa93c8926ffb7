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
	"github.com/whittle-dev/whittle/internal/suggest"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/session"
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
  rootfs-tar:PATH          a root file system tarball (gzip, zstd, xz, bzip2 or plain)
  demo:                    the built-in demo image (the default)
A bare local path is recognised by its content.

whittle REF opens the interactive app on an image (see tui); with no
command on a terminal, on the demo image.`,
		Args:          rootArgs,
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

// sessionOptions are the session.Options the flags ask for.
func (g *globalFlags) sessionOptions() (session.Options, error) {
	opts, err := g.openOptions()
	if err != nil {
		return session.Options{}, err
	}
	cache, err := g.cache()
	return session.Options{Open: opts, Cache: cache, Refresh: g.verify}, err
}

// asks is what a command will ask of its session, so that the index pass
// learns only for that.
type asks int

const (
	asksIndex    asks = iota // the index alone
	asksClosure              // one closure
	asksFindings             // one closure and its findings
)

// open opens ref in a session, showing its progress on a terminal's
// stderr. The caller closes the session.
func (g *globalFlags) open(ctx context.Context, ref string, stderr io.Writer, a asks) (*session.Session, error) {
	opts, err := g.sessionOptions()
	if err != nil {
		return nil, err
	}
	// A command is one question: one that asks a closure asks one.
	opts.IndexOnly, opts.NoFindings, opts.OneClosure = a == asksIndex, a != asksFindings, a != asksIndex
	progress := g.progress(stderr, ref)
	opts.Progress = func(p session.Progress) { progress(describeProgress(p)) }
	return session.Open(ctx, ref, opts)
}

// describeProgress is the status line of a session's step.
func describeProgress(p session.Progress) string {
	switch p.Stage {
	case "":
		return ""
	case "opening":
		return "opening"
	case "indexing":
		return fmt.Sprintf("reading layers %d/%d", p.Done, p.Total)
	case "closure":
		return "computing the closure"
	case "findings":
		return "judging"
	case "etc":
		return "reading /etc"
	}
	return p.Stage
}

// openAndIndex opens ref in a session and indexes it (see open). The
// caller closes the session.
func (g *globalFlags) openAndIndex(ctx context.Context, ref string, stderr io.Writer, a asks) (*session.Session, *analyze.Index, error) {
	s, err := g.open(ctx, ref, stderr, a)
	if err != nil {
		return nil, nil, err
	}
	ix, err := s.Index(ctx)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, ix, nil
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

// closure returns the session's closure for opts, with an error for a
// --roots entry that names the flag and the image. When the cache holds
// the closure, the image is not even indexed.
func (g *globalFlags) closure(ctx context.Context, s *session.Session, opts closure.Options) (*closure.Closure, error) {
	cl, err := s.Closure(ctx, opts)
	var rootErr *closure.RootError
	if errors.As(err, &rootErr) {
		return nil, fmt.Errorf("--roots (image %s): %w", s.Image().Ref, rootErr.Err)
	}
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

// atLeast checks a count flag's value: "--top: want at least 1, got -3"
// (plan.Flags' words for --max-layers).
func atLeast(flag string, v, least int) error {
	if v < least {
		return fmt.Errorf("--%s: want at least %d, got %d", flag, least, v)
	}
	return nil
}

// rootArgs checks the root command's arguments: at most one image
// reference. A first word that is no reference but a command mistyped
// ("audti", or "graf" alone) is said to be one, with the command meant:
// two words always are (the root takes one), one only at a single edit
// from a command and with no sign of a reference (":", "/", ".", "@", a
// file of that name); docker://NAME still opens an image so named.
func rootArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && !strings.ContainsAny(args[0], ":/.@") {
		if _, err := os.Stat(args[0]); err != nil {
			var names []string
			for _, c := range cmd.Commands() {
				names = append(names, c.Name())
			}
			close := suggest.Closest(args[0], names, 3)
			near := len(close) > 0 && len(args[0]) >= 4 && suggest.Distance(strings.ToLower(args[0]), close[0]) <= 1
			if len(args) > 1 || near {
				hint := suggest.Hint(args[0], names)
				if len(args) == 1 {
					hint += "; an image of that name: docker://" + args[0]
				}
				return fmt.Errorf("unknown command %q%s", text.Escape(args[0]), hint)
			}
		}
	}
	return cobra.MaximumNArgs(1)(cmd, args)
}
