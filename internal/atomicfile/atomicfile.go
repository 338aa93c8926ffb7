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
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Mode is the permission a written file gets before the umask.
const Mode os.FileMode = 0o644

var (
	umaskOnce sync.Once
	umask     os.FileMode
)

// currentUmask reads the process umask once (syscall.Umask both sets and
// returns it, so it is set straight back).
func currentUmask() os.FileMode {
	umaskOnce.Do(func() {
		m := syscall.Umask(0)
		syscall.Umask(m)
		umask = os.FileMode(m)
	})
	return umask
}

// Write creates path with what fill writes to it, atomically: fill writes
// to a temporary file in path's directory, which is synced, given mode
// 0644 less the umask and renamed to path. On any error the temporary file
// is removed and path is left as it was. Errors name path.
func Write(path string, fill func(w io.Writer) error) error {
	return WriteMode(path, Mode, fill)
}

// WriteMode is Write with another permission (before the umask).
func WriteMode(path string, mode os.FileMode, fill func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
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
	if err := tmp.Chmod(mode &^ currentUmask()); err != nil {
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

// WriteFile writes b to path atomically (see Write).
func WriteFile(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// ReplaceDir creates or replaces the directory path with what fill puts in
// a temporary directory beside it (mode 0755 less the umask): once fill
// succeeds, the temporary directory is exchanged with path in one atomic
// rename (renameat2 RENAME_EXCHANGE; where the file system lacks it, the
// old tree is moved aside first) and the old tree removed. On any error the
// temporary directory is removed and path is left as it was.
func ReplaceDir(path string, fill func(tmpDir string) error) (err error) {
	path = filepath.Clean(path)
	tmp, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.RemoveAll(tmp) // after the exchange, the old tree
	if err := os.Chmod(tmp, 0o755&^currentUmask()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := fill(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err := os.Lstat(path); err == nil {
		err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, path, unix.RENAME_EXCHANGE)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("replacing %s: %w", path, err)
		}
		old := tmp + ".old"
		if err := os.Rename(path, old); err != nil {
			return fmt.Errorf("replacing %s: %w", path, err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
