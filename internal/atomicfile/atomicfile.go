// Package atomicfile is whittle's one atomic writer: output goes to a
// temporary file beside the target and is renamed over it only once it is
// complete, so a failed or interrupted write never leaves half a file
// behind. Files end up with mode 0644 less the process umask, as a plain
// create would give them (os.CreateTemp alone gives 0600). It writes
// nothing outside the target's own directory.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/whittle-dev/whittle/internal/hosterr"
)

// Mode is the permission a written file gets before the umask.
const Mode os.FileMode = 0o644

// Write creates path with what fill writes to it, atomically: fill writes
// to a temporary file in path's directory, which is synced and renamed to
// path. The file gets mode 0644 less the umask. On any error the temporary
// file is removed and path is left as it was. Errors name path.
func Write(path string, fill func(w io.Writer) error) error {
	return WriteMode(path, Mode, fill)
}

// WriteMode is Write with another permission (before the umask).
func WriteMode(path string, mode os.FileMode, fill func(w io.Writer) error) (err error) {
	tmp, err := createTemp(path, mode)
	if err != nil {
		// The temporary file's name means nothing to the user: say only
		// why (errors.Is still finds fs.ErrNotExist and the like).
		return fmt.Errorf("writing %s: %w", path, hosterr.Describe(err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// createTemp creates a new file beside path with mode (the kernel applies
// the umask at creation, so the process umask is never read or changed,
// which would race with other goroutines creating files).
func createTemp(path string, mode os.FileMode) (*os.File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 10000 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode.Perm())
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("creating a temporary file in %s: %w", dir, fs.ErrExist)
}

// WriteFile writes b to path atomically (see Write).
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
