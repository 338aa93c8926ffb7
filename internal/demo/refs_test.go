package demo

import (
	"archive/tar"
	"bytes"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// storePathOf returns the store path an image path lies in ("" if none).
func storePathOf(p string) string {
	if !strings.HasPrefix(p, StoreDir+"/") {
		return ""
	}
	rest := p[len(StoreDir)+1:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	if strings.HasPrefix(rest, ".wh.") {
		return ""
	}
	return StoreDir + "/" + rest
}

// scanRefs finds, as Nix does when it registers a path, which of the
// known store paths the entries of each store path refer to: by the hash
// part anywhere in a file's bytes, a symlink's target or an entry's name.
// Self-references are left out. This is the test's own scanner,
// independent of whittle's closure code.
func scanRefs(entries []entry, known []string) map[string][]string {
	found := map[string]map[string]bool{}
	for _, e := range entries {
		owner := storePathOf(e.path())
		if owner == "" {
			continue
		}
		if found[owner] == nil {
			found[owner] = map[string]bool{}
		}
		name := strings.TrimPrefix(e.path(), owner)
		for _, k := range known {
			h := []byte(k[len(StoreDir)+1 : len(StoreDir)+1+32])
			if bytes.Contains(e.data, h) || strings.Contains(e.hdr.Linkname, string(h)) || strings.Contains(name, string(h)) {
				found[owner][k] = true
			}
		}
	}
	out := map[string][]string{}
	for owner, set := range found {
		refs := []string{}
		for k := range set {
			if k != owner {
				refs = append(refs, k)
			}
		}
		sort.Strings(refs)
		out[owner] = refs
	}
	return out
}

func TestStorePathReferences(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	var known []string
	for _, p := range c.StorePaths {
		known = append(known, p)
	}
	sort.Strings(known)

	// Every file any layer ships, deleted later or not.
	var all []entry
	for _, l := range b.tars {
		all = append(all, readTar(t, l)...)
	}
	got := scanRefs(all, known)
	if !reflect.DeepEqual(got, c.Refs) {
		for _, p := range known {
			if !reflect.DeepEqual(got[p], c.Refs[p]) {
				t.Errorf("%s refers to\n  %q\nwant\n  %q", p, got[p], c.Refs[p])
			}
		}
	}

	// The final file system: the deleted store paths are gone, the
	// others refer to the same paths as before.
	merged := merge(t, b.tars)
	var final []entry
	for _, e := range merged {
		final = append(final, e)
	}
	gotFinal := scanRefs(final, known)
	var present []string
	for p := range gotFinal {
		present = append(present, p)
		if !reflect.DeepEqual(gotFinal[p], c.Refs[p]) {
			t.Errorf("in the final image %s refers to %q, want %q", p, gotFinal[p], c.Refs[p])
		}
	}
	sort.Strings(present)
	want := append(append([]string(nil), c.Closure...), c.Unreachable...)
	sort.Strings(want)
	if !reflect.DeepEqual(present, want) {
		t.Errorf("store paths in the final image\n  %q\nwant closure + unreachable\n  %q", present, want)
	}
	for _, d := range c.Deleted {
		if _, ok := gotFinal[d]; ok {
			t.Errorf("%s is deleted but still in the final image", d)
		}
	}
}

func TestLayerStorePaths(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	for i, l := range b.tars {
		set := map[string]bool{}
		for _, e := range readTar(t, l) {
			if p := storePathOf(e.path()); p != "" && e.hdr.Typeflag != tar.TypeDir {
				set[p] = true
			}
		}
		var got []string
		for p := range set {
			got = append(got, p)
		}
		sort.Strings(got)
		want := c.Layers[i].StorePaths
		if i == 3 {
			// The cleanup layer adds no store path; it writes a file
			// into the application's and a whiteout into the runtime's.
			want = []string{c.App, c.Runtime}
		}
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("layer %d writes into %q, want %q", i+1, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	c := demoContents(t)
	short := map[string]string{}
	for k, p := range c.StorePaths {
		short[p] = k
	}
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, short[p])
		}
		sort.Strings(out)
		return out
	}
	for _, tc := range []struct {
		what string
		got  []string
		want []string
	}{
		{"closure", names(c.Closure), []string{"app", "bzip2", "cacert", "glibc", "glibc-locales", "libffi", "openssl", "python3", "tzdata", "xz", "zlib"}},
		{"unreachable", names(c.Unreachable), []string{"binutils", "etc", "iana-etc", "linux-pam", "pip", "systemd"}},
		{"deleted", names(c.Deleted), []string{"gcc"}},
		{"layer 1", names(c.Layers[0].StorePaths), []string{"app", "bzip2", "cacert", "glibc", "glibc-locales", "libffi", "openssl", "python3", "tzdata", "xz", "zlib"}},
		{"layer 2", names(c.Layers[1].StorePaths), []string{"etc", "iana-etc", "linux-pam", "systemd"}},
		{"layer 3", names(c.Layers[2].StorePaths), []string{"binutils", "gcc", "pip"}},
		{"layer 4 deletes", c.Layers[3].Deletes, []string{c.Runtime + "/lib/python3.12/test", c.StorePaths["gcc"], "/root/.cache"}},
		{"layer 4 opaque", c.Layers[3].Opaque, []string{"/var/cache"}},
		{"layer 4 overwrites", c.Layers[3].Overwrites, []string{c.App + "/share/hello-web/config.toml"}},
		{"entrypoint", c.Entrypoint, []string{c.App + "/bin/hello-web"}},
		{"misspelt env", c.MisspeltEnv, []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt", "TZ=Europe/Riga", "TZDIR=" + c.ZoneInfo}},
		{"missing", c.Missing, []string{"/tmp"}},
		{"locales", c.Locales, []string{"C.utf8", "de_DE", "de_DE.iso88591", "de_DE.utf8", "en_US", "en_US.iso88591", "en_US.utf8", "ja_JP", "ja_JP.eucjp", "ja_JP.utf8", "lv_LV.utf8"}},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.what, tc.got, tc.want)
		}
	}
	if len(c.StorePaths) != 18 || len(c.TimeZones) != 41 || c.App != c.StorePaths["app"] || c.Runtime != c.StorePaths["python3"] {
		t.Errorf("%d store paths, %d zones, app %s, runtime %s", len(c.StorePaths), len(c.TimeZones), c.App, c.Runtime)
	}
}
