package testfix

import (
	"os"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// rootFS reads entries of an unpacked root filesystem by their path
// inside it: every symbolic link resolves inside the root (openat2's
// RESOLVE_IN_ROOT), never on the host.
type rootFS struct {
	fd int
}

func openRoot(dir string) (*rootFS, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &rootFS{fd: fd}, nil
}

func (r *rootFS) close() { unix.Close(r.fd) }

// exists says whether the entry p itself (not what a final link names)
// exists, its parents resolved inside the root.
func (r *rootFS) exists(p string) bool {
	fd, err := unix.Openat2(r.fd, strings.TrimPrefix(p, "/"), &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// readlink returns the target of the link p ("" when p is not a link).
func (r *rootFS) readlink(p string) string {
	dir, base := path.Split(path.Clean(p))
	fd, err := unix.Openat2(r.fd, strings.TrimPrefix(dir, "/")+".", &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := unix.Readlinkat(fd, base, buf)
	if err != nil {
		return ""
	}
	return string(buf[:n])
}

// chain returns the entries a lookup of p passes through inside the
// root: every symbolic link met on the way (a parent or the last name),
// and the entry it finally names, in order. Loops are cut after 40 links.
func (r *rootFS) chain(p string) []string {
	var out []string
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	cur := "/"
	for hops := 0; len(rest) > 0 && hops < 40; {
		part := rest[0]
		rest = rest[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, part)
		target := r.readlink(next)
		if target == "" {
			cur = next
			continue
		}
		hops++
		out = append(out, next)
		if strings.HasPrefix(target, "/") {
			cur = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return append(out, cur)
}

// MissingPaths returns the paths, out of traced (paths an app used in
// the source image, TracedPaths), every link on the way to them and their
// parent directories (a file made in /tmp needs /tmp), that
// exist in the source root but not in the trimmed root: what the trim
// lost that the app reached. Sorted.
func MissingPaths(traced []string, sourceRoot, trimRoot string) ([]string, error) {
	src, err := openRoot(sourceRoot)
	if err != nil {
		return nil, err
	}
	defer src.close()
	trim, err := openRoot(trimRoot)
	if err != nil {
		return nil, err
	}
	defer trim.close()
	seen := map[string]bool{}
	var missing []string
	for _, p := range traced {
		var check []string
		for _, q := range src.chain(p) {
			for d := path.Dir(q); d != "/"; d = path.Dir(d) {
				check = append(check, d)
			}
			check = append(check, q)
		}
		for _, q := range check {
			if seen[q] {
				continue
			}
			seen[q] = true
			if runtimeMount(q) {
				continue
			}
			if src.exists(q) && !trim.exists(q) {
				missing = append(missing, q)
			}
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// runtimeMount is what a runtime mounts over the image: not the image's
// to provide.
func runtimeMount(p string) bool {
	for _, m := range []string{"/proc", "/dev", "/sys"} {
		if p == m || strings.HasPrefix(p, m+"/") {
			return true
		}
	}
	return false
}
