package plan

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/internal/hosterr"
)

// MaxFileSize is the largest plan file Load reads (a plan is kilobytes;
// learned edges make it larger, never megabytes).
const MaxFileSize = 16 << 20

// Load reads and parses the plan file at path. Errors name the file:
// "plan.yaml: line 7: layers.maxx: unknown key (did you mean "max"?)".
// Only a regular file of at most MaxFileSize bytes is read: a device
// (/dev/zero), a FIFO or a directory is an error at once, never a read
// without end or a wait for a writer. Relative local paths in source:,
// from: and outputs: (docker-archive:app.tar, oci:min, ./rootfs.tar)
// are resolved against the plan file's directory, as the plan's author
// meant them, not against the directory whittle runs in.
func Load(path string) (*Plan, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.ResolvePaths(filepath.Dir(path))
	return p, nil
}

// ReadFile returns the bytes of the plan file at path if it is a regular
// file of at most MaxFileSize bytes, for readers of a part of a plan
// (whittle etc --from-plan). It opens without blocking (a FIFO opens at
// once) and checks the file before reading a byte. Errors name path.
func ReadFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading the plan %s: %w", path, hosterr.Describe(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the plan %s: %w", path, hosterr.Describe(err))
	}
	switch {
	case fi.IsDir():
		return nil, fmt.Errorf("reading the plan %s: is a directory, not a plan file", path)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("reading the plan %s: not a regular file (%s)", path, fileKind(fi.Mode()))
	case fi.Size() > MaxFileSize:
		return nil, fmt.Errorf("reading the plan %s: %d bytes, more than the %d MiB a plan may have", path, fi.Size(), MaxFileSize>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the plan %s: %w", path, hosterr.Describe(err))
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("reading the plan %s: more than the %d MiB a plan may have", path, MaxFileSize>>20)
	}
	return b, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "not a file"
}

// pathTransports are the transports whose value is a local path, and
// whether a ":TAG" may follow it.
var pathTransports = map[string]bool{
	"docker-archive": true, "oci": true, "oci-archive": true,
	"dir": false, "rootfs-tar": false, "nix": false,
}

// ResolvePaths makes the relative local paths of the plan's source,
// from and outputs relative to dir instead (Load calls it with the plan
// file's directory). A bare reference ("app.tar", "./rootfs") is taken
// for a path when one exists there or it is spelt as one (./x, ../x,
// x.tar); otherwise it is a registry reference and left as it is.
func (p *Plan) ResolvePaths(dir string) {
	p.rebase(func(rel string) (string, bool) {
		return filepath.Join(dir, rel), true
	}, dir)
}

// rebase rewrites each relative local path of source, from and outputs
// with to; probe is the directory a bare reference is looked for in.
func (p *Plan) rebase(to func(rel string) (string, bool), probe string) {
	p.Source = rebaseRef(p.Source, to, probe)
	p.From = rebaseRef(p.From, to, probe)
	for i, o := range p.Outputs {
		p.Outputs[i] = rebaseRef(o, to, probe)
	}
}

func rebaseRef(ref string, to func(rel string) (string, bool), probe string) string {
	if ref == "" || strings.Contains(ref, "://") {
		return ref // docker://, and URL spellings of transports
	}
	head, rest, found := strings.Cut(ref, ":")
	if tagged, ok := pathTransports[head]; found && ok {
		p, tag := rest, ""
		if tagged {
			p, tag, _ = strings.Cut(rest, ":")
		}
		if p == "" || filepath.IsAbs(p) {
			return ref
		}
		np, ok := to(p)
		if !ok {
			return ref
		}
		out := head + ":" + np
		if tag != "" {
			out += ":" + tag
		}
		return out
	}
	if filepath.IsAbs(ref) {
		return ref
	}
	// A bare reference: a local path or a registry image.
	if _, err := os.Lstat(filepath.Join(probe, ref)); err != nil && !looksLikePath(ref) {
		return ref
	}
	np, ok := to(ref)
	if !ok {
		return ref
	}
	if !filepath.IsAbs(np) && !strings.HasPrefix(np, ".") {
		np = "./" + np // keep it a path, not a registry name
	}
	return np
}

// looksLikePath is source's rule for a bare reference spelt as a path.
func looksLikePath(s string) bool {
	if s == "." || s == ".." || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
		return true
	}
	for _, ext := range []string{".tar", ".tgz", ".tar.gz", ".tar.zst", ".tar.xz", ".tar.bz2", ".oci"} {
		if len(s) > len(ext) && strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}

// Write saves the plan to path atomically (see Save). The relative local
// paths of its source, from and outputs, which name files from the
// current directory, are written relative to path's directory, where
// Load will resolve them (or absolute, when that directory is not above
// them), so that the saved plan names the same files wherever it is.
func Write(path string, p *Plan) error {
	cwd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	base, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	q := *p
	q.Outputs = slices.Clone(p.Outputs)
	q.rebase(func(rel string) (string, bool) {
		abs := filepath.Join(cwd, rel)
		r, err := filepath.Rel(base, abs)
		if err != nil || r == ".." || strings.HasPrefix(r, "../") {
			return abs, true
		}
		return r, true
	}, cwd)
	b, err := Save(&q)
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	return atomicfile.WriteFile(path, b)
}
