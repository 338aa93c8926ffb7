// Command appsmoke runs the application images of the test fixtures by
// hand: it builds them, smoke-runs an image (the source or a trim) as a
// container runtime would, and lists what a trim lost that the app used.
//
//	appsmoke build DIR                  build the images, link DIR/<app>.tar
//	appsmoke run [-app A] [-trace F] IMAGE
//	appsmoke missing [-app A] SOURCE TRIM
//
// IMAGE is docker-archive:PATH, oci:DIR, oci-archive:PATH or a bare path.
// The app (its probe and the line a working run prints) is -app, or the
// image file's base name (nginx.tar, nginx-trim/...). run exits 0 when the
// output holds the app's line, 1 when not, 2 on error. It needs root.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/whittle-dev/whittle/internal/testfix"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	code := 0
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "run":
		code, err = run(os.Args[2:])
	case "missing":
		err = missing(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "appsmoke:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: appsmoke build DIR
       appsmoke run [-app NAME] [-trace FILE] IMAGE
       appsmoke missing [-app NAME] SOURCE TRIM`)
	os.Exit(2)
}

// fatalT is what the fixture builders need of a test, for a program.
type fatalT struct{}

func (fatalT) Helper() {}
func (fatalT) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "appsmoke: "+format+"\n", args...)
	os.Exit(2)
}
func (fatalT) Skipf(format string, args ...any) { fatalT{}.Fatalf(format, args...) }

func build(args []string) error {
	if len(args) != 1 {
		usage()
	}
	dir := testfix.AppArchives(fatalT{})
	if err := os.MkdirAll(args[0], 0o755); err != nil {
		return err
	}
	for _, a := range testfix.AppImages {
		dst := filepath.Join(args[0], a.Name+".tar")
		os.Remove(dst)
		if err := os.Link(filepath.Join(dir, a.Name+".tar"), dst); err != nil {
			return fmt.Errorf("linking %s: %w", a.Name, err)
		}
		fmt.Println(dst)
	}
	return nil
}

// appOf finds the app of an image: by name, or by the image's file name.
func appOf(name, image string) (*testfix.App, error) {
	if name != "" {
		if a := testfix.AppByName(name); a != nil {
			return a, nil
		}
		return nil, fmt.Errorf("no app %q", name)
	}
	_, p, ok := strings.Cut(image, ":")
	if !ok {
		p = image
	}
	base := filepath.Base(strings.TrimRight(p, "/"))
	for _, a := range testfix.AppImages {
		if strings.HasPrefix(base, a.Name) {
			return a, nil
		}
	}
	return nil, fmt.Errorf("which app is %s? say -app NAME", image)
}

func run(args []string) (int, error) {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	appName := fs.String("app", "", "the app (default: from the image's file name)")
	trace := fs.String("trace", "", "write strace -f -e trace=%file of the run to this file")
	fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	image := fs.Arg(0)
	app, err := appOf(*appName, image)
	if err != nil {
		return 2, err
	}
	res, err := testfix.SmokeImage(image, testfix.SmokeOptions{Probe: app.Probe, Trace: *trace})
	if err != nil {
		return 2, err
	}
	fmt.Fprintf(os.Stderr, "ran %q as %d:%d in %s with %q\n", res.Args, res.UID, res.GID, res.Cwd, res.Env)
	fmt.Print(res.Output)
	if !strings.Contains(res.Output, app.Want) {
		fmt.Fprintf(os.Stderr, "FAIL %s: the output lacks %q\n", app.Name, app.Want)
		if app.Probe != nil && res.Stderr != "" {
			fmt.Fprintf(os.Stderr, "server stderr:\n%s\n", res.Stderr)
		}
		return 1, nil
	}
	fmt.Fprintf(os.Stderr, "PASS %s\n", app.Name)
	return 0, nil
}

func missing(args []string) error {
	fs := flag.NewFlagSet("missing", flag.ExitOnError)
	appName := fs.String("app", "", "the app (default: from the source's file name)")
	fs.Parse(args)
	if fs.NArg() != 2 {
		usage()
	}
	app, err := appOf(*appName, fs.Arg(0))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "appsmoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	traceFile := filepath.Join(tmp, "trace")
	// The source is unpacked once (in the fixture dir) and run over an
	// overlay, so it stays pristine for the comparison.
	src := testfix.CachedRootfs(fatalT{}, fs.Arg(0))
	res, err := testfix.SmokeUnpacked(src, true, testfix.SmokeOptions{Probe: app.Probe, Trace: traceFile})
	if err != nil {
		return err
	}
	if !strings.Contains(res.Output, app.Want) {
		fmt.Fprintf(os.Stderr, "warning: the source itself fails:\n%s\n", res.Output)
	}
	traced, err := testfix.TracedPaths(traceFile, res.Cwd)
	if err != nil {
		return err
	}
	trim, err := testfix.UnpackImage(fs.Arg(1), tmp)
	if err != nil {
		return err
	}
	lost, err := testfix.MissingPaths(traced, src.Rootfs, trim.Rootfs)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d paths used in the source, %d of them (or links on the way) lost by the trim:\n", len(traced), len(lost))
	for _, p := range lost {
		fmt.Println(p)
	}
	return nil
}
