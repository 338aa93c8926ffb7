package testfix

import (
	"fmt"
	"os"
	"path/filepath"
)

// NixGlibcMarker is what NixGlibcExpression's hello prints (followed by
// " 3", the square root of its argument count plus 8, so it calls libm).
const NixGlibcMarker = "whittle-hello"

// NixGlibcExpression is a Nix store the way Nix lays out a real
// system, made from the host's binaries with nix-build (builder /bin/sh,
// sandbox off, so the host's cc, ldd, tar and patchelf are reachable; no
// network, no nixpkgs):
//
//   - glibc: a copy of the host's ld.so, libc, libm, the NSS modules of
//     files and dns and the gconv directory, under $out/lib like Nix's
//     glibc. Nothing in it has a RUNPATH: libc and libm find what they need
//     among the objects already loaded, as in a real Nix glibc. libc.so.6
//     is runnable: its PT_INTERP is set to the store's ld.so, as Nix's
//     glibc build sets it (the host's copy names /lib64's).
//   - hello: a C program compiled here with the host's cc against the
//     store glibc (--dynamic-linker and -rpath into it), calling libm.
//   - python: the host's python3.11 with its interpreter and RUNPATH
//     rewritten to the store glibc and its own lib, its standard library
//     under $out/lib/python3.11 (the prefix is found from the binary's
//     location), less tests, idlelib, tkinter, ensurepip and lib2to3, and
//     the libraries the interpreter and its extension modules load beyond
//     glibc copied to $out/lib, each with a RUNPATH of $out/lib and
//     glibc's lib. Debian's sitecustomize.py, a link into /etc, is left
//     out.
//   - top: symlinks to hello and python3; the root.
const NixGlibcExpression = `let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
  };
in rec {
  glibc = mk "whittle-glibc" ''
    set -e
    export PATH=/usr/bin:/bin
    mkdir -p $out/lib
    for f in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libnss_files.so.2 libnss_dns.so.2; do
      cp -L /lib/x86_64-linux-gnu/$f $out/lib/$f
    done
    cp -r /usr/lib/x86_64-linux-gnu/gconv $out/lib/gconv
    chmod u+w $out/lib/libc.so.6
    patchelf --set-interpreter $out/lib/ld-linux-x86-64.so.2 $out/lib/libc.so.6
  '';
  hello = mk "whittle-hello" ''
    set -e
    export PATH=/usr/bin:/bin
    mkdir -p $out/bin
    cat > hello.c <<'EOF'
    #include <math.h>
    #include <stdio.h>
    int main(int argc, char **argv) { printf("` + NixGlibcMarker + ` %g\n", sqrt(argc + 8.0)); return 0; }
    EOF
    cc -O2 -o $out/bin/hello hello.c -lm -Wl,--dynamic-linker=${glibc}/lib/ld-linux-x86-64.so.2 -Wl,-rpath,${glibc}/lib
  '';
  python = mk "whittle-python" ''
    set -e
    export PATH=/usr/bin:/bin
    mkdir -p $out/bin $out/lib/python3.11
    cp /usr/bin/python3.11 $out/bin/python3.11
    ln -s python3.11 $out/bin/python3
    tar -C /usr/lib/python3.11 --exclude=__pycache__ --exclude=./test --exclude=./idlelib --exclude=./tkinter \
      --exclude=./ensurepip --exclude=./lib2to3 --exclude=./turtledemo --exclude=./config-3.11-x86_64-linux-gnu --exclude=./sitecustomize.py \
      --exclude='./lib-dynload/_test*' --exclude='./lib-dynload/xx*' -cf - . | tar -C $out/lib/python3.11 -xf -
    for so in $out/bin/python3.11 $out/lib/python3.11/lib-dynload/*.so; do
      ldd $so | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
    done | sort -u | while read lib; do
      case ''${lib##*/} in
        ld-linux*|libc.so.6|libm.so.6) ;;
        *) cp -L $lib $out/lib/ ;;
      esac
    done
    chmod -R u+w $out
    patchelf --set-interpreter ${glibc}/lib/ld-linux-x86-64.so.2 --set-rpath ${glibc}/lib:$out/lib $out/bin/python3.11
    for so in $out/lib/*.so* $out/lib/python3.11/lib-dynload/*.so; do
      patchelf --set-rpath $out/lib:${glibc}/lib $so
    done
  '';
  top = mk "whittle-glibc-top" ''
    /bin/mkdir -p $out/bin
    /bin/ln -s ${hello}/bin/hello $out/bin/hello
    /bin/ln -s ${python}/bin/python3 $out/bin/python3
  '';
}
`

// NixGlibcAttrs are NixGlibcExpression's attributes, in build order.
var NixGlibcAttrs = []string{"glibc", "hello", "python", "top"}

// NixGlibcFixture builds NixGlibcExpression with nix-build (once per
// fixture directory; again if the store has lost the paths since) and
// returns each attribute's out path. It needs nix, the host's cc, ldd,
// /usr/bin/python3.11 (its standard library in /usr/lib/python3.11) and
// patchelf.
func NixGlibcFixture(t T) map[string]string {
	t.Helper()
	NeedTool(t, "nix-build", "nix-store", "cc", "ldd", "patchelf")
	for _, f := range []string{"/usr/bin/python3.11", "/usr/lib/python3.11/os.py"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("nix glibc fixture: the host's Python 3.11 is needed: %v", err)
		}
	}
	return storeFixture(t, "nix glibc fixture", "nix-glibc:"+NixGlibcExpression, buildNixGlibc, readNixGlibc)
}

func buildNixGlibc(dir string) error {
	expr := filepath.Join(dir, "glibc.nix")
	if err := os.WriteFile(expr, []byte(NixGlibcExpression), 0o644); err != nil {
		return err
	}
	for _, attr := range NixGlibcAttrs {
		if _, err := runNix(dir, "nix-build", expr, "--attr", attr, "--out-link", filepath.Join(dir, attr)); err != nil {
			return err
		}
	}
	return nil
}

func readNixGlibc(dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, attr := range NixGlibcAttrs {
		p, err := os.Readlink(filepath.Join(dir, attr))
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(p); err != nil {
			return nil, fmt.Errorf("fixture path %s of %s: %w", p, attr, err)
		}
		out[attr] = p
	}
	return out, nil
}
