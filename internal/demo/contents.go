package demo

import (
	"sort"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Contents describes what a demo image holds and what is wrong with it on
// purpose, for tests and for packages that use the demo. It is derived
// from the same tables Build writes from, without building the image.
type Contents struct {
	// Name is the demo's name (DefaultName for "").
	Name string
	// StorePaths maps a short name ("python3", "app", "etc") to its store
	// path (/nix/store/<hash>-python3-3.12.4).
	StorePaths map[string]string
	// App is the application's store path; Runtime the interpreter's.
	App, Runtime string
	// Refs maps each store path to the store paths its files reference
	// (by content, symlink target or file name, as Nix scans), sorted,
	// itself left out.
	Refs map[string][]string
	// Closure is App's closure through Refs, App included, sorted.
	Closure []string
	// Unreachable are the store paths present in the final image that
	// App's closure does not include (the /etc layer's, the build
	// tools'), sorted.
	Unreachable []string
	// Deleted are store paths a layer adds and a later layer deletes:
	// their bytes are still shipped.
	Deleted []string
	// Layers describe the layers, bottom first.
	Layers []LayerInfo
	// Entrypoint, Cmd, Env, User and WorkingDir are the image config's.
	Entrypoint, Cmd, Env []string
	User, WorkingDir     string
	// MisspeltEnv is what the config's misspelt "Environment" key holds:
	// variables the author meant to set and no runtime does.
	MisspeltEnv []string
	// Locales are the locale-archive's names, locales and aliases, as
	// `localedef --list-archive` prints them.
	Locales []string
	// TimeZones are tzdata's zones (files and links), sorted.
	TimeZones []string
	// Certificates is the number of CA certificates in the bundle.
	Certificates int
	// LocaleArchive, CABundle and ZoneInfo are where the image holds
	// them; EtcStatic is the NixOS etc store path's directory /etc/static
	// points at.
	LocaleArchive, CABundle, ZoneInfo, EtcStatic string
	// Missing are paths a working container needs that the image lacks.
	Missing []string
}

// LayerInfo describes one layer.
type LayerInfo struct {
	// CreatedBy is the history's command for the layer.
	CreatedBy string
	// StorePaths are the store paths the layer adds, sorted.
	StorePaths []string
	// Deletes are the image paths the layer's whiteouts delete, Opaque
	// the directories it marks opaque, Overwrites the files of lower
	// layers it writes again; all sorted.
	Deletes, Opaque, Overwrites []string
}

// Describe returns the contents of demo name ("" is DefaultName).
func Describe(name string) (*Contents, error) {
	v, name, err := lookup(name)
	if err != nil {
		return nil, err
	}
	s := newStore(v.pkgs)
	rc := runtimeConfig(s)
	c := &Contents{
		Name:          name,
		StorePaths:    map[string]string{},
		App:           s.path("app"),
		Runtime:       s.path("python3"),
		Refs:          map[string][]string{},
		Entrypoint:    rc.Entrypoint,
		Cmd:           rc.Cmd,
		Env:           rc.Env,
		User:          rc.User,
		WorkingDir:    rc.WorkingDir,
		MisspeltEnv:   rc.Environment,
		Locales:       localeNames(),
		LocaleArchive: s.path("glibc-locales") + "/lib/locale/locale-archive",
		CABundle:      s.path("cacert") + "/etc/ssl/certs/ca-bundle.crt",
		ZoneInfo:      s.path("tzdata") + "/share/zoneinfo",
		EtcStatic:     s.path("etc") + "/etc",
		Missing:       []string{"/tmp"},
	}
	for _, short := range s.shorts() {
		p := s[short]
		c.StorePaths[short] = p.path()
		refs := []string{}
		for _, r := range p.refs {
			refs = append(refs, s.path(r))
		}
		sort.Strings(refs)
		c.Refs[p.path()] = refs
	}
	if c.TimeZones, err = zoneNames(); err != nil {
		return nil, err
	}
	for range bundle.Roots() {
		c.Certificates++
	}

	deleted := map[string]bool{}
	for _, l := range v.layers {
		li := LayerInfo{CreatedBy: l.createdBy}
		for _, short := range l.storePaths {
			li.StorePaths = append(li.StorePaths, s.path(short))
		}
		if l.cleanup {
			plan := cleanup(s)
			li.Deletes = append([]string(nil), plan.deletes...)
			li.Opaque = append([]string(nil), plan.opaque...)
			li.Overwrites = append([]string(nil), plan.overwrites...)
			for _, d := range plan.deletes {
				if _, ok := c.Refs[d]; ok {
					c.Deleted = append(c.Deleted, d)
					deleted[d] = true
				}
			}
		}
		for _, x := range [][]string{li.StorePaths, li.Deletes, li.Opaque, li.Overwrites} {
			sort.Strings(x)
		}
		c.Layers = append(c.Layers, li)
	}

	c.Closure = closureOf(c.Refs, c.App)
	in := map[string]bool{}
	for _, p := range c.Closure {
		in[p] = true
	}
	for _, p := range c.StorePaths {
		if !in[p] && !deleted[p] {
			c.Unreachable = append(c.Unreachable, p)
		}
	}
	sort.Strings(c.Unreachable)
	sort.Strings(c.Deleted)
	return c, nil
}

// closureOf returns root and every store path reachable from it, sorted.
func closureOf(refs map[string][]string, root string) []string {
	seen := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, r := range refs[p] {
			if !seen[r] {
				seen[r] = true
				queue = append(queue, r)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
