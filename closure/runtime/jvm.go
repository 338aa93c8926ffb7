package runtime

import (
	"path"
	"strings"
)

// Node built with externalized builtins (Debian's libnode) reads them
// from the files its build names at start-up.
//
// The JVM finds its own files from where its launcher or libjvm lies (the
// Java home: bin/java's parent's parent), not through the loader: lib/
// (the modules image, jvm.cfg, libjvm.so and the libraries it dlopens by
// name, tzdb.dat, security/cacerts), conf/ (java.security, logging and
// net properties) and the release file. JAVA_HOME in the Env names a home
// the image's scripts run java from.
func init() {
	table = append(table, &Rule{
		Name: "node-builtins", Explain: "a builtin module Node loads at start-up from a file (a Debian libnode's externalized builtins)",
		match: func(o Object) bool { return o.Facts != nil && len(o.Facts.NodeBuiltins) > 0 },
		targets: func(in *Input, o Object) []target {
			return to(o.Facts.NodeBuiltins...)
		},
	}, &Rule{
		Name: "jvm-home", Explain: "the Java home the JVM loads its class library, libraries and configuration from",
		match: isJVM,
		targets: func(in *Input, o Object) []target {
			var out []target
			homes := []string{javaHome(o.Path)}
			if h := in.Env["JAVA_HOME"]; strings.HasPrefix(h, "/") {
				homes = append(homes, path.Clean(h))
			}
			for _, h := range homes {
				if h == "" || !(exists(in.FS, h+"/lib/modules") || exists(in.FS, h+"/lib/jvm.cfg") || exists(in.FS, h+"/lib/rt.jar")) {
					continue
				}
				out = append(out, to(h+"/lib", h+"/conf", h+"/release")...)
			}
			return out
		},
	})
}

// isJVM picks the java launcher and libjvm.
func isJVM(o Object) bool {
	b := path.Base(o.Path)
	return b == "java" || o.Soname == "libjvm.so" || b == "libjvm.so" || b == "libjli.so"
}

// javaHome is the Java home of a launcher (HOME/bin/java), libjli
// (HOME/lib/libjli.so) or libjvm (HOME/lib/server/libjvm.so, Java 8's
// HOME/lib/amd64/server/libjvm.so).
func javaHome(p string) string {
	d := path.Dir(p)
	switch path.Base(p) {
	case "java", "libjli.so":
		return path.Dir(d)
	}
	for i := 0; i < 3 && d != "/"; i++ {
		d = path.Dir(d)
		if path.Base(d) != "lib" && path.Base(path.Dir(d)) != "lib" {
			return d
		}
	}
	return ""
}
