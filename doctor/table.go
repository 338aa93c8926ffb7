package doctor

// Category is one row of the bloat table: payload nobody runs, found by
// image path globs, plan globs (internal/glob: "*" within a component,
// "**" across components). A visible regular file belongs to the first
// category, in table order, with a pattern it matches and no Except glob
// it matches; a file the closure reaches belongs to none (something the
// image runs opens it).
type Category struct {
	// ID is the finding kind ("bloat/docs").
	ID string
	// Explain says in one sentence why the files can go.
	Explain string
	// Patterns select the files.
	Patterns []Pattern
	// Except are globs of files the category never takes
	// (/usr/share/locale/locale.alias, which glibc reads).
	Except []string
}

// Pattern is one glob of a category. With Beside set, a file matches only
// when the file named like it with its extension replaced by Beside
// exists too (a .pyc beside its .py: without the source it is the code).
type Pattern struct {
	Glob   string
	Beside string
}

func globs(gs ...string) []Pattern {
	out := make([]Pattern, len(gs))
	for i, g := range gs {
		out[i] = Pattern{Glob: g}
	}
	return out
}

// store is the glob of every Nix store path.
const store = "/nix/store/*"

// Categories is the bloat table, in match order.
var Categories = []Category{
	{ID: "bloat/docs", Explain: "documentation (README, changelogs, copyright notices, info pages) that no program reads",
		Patterns: globs("/usr/share/doc/**", "/usr/local/share/doc/**", "/usr/share/info/**", "/usr/share/gtk-doc/**",
			"/usr/share/lintian/**", "/usr/share/bug/**", store+"/share/doc/**", store+"/share/info/**")},
	{ID: "bloat/man", Explain: "manual pages, read only by man, which a container does not run",
		Patterns: globs("/usr/share/man/**", "/usr/local/share/man/**", "/usr/local/man/**", store+"/share/man/**")},
	{ID: "bloat/locale-translations", Explain: "message translations (gettext catalogs) for languages the image's programs are not run in",
		Patterns: globs("/usr/share/locale/**", "/usr/local/share/locale/**", store+"/share/locale/**"),
		Except:   []string{"/usr/share/locale/locale.alias", store + "/share/locale/locale.alias"}},
	{ID: "bloat/i18n-sources", Explain: "locale and charmap sources, needed only to compile locales (localedef), not to use them",
		Patterns: globs("/usr/share/i18n/**", store+"/share/i18n/**")},
	{ID: "bloat/headers", Explain: "C and C++ headers, used only to compile against the libraries",
		Patterns: globs("/usr/include/**", "/usr/local/include/**", store+"/include/**")},
	{ID: "bloat/static-libs", Explain: "static libraries and libtool archives, used only to link new programs",
		Patterns: globs("/usr/lib/**/*.a", "/lib/**/*.a", "/usr/local/lib/**/*.a", store+"/lib/**/*.a",
			"/usr/lib/**/*.la", "/lib/**/*.la", "/usr/local/lib/**/*.la", store+"/lib/**/*.la")},
	{ID: "bloat/pkgconfig", Explain: "pkg-config and CMake package files, read only by build systems",
		Patterns: globs("/usr/lib/**/pkgconfig/**", "/usr/share/pkgconfig/**", "/usr/local/lib/**/pkgconfig/**",
			store+"/lib/pkgconfig/**", store+"/share/pkgconfig/**", "/usr/lib/**/cmake/**", store+"/lib/cmake/**")},
	{ID: "bloat/pycache", Explain: "compiled Python bytecode beside its source; Python recompiles it (in memory when it cannot write) at a small cost at startup",
		Patterns: []Pattern{{Glob: "/**/__pycache__/**"}, {Glob: "/**/*.pyc", Beside: ".py"}}},
	{ID: "bloat/apt-cache", Explain: "apt's package lists and downloaded .deb archives, needed only to install packages",
		Patterns: globs("/var/cache/apt/**", "/var/lib/apt/lists/**")},
	{ID: "bloat/pip-cache", Explain: "pip's download and wheel cache, needed only to install packages",
		Patterns: globs("/root/.cache/pip/**", "/home/*/.cache/pip/**", "/**/.cache/pip/**")},
	{ID: "bloat/npm-cache", Explain: "npm's and yarn's download caches, needed only to install packages",
		Patterns: globs("/root/.npm/**", "/home/*/.npm/**", "/**/.npm/_cacache/**", "/usr/local/share/.cache/yarn/**", "/**/.cache/yarn/**")},
	{ID: "bloat/apk-cache", Explain: "apk's downloaded package cache, needed only to install packages",
		Patterns: globs("/var/cache/apk/**", "/etc/apk/cache/**")},
	{ID: "bloat/package-manager", Explain: "package managers and their databases (apt, dpkg, debconf, apk, pip, setuptools), needed only to change the image, not to run it",
		Patterns: globs("/usr/bin/apt", "/usr/bin/apt-*", "/usr/lib/apt/**", "/usr/lib/*/libapt-*", "/usr/share/bash-completion/completions/apt*",
			"/usr/bin/dpkg", "/usr/bin/dpkg-*", "/usr/sbin/dpkg-*", "/var/lib/dpkg/**", "/usr/share/dpkg/**", "/var/log/dpkg.log", "/var/log/apt/**",
			"/usr/share/debconf/**", "/var/cache/debconf/**", "/usr/bin/debconf*", "/usr/share/perl5/Debconf/**",
			"/sbin/apk", "/lib/apk/**", "/usr/lib/apk/**",
			"/usr/bin/pip", "/usr/bin/pip3", "/usr/bin/pip3.*", "/usr/local/bin/pip", "/usr/local/bin/pip3", "/usr/local/bin/pip3.*",
			"/**/site-packages/pip/**", "/**/dist-packages/pip/**", "/**/site-packages/pip-*.dist-info/**",
			"/**/site-packages/setuptools/**", "/**/dist-packages/setuptools/**", "/**/site-packages/setuptools-*.dist-info/**",
			"/**/site-packages/pkg_resources/**", "/**/dist-packages/pkg_resources/**",
			"/nix/store/*-pip-*/**", "/nix/store/*-setuptools-*/**")},
	{ID: "bloat/compilers", Explain: "compilers and build tools (gcc, binutils, make, cmake, Go and Rust toolchains), needed only to build",
		Patterns: globs("/usr/bin/gcc", "/usr/bin/gcc-*", "/usr/bin/g++", "/usr/bin/g++-*", "/usr/bin/cc", "/usr/bin/c++", "/usr/bin/cpp", "/usr/bin/cpp-*",
			"/usr/bin/*-linux-gnu-gcc*", "/usr/bin/*-linux-gnu-g++*", "/usr/bin/*-linux-gnu-cpp*", "/usr/lib/gcc/**", "/usr/libexec/gcc/**",
			"/usr/bin/ld", "/usr/bin/ld.bfd", "/usr/bin/ld.gold", "/usr/bin/as", "/usr/bin/*-linux-gnu-ld*", "/usr/bin/*-linux-gnu-as",
			"/usr/bin/make", "/usr/bin/cmake", "/usr/share/cmake-*/**", "/usr/local/go/**", "/usr/lib/go-*/**", "/root/.rustup/**", "/root/.cargo/**",
			"/nix/store/*-gcc-*/**", "/nix/store/*-binutils-*/**")},
}
