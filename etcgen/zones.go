package etcgen

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Go's time zone database, as $GOROOT/lib/time/zoneinfo.zip ships it (the
// data time/tzdata embeds, whose raw TZif bytes it does not export).
//
//go:generate sh -c "cp \"$(go env GOROOT)/lib/time/zoneinfo.zip\" zoneinfo.zip"
//go:embed zoneinfo.zip
var goZoneinfo []byte

// TimeZone is one zone of the zoneinfo database.
type TimeZone struct {
	// Name is the zone's name, as TZ takes it ("Europe/Riga").
	Name string `json:"name"`
	// Link is the zone this one is an alias of, when the image stores it
	// as a symlink ("UTC" → "Etc/UTC"); the file written is the target's.
	Link string `json:"link,omitempty"`
	// Size is the TZif file's size in bytes.
	Size int64 `json:"bytes"`
	// file is the real image path of the TZif data ("" for the fallback).
	file string
}

// zoneinfoDirs are the usual homes of the zoneinfo database.
var zoneinfoDirs = []string{"usr/share/zoneinfo", "usr/lib/zoneinfo", "usr/share/lib/zoneinfo"}

// zoneSkip are top-level names that are not zones of their own: the
// duplicate trees (posix/ is usually a symlink to ".", right/ holds the
// leap-second variants), the machine's own zone and the POSIX rules file.
var zoneSkip = map[string]bool{"posix": true, "right": true, "localtime": true, "posixrules": true}

// maxZoneDepth bounds the directory depth walked (real trees are 3 deep).
const maxZoneDepth = 6

// maxZoneFile bounds one TZif file.
const maxZoneFile = 1 << 20

type zoneLoader struct {
	im      *imageFS
	root    string // real path of the zoneinfo directory
	zones   []TimeZone
	skipped []Skipped
	magic   map[string]bool // real path → is TZif
}

// loadZones lists the zones of the image's zoneinfo directory, or nil when
// it has none.
func loadZones(im *imageFS) (zones []TimeZone, source string, skipped []Skipped, broken *sourceError) {
	var dir string
	for _, d := range zoneinfoDirs {
		if im.isDir(d) {
			dir = d
			break
		}
	}
	if dir == "" {
		if found := im.findInStore("share/zoneinfo", "tzdata", true); len(found) > 0 {
			dir = found[0]
		}
	}
	if dir == "" {
		return nil, "", nil, nil
	}
	real, err := im.resolve(dir)
	if err != nil {
		return nil, "", nil, &sourceError{path: "/" + dir, err: err}
	}
	zl := &zoneLoader{im: im, root: real, magic: map[string]bool{}}
	if err := zl.walk("", 0); err != nil {
		return nil, "", nil, &sourceError{path: "/" + dir, err: err}
	}
	sort.Slice(zl.zones, func(i, j int) bool { return zl.zones[i].Name < zl.zones[j].Name })
	return zl.zones, "/" + dir, zl.skipped, nil
}

func (zl *zoneLoader) walk(rel string, depth int) error {
	dir := zl.root
	if rel != "" {
		dir += "/" + rel
	}
	ents, err := fs.ReadDir(zl.im.fsys, dir)
	if err != nil {
		if rel == "" {
			return fmt.Errorf("reading /%s: %w", dir, err)
		}
		zl.skipped = append(zl.skipped, Skipped{Path: "/" + dir, Reason: err.Error()})
		return nil
	}
	for _, e := range ents {
		name := e.Name()
		zname := name
		if rel != "" {
			zname = rel + "/" + name
		}
		if rel == "" && zoneSkip[name] || strings.HasPrefix(name, ".") || !validZoneName(name) {
			continue
		}
		full := dir + "/" + name
		switch {
		case e.IsDir():
			if depth+1 < maxZoneDepth {
				if err := zl.walk(zname, depth+1); err != nil {
					return err
				}
			}
		case entryIsSymlink(e):
			target, fi, err := zl.im.stat(full)
			if err != nil {
				zl.skipped = append(zl.skipped, Skipped{Path: "/" + full, Reason: err.Error()})
				continue
			}
			if fi.IsDir() {
				// posix -> . and its kind: never followed.
				continue
			}
			if !fi.Mode().IsRegular() || !zl.isTZif(target, fi.Size()) {
				continue
			}
			z := TimeZone{Name: zname, Size: fi.Size(), file: target}
			if strings.HasPrefix(target, zl.root+"/") {
				z.Link = strings.TrimPrefix(target, zl.root+"/")
			}
			zl.zones = append(zl.zones, z)
		case e.Type().IsRegular():
			fi, err := e.Info()
			if err != nil {
				zl.skipped = append(zl.skipped, Skipped{Path: "/" + full, Reason: err.Error()})
				continue
			}
			if !zl.isTZif(full, fi.Size()) {
				continue
			}
			zl.zones = append(zl.zones, TimeZone{Name: zname, Size: fi.Size(), file: full})
		}
	}
	return nil
}

// isTZif reports whether the real path p holds TZif data (by its magic).
func (zl *zoneLoader) isTZif(p string, size int64) bool {
	if ok, seen := zl.magic[p]; seen {
		return ok
	}
	ok := false
	if size >= 44 && size <= maxZoneFile {
		if f, err := zl.im.fsys.Open(p); err == nil {
			var b [4]byte
			_, err := io.ReadFull(f, b[:])
			f.Close()
			ok = err == nil && string(b[:]) == "TZif"
		}
	}
	zl.magic[p] = ok
	return ok
}

// validZoneName accepts the characters tzdata uses in file names.
func validZoneName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '+' || c == '.') {
			return false
		}
	}
	return true
}

// fallbackZones lists the zones of Go's embedded database.
func fallbackZones() ([]TimeZone, error) {
	zr, err := zip.NewReader(bytes.NewReader(goZoneinfo), int64(len(goZoneinfo)))
	if err != nil {
		return nil, fmt.Errorf("reading the embedded zoneinfo.zip: %w", err)
	}
	var out []TimeZone
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		out = append(out, TimeZone{Name: f.Name, Size: int64(f.UncompressedSize64)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// fallbackZoneData returns a zone's TZif bytes from Go's database.
func fallbackZoneData(name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(goZoneinfo), int64(len(goZoneinfo)))
	if err != nil {
		return nil, err
	}
	f, err := zr.Open(name)
	if err != nil {
		return nil, fmt.Errorf("reading %s from the embedded zoneinfo.zip: %w", name, err)
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxZoneFile))
}

// zonePath is where a zone is written in the image.
func zonePath(name string) string { return path.Join("/usr/share/zoneinfo", name) }
