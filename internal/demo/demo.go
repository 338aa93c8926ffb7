// Package demo builds whittle's built-in demo image (the demo: source): a
// deterministic image, generated in code, that has the problems whittle
// exists for.
//
//   - A Nix store closure: an application (hello-web) → its runtime
//     (python3) → glibc, OpenSSL, zlib, libffi, xz, bzip2, tzdata and the
//     CA bundle, plus glibc's locale archive. References between store
//     paths are real in the bytes, as Nix finds them: ELF interpreters,
//     DT_NEEDED and DT_RUNPATH, script shebangs, compiled-in paths and
//     symbolic links.
//   - tzdata's share/zoneinfo/posix and right are links to ".", which a
//     copy that follows links expands over and over.
//   - A full NixOS /etc: hundreds of links into an etc store path that
//     drags in systemd, linux-pam and iana-etc.
//   - A build layer with a compiler, binutils, pip, caches and manuals
//     that nothing references, and a cleanup layer that deletes some of
//     them (the bytes stay in the image), empties a directory, and
//     overwrites a file.
//   - An image config with a misspelt "Environment" next to "Env", so
//     SSL_CERT_FILE and TZ are never set; and no /tmp.
//
// The programs in it are never run: their code is pseudo-random filler of
// realistic size around real headers. Same name, same bytes, every run.
package demo

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// DefaultName is the name of the demo that "demo:" alone builds.
const DefaultName = "default"

// layerSpec is one layer of a demo: the command its history names, the
// store paths it adds (short names), whether it is the cleanup layer (see
// cleanup), and the function writing its files.
type layerSpec struct {
	createdBy  string
	storePaths []string
	cleanup    bool
	build      func(t *tree, s store) error
}

// variant is one demo image.
type variant struct {
	pkgs   []pkg
	layers []layerSpec
}

// demoPkgs are the store paths of the default demo and the store paths
// each one's files reference.
var demoPkgs = []pkg{
	{"glibc", "glibc", "2.39-52", nil},
	{"glibc-locales", "glibc-locales", "2.39-52", nil},
	{"openssl", "openssl", "3.0.14", []string{"glibc"}},
	{"zlib", "zlib", "1.3.1", []string{"glibc"}},
	{"libffi", "libffi", "3.4.6", []string{"glibc"}},
	{"xz", "xz", "5.4.6", []string{"glibc"}},
	{"bzip2", "bzip2", "1.0.8", []string{"glibc"}},
	{"tzdata", "tzdata", "2025c", nil},
	{"cacert", "nss-cacert", "3.101", nil},
	{"python3", "python3", "3.12.4", []string{"bzip2", "cacert", "glibc", "libffi", "openssl", "tzdata", "xz", "zlib"}},
	{"app", "hello-web", "1.4.2", []string{"glibc-locales", "python3", "tzdata"}},
	{"iana-etc", "iana-etc", "20240318", nil},
	{"linux-pam", "linux-pam", "1.6.1", []string{"glibc"}},
	{"systemd", "systemd", "255.6", []string{"glibc", "linux-pam"}},
	{"etc", "etc", "", []string{"app", "cacert", "glibc-locales", "iana-etc", "linux-pam", "python3", "systemd", "tzdata"}},
	{"gcc", "gcc", "13.2.0", []string{"glibc", "zlib"}},
	{"binutils", "binutils", "2.41", []string{"glibc", "zlib"}},
	{"pip", "python3.12-pip", "24.0", []string{"python3"}},
}

// variants are the demos by name.
var variants = map[string]variant{
	DefaultName: {
		pkgs: demoPkgs,
		layers: []layerSpec{
			{
				createdBy:  "COPY /nix/store /nix/store # buildkit",
				storePaths: []string{"app", "bzip2", "cacert", "glibc", "glibc-locales", "libffi", "openssl", "python3", "tzdata", "xz", "zlib"},
				build:      closureLayer,
			},
			{
				createdBy:  "COPY nixos-system/ / # buildkit",
				storePaths: []string{"etc", "iana-etc", "linux-pam", "systemd"},
				build:      func(t *tree, s store) error { nixosEtc(t, s); return nil },
			},
			{
				createdBy:  "RUN /bin/sh -c nix-env -iA nixpkgs.gcc13 nixpkgs.binutils nixpkgs.python312Packages.pip && pip install --user -r requirements.txt # buildkit",
				storePaths: []string{"binutils", "gcc", "pip"},
				build:      func(t *tree, s store) error { toolchain(t, s); return nil },
			},
			{
				createdBy: "RUN /bin/sh -c rm -rf /nix/store/*-gcc-13.2.0 /root/.cache /var/cache \"$PYTHONHOME/lib/python3.12/test\" && mkdir -p /var/cache/hello-web /var/lib/hello-web && install -m 0444 config.toml \"$APP/share/hello-web/config.toml\" # buildkit",
				cleanup:   true,
				build:     func(t *tree, s store) error { cleanupLayer(t, s); return nil },
			},
		},
	},
}

// closureLayer writes the application's closure.
func closureLayer(t *tree, s store) error {
	glibc(t, s)
	if err := glibcLocales(t, s); err != nil {
		return err
	}
	libraries(t, s)
	openssl(t, s)
	if err := tzdata(t, s); err != nil {
		return err
	}
	if _, err := cacert(t, s); err != nil {
		return err
	}
	python(t, s)
	app(t, s)
	return nil
}

// Names lists the demos Build knows, sorted.
func Names() []string {
	out := make([]string, 0, len(variants))
	for n := range variants {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func lookup(name string) (variant, string, error) {
	if name == "" {
		name = DefaultName
	}
	v, ok := variants[name]
	if !ok {
		return variant{}, "", fmt.Errorf("unknown demo image %q; known: %s", name, strings.Join(Names(), ", "))
	}
	return v, name, nil
}

// Build builds the demo image name ("" is DefaultName): its raw config
// and its layers as uncompressed tar streams, bottom layer first. The
// same name gives the same bytes on every run.
func Build(name string) (rawConfig []byte, layers [][]byte, err error) {
	b, err := build(name)
	if err != nil {
		return nil, nil, err
	}
	return b.config, b.tars, nil
}

// built is a built demo: the config, the layers' tars and the trees they
// were written from.
type built struct {
	config []byte
	tars   [][]byte
	trees  []*tree
}

func build(name string) (*built, error) {
	v, name, err := lookup(name)
	if err != nil {
		return nil, err
	}
	s := newStore(v.pkgs)
	// Layers are independent of one another: build them side by side.
	n := len(v.layers)
	b := &built{tars: make([][]byte, n), trees: make([]*tree, n)}
	errs := make([]error, n)
	commands := make([]string, n)
	var wg sync.WaitGroup
	for i, l := range v.layers {
		commands[i] = l.createdBy
		b.trees[i] = &tree{}
		wg.Go(func() {
			if err := l.build(b.trees[i], s); err != nil {
				errs[i] = fmt.Errorf("building layer %d of demo %s: %w", i+1, name, err)
				return
			}
			var err error
			if b.tars[i], err = b.trees[i].tar(); err != nil {
				errs[i] = fmt.Errorf("building layer %d of demo %s: %w", i+1, name, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if b.config, err = configJSON(s, b.tars, commands); err != nil {
		return nil, err
	}
	return b, nil
}
