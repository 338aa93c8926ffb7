package testfix

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// NixConfig is the configuration the Nix fixture builds with, passed in
// NIX_CONFIG on top of the machine's nix.conf: no sandbox (it needs user
// namespaces a container seldom grants), no build users (root builds as
// itself, so no nixbld group is needed), no substituters (no binary cache
// is reachable; asking one only waits for time-outs), and the nix-command
// feature for `nix path-info`.
const NixConfig = "sandbox = false\n" +
	"build-users-group =\n" +
	"substituters =\n" +
	"experimental-features = nix-command\n"

// NixEnv returns the environment for running nix commands in tests: the
// process environment with NIX_CONFIG set to NixConfig.
func NixEnv() []string {
	return append(os.Environ(), "NIX_CONFIG="+NixConfig)
}

// NixSplitOffset is where, in the file NixStore.SplitFile, the hash part of
// the reference begins: 16 bytes before the 64 KiB boundary, so a reader
// with 64 KiB buffers sees the first 16 characters in one buffer and the
// last 16 in the next.
const NixSplitOffset = 64<<10 - 16

// NixExpression is the fixture's Nix expression: derivations built by
// /bin/sh with no fetching and no nixpkgs, referring to one another in
// every way Nix detects a reference.
//
//   - leaf: a file; no references.
//   - content: an executable whose text names leaf and its own out path
//     (a self-reference).
//   - symlinks: references only through symlink targets (content, leaf).
//   - split: a file of spaces whose one reference (symlinks) has its hash
//     part across the 64 KiB boundary (at NixSplitOffset).
//   - zoneinfo: share/zoneinfo/posix -> . and two zone files.
//   - named: refers to zoneinfo only through a file name.
//   - multi: two outputs; out names leaf, dev links to out.
//   - top: names split, named and multi's dev output; the root.
const NixExpression = `let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
  };
in rec {
  leaf = mk "whittle-leaf" ''
    /bin/mkdir -p $out/lib
    printf 'leaf data, referring to nothing\n' > $out/lib/leaf.txt
  '';
  content = mk "whittle-content" ''
    /bin/mkdir -p $out/bin
    printf '#!/bin/sh\ncat ${leaf}/lib/leaf.txt\n# installed in %s\n' "$out" > $out/bin/tool
    /bin/chmod 755 $out/bin/tool
  '';
  symlinks = mk "whittle-symlinks" ''
    /bin/mkdir -p $out/bin
    /bin/ln -s ${content}/bin/tool $out/bin/tool
    /bin/ln -s ${leaf}/lib $out/lib
  '';
  split = mk "whittle-split" ''
    /bin/mkdir -p $out/data
    p=${symlinks}
    dir=''${p%/*}
    pad=$((65536 - 16 - ''${#dir} - 1))
    { printf "%''${pad}s" ""; printf '%s\n' "$p"; printf 'end\n'; } > $out/data/big
  '';
  zoneinfo = mk "whittle-zoneinfo" ''
    /bin/mkdir -p $out/share/zoneinfo/Europe
    printf 'TZif2 UTC\n' > $out/share/zoneinfo/UTC
    printf 'TZif2 Europe/Riga\n' > $out/share/zoneinfo/Europe/Riga
    /bin/ln -s . $out/share/zoneinfo/posix
  '';
  named = mk "whittle-named" ''
    z=${zoneinfo}
    /bin/mkdir -p $out/by-name
    : > "$out/by-name/''${z##*/}"
  '';
  multi = derivation {
    name = "whittle-multi";
    outputs = [ "out" "dev" ];
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" ''
      /bin/mkdir -p $out/lib $dev/include
      printf 'INPUT(${leaf}/lib/leaf.txt)\n' > $out/lib/libmulti.so
      printf '#include "%s/lib/libmulti.so"\n' "$out" > $dev/include/multi.h
      /bin/ln -s $out/lib $dev/lib
    '' ];
  };
  top = mk "whittle-top" ''
    /bin/mkdir -p $out/etc $out/bin
    printf '%s\n' ${split} ${named} ${multi.dev} > $out/etc/closure
    : > $out/etc/empty
    printf '#!/bin/sh\nexit 0\n' > $out/bin/run
    /bin/chmod 555 $out/bin/run
  '';
}
`

// NixAttrs are the fixture's attributes, in build order.
var NixAttrs = []string{"leaf", "content", "symlinks", "split", "zoneinfo", "named", "multi", "top"}

// NixStore describes the built Nix fixture.
type NixStore struct {
	// StoreDir is the store directory, normally /nix/store.
	StoreDir string
	// Out maps each attribute of NixExpression to its out path; multi's
	// second output is "multi-dev".
	Out map[string]string
	// SplitFile is the file of the split derivation whose reference has
	// its hash part at NixSplitOffset.
	SplitFile string
	// GCRoots is the directory holding the result links that keep the
	// paths from garbage collection.
	GCRoots string
}

// NixFixture builds NixExpression with nix-build (once per fixture
// directory; again if the store has lost the paths since) and returns
// what it made. It needs nix-build, nix-store and nix.
func NixFixture(t T) *NixStore {
	t.Helper()
	NeedTool(t, "nix-build", "nix-store", "nix-instantiate", "nix")
	return storeFixture(t, "nix fixture", "nix-store:"+NixExpression, buildNixFixture, readNixFixture)
}

// storeFixture builds a Nix fixture once per fixture directory (Build)
// and reads what it made; when the store has lost the paths since (wiped
// or collected), it builds again into the same directory (nix-build is
// idempotent).
func storeFixture[R any](t T, what, key string, build func(dir string) error, read func(dir string) (R, error)) R {
	t.Helper()
	dir := Build(t, key, build)
	out, err := read(dir)
	if err != nil {
		if err := build(dir); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if out, err = read(dir); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	return out
}

func buildNixFixture(dir string) error {
	expr := filepath.Join(dir, "fixture.nix")
	if err := os.WriteFile(expr, []byte(NixExpression), 0o644); err != nil {
		return err
	}
	for _, name := range nixOutNames() {
		// nix-build names the link of a non-default output LINK-OUTPUT.
		attr, link := name, name
		if base, output, ok := strings.Cut(name, "-"); ok {
			attr, link = base+"."+output, base
		}
		if _, err := runNix(dir, "nix-build", expr, "--attr", attr, "--out-link", filepath.Join(dir, link)); err != nil {
			return err
		}
	}
	out, err := runNix(dir, "nix-instantiate", "--eval", "--expr", "builtins.storeDir")
	if err != nil {
		return err
	}
	storeDir, err := strconv.Unquote(strings.TrimSpace(string(out)))
	if err != nil {
		return fmt.Errorf("reading the store directory from %q: %w", out, err)
	}
	return os.WriteFile(filepath.Join(dir, "store-dir"), []byte(storeDir), 0o644)
}

func readNixFixture(dir string) (*NixStore, error) {
	storeDir, err := os.ReadFile(filepath.Join(dir, "store-dir"))
	if err != nil {
		return nil, err
	}
	st := &NixStore{StoreDir: string(storeDir), Out: map[string]string{}, GCRoots: dir}
	for _, name := range nixOutNames() {
		p, err := os.Readlink(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(p); err != nil {
			return nil, fmt.Errorf("fixture path %s of %s: %w", p, name, err)
		}
		st.Out[name] = p
	}
	st.SplitFile = filepath.Join(st.Out["split"], "data", "big")
	return st, nil
}

// nixOutNames are the keys of NixStore.Out: the attributes, and
// "multi-dev" for multi's dev output.
func nixOutNames() []string {
	return append(append([]string(nil), NixAttrs...), "multi-dev")
}

// RunNix runs a nix command with NixEnv, returning its standard output;
// on failure the error holds standard error.
func RunNix(name string, args ...string) ([]byte, error) {
	return runNix("", name, args...)
}

func runNix(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = NixEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %v: %w\n%s", name, args, err, stderr.Bytes())
	}
	return out, nil
}
