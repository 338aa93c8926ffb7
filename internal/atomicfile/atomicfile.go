// Package atomicfile is whittle's one atomic writer: output goes to a
// temporary file beside the target and is renamed over it only once it is
// complete, so a failed or interrupted write never leaves half a file
// behind. Files end up with mode 0644 less the process umask, as a plain
// create would give them (os.CreateTemp alone gives 0600). It writes
// nothing outside the target's own directory. ReadRegular is the reading
// side, for files whittle wrote itself (caches): it reads only regular
// files of bounded size, so a FIFO or a device put in their place is
// refused rather than waited on or read forever.
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
	"syscall"

	"github.com/whittle-dev/whittle/internal/hosterr"
	"golang.org/x/sys/unix"
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
func createTemp(path string, mode os.FileMode) (f *os.File, err error) {
	_, err = tempName(path, func(name string) error {
		f, err = os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode.Perm())
		return err
	})
	return f, err
}

// tempName calls create with new names beside path until one does not
// exist yet, and returns that name.
func tempName(path string, create func(name string) error) (string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 10000 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(uint64(rand.Uint32()), 10))
		err := create(name)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, err
	}
	return "", fmt.Errorf("creating a temporary file in %s: %w", dir, fs.ErrExist)
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
func ReplaceDir(path string, fill func(tmpDir string) error) error {
	path = filepath.Clean(path)
	tmp, err := tempName(path, func(name string) error { return os.Mkdir(name, 0o755) })
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, hosterr.Describe(err))
	}
	defer os.RemoveAll(tmp) // after the exchange, the old tree
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

// PrivateMode is the permission of the files of whittle's caches, which
// hold bytes of images (a 0600 /etc/shadow, a private key): the owner's
// alone, whatever the umask.
const PrivateMode os.FileMode = 0o600

// MkdirPrivate creates dir (and missing parents) with mode 0700 and
// tightens dir itself to 0700 when it exists with a looser mode, so that
// a cache directory made by an older version, or under a loose umask, is
// readable by its owner alone. Errors name dir.
func MkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, hosterr.Describe(err))
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("creating %s: %w", dir, hosterr.Describe(err))
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("making %s private: %w", dir, hosterr.Describe(err))
		}
	}
	return nil
}

// WritePrivate writes b to path atomically (see Write) with mode 0600,
// which the umask cannot loosen (it only clears bits).
func WritePrivate(path string, b []byte) error {
	return WriteMode(path, PrivateMode, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// ReadPrivate is ReadRegular for a cache file: a file readable by others
// (written by an older version, or copied in) is tightened to 0600
// before it is read, and one that cannot be tightened (another user's)
// is refused.
func ReadPrivate(p string, max int64) ([]byte, error) {
	return readRegular(p, max, true)
}

// Tighten makes the open file f private (0600) when its group or others
// may read or write it; an error means it could not be.
func Tighten(f *os.File, fi fs.FileInfo) error {
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	return f.Chmod(fi.Mode().Perm() &^ 0o077)
}

// ErrNotRegular is ReadRegular's error for a path that is not a regular
// file of at most the size asked (a FIFO, a device or a link to one, a
// directory, a file too large).
var ErrNotRegular = errors.New("not a regular file of the expected size")

// ReadRegular returns the whole content of the regular file at p, of at
// most max bytes. It never blocks on a FIFO (it opens without waiting
// for a writer) and never reads past max: anything else is ErrNotRegular.
func ReadRegular(p string, max int64) ([]byte, error) {
	return readRegular(p, max, false)
}

func readRegular(p string, max int64, private bool) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > max {
		return nil, fmt.Errorf("reading %s: %w", p, ErrNotRegular)
	}
	if private {
		if err := Tighten(f, fi); err != nil {
			return nil, fmt.Errorf("making %s private: %w", p, err)
		}
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return b, nil
}
