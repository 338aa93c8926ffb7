package demo

import (
	"archive/tar"
	"path"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTarEntries(t *testing.T) {
	b := demoBuilt(t)
	for i, l := range b.tars {
		seen := map[string]bool{"/": true}
		prev := ""
		for _, e := range readTar(t, l) {
			p := e.path()
			if p <= prev {
				t.Errorf("layer %d: %s after %s: not sorted", i+1, p, prev)
			}
			prev = p
			if !seen[path.Dir(p)] {
				t.Errorf("layer %d: %s comes before its directory", i+1, p)
			}
			seen[p] = true
			h := e.hdr
			if !h.ModTime.Equal(time.Unix(0, 0)) || h.Uname != "" || h.Gname != "" {
				t.Errorf("layer %d: %s: mtime %v, owner names %q %q", i+1, p, h.ModTime, h.Uname, h.Gname)
			}
			owned := strings.HasPrefix(p, "/var/lib/hello-web")
			if (h.Uid != 0 || h.Gid != 0) != owned {
				t.Errorf("layer %d: %s owned by %d:%d", i+1, p, h.Uid, h.Gid)
			}
			switch h.Typeflag {
			case tar.TypeReg, tar.TypeDir, tar.TypeSymlink:
			default:
				t.Errorf("layer %d: %s has type %q", i+1, p, h.Typeflag)
			}
			if p == "/tmp" || strings.HasPrefix(p, "/tmp/") {
				t.Errorf("layer %d has %s; the demo has no /tmp", i+1, p)
			}
		}
	}
}

// TestCleanupLayer lists the last layer whole: whiteouts, the opaque
// marker, the overwritten file and the additions.
func TestCleanupLayer(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	var got []string
	for _, e := range readTar(t, b.tars[3]) {
		got = append(got, string(e.hdr.Typeflag)+" "+e.path())
	}
	gcc := path.Base(c.StorePaths["gcc"])
	want := []string{
		"5 /nix",
		"5 /nix/store",
		"0 /nix/store/.wh." + gcc,
		"5 " + c.App,
		"5 " + c.App + "/share",
		"5 " + c.App + "/share/hello-web",
		"0 " + c.App + "/share/hello-web/config.toml",
		"5 " + c.Runtime,
		"5 " + c.Runtime + "/lib",
		"5 " + c.Runtime + "/lib/python3.12",
		"0 " + c.Runtime + "/lib/python3.12/.wh.test",
		"5 /root",
		"0 /root/.wh..cache",
		"5 /var",
		"5 /var/cache",
		"0 /var/cache/.wh..wh..opq",
		"5 /var/cache/hello-web",
		"5 /var/lib",
		"5 /var/lib/hello-web",
		"0 /var/lib/hello-web/README",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layer 4 holds\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	merged := merge(t, b.tars)
	cfg := c.App + "/share/hello-web/config.toml"
	if string(merged[cfg].data) != appConfigOverride {
		t.Errorf("%s in the final image is %q, want the override", cfg, merged[cfg].data)
	}
	layer1 := map[string]entry{}
	for _, e := range readTar(t, b.tars[0]) {
		layer1[e.path()] = e
	}
	if string(layer1[cfg].data) != appConfig {
		t.Errorf("%s in layer 1 is %q, want the packaged config", cfg, layer1[cfg].data)
	}
	for _, gone := range []string{c.StorePaths["gcc"], "/root/.cache", "/var/cache/man", "/var/cache/fontconfig", c.Runtime + "/lib/python3.12/test"} {
		for p := range merged {
			if p == gone || strings.HasPrefix(p, gone+"/") {
				t.Errorf("%s is still in the final image", p)
			}
		}
	}
	if _, ok := merged["/var/cache/hello-web"]; !ok {
		t.Errorf("/var/cache/hello-web is not in the final image")
	}
}

func TestZoneinfoLinks(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	merged := merge(t, b.tars)
	for _, tc := range []struct{ path, target string }{
		{c.ZoneInfo + "/posix", "."},
		{c.ZoneInfo + "/right", "."},
		{c.ZoneInfo + "/US/Eastern", "../America/New_York"},
		{c.App + "/share/hello-web/zoneinfo", c.ZoneInfo},
		{c.Runtime + "/bin/python3", "python3.12"},
		{"/etc/static", c.EtcStatic},
		{"/etc/localtime", "/etc/zoneinfo/UTC"},
		{c.EtcStatic + "/zoneinfo", c.ZoneInfo},
		{c.EtcStatic + "/ssl/certs/ca-certificates.crt", c.CABundle},
	} {
		e, ok := merged[tc.path]
		if !ok || e.hdr.Typeflag != tar.TypeSymlink || e.hdr.Linkname != tc.target {
			t.Errorf("%s: want a link to %s", tc.path, tc.target)
		}
	}
	var zones []string
	for p, e := range merged {
		if rel, ok := strings.CutPrefix(p, c.ZoneInfo+"/"); ok && e.hdr.Typeflag != tar.TypeDir &&
			!strings.Contains(rel, ".") && rel != "posix" && rel != "right" && rel != "leapseconds" {
			zones = append(zones, rel)
			if e.hdr.Typeflag == tar.TypeReg && !strings.HasPrefix(string(e.data), "TZif") {
				t.Errorf("%s is not a TZif file", p)
			}
		}
	}
	if len(zones) != len(c.TimeZones) {
		t.Errorf("%d zones in the image, Describe lists %d", len(zones), len(c.TimeZones))
	}
}

// TestNixOSEtc checks /etc has the shape of a NixOS one: hundreds of
// entries, nearly all links through /etc/static.
func TestNixOSEtc(t *testing.T) {
	b := demoBuilt(t)
	merged := merge(t, b.tars)
	var entries, static, regular, dirs int
	for p, e := range merged {
		if !strings.HasPrefix(p, "/etc/") {
			continue
		}
		entries++
		switch {
		case e.hdr.Typeflag == tar.TypeSymlink && strings.HasPrefix(e.hdr.Linkname, "/etc/static/"):
			static++
			if _, ok := merged[e.hdr.Linkname]; ok {
				t.Errorf("%s -> %s: the target is not behind the /etc/static link", p, e.hdr.Linkname)
			}
		case e.hdr.Typeflag == tar.TypeReg:
			regular++
		case e.hdr.Typeflag == tar.TypeDir:
			dirs++
		}
	}
	if entries != 338 || static != 295 || regular != 12 || dirs != 28 {
		t.Errorf("/etc has %d entries: %d links into /etc/static, %d files, %d directories; want 338, 295, 12, 28", entries, static, regular, dirs)
	}
}
