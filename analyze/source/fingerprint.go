package source

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Fingerprint names the version of a layer's stored bytes without reading
// them: the identity of the local file that holds them (device, inode,
// size, modification time) and their extent in it. It is set
// for layers read from local files (docker-archive, oci, oci-archive,
// rootfs-tar), whose names or configs claim a content that nothing has
// checked yet: a layer cache may trust what it learnt of the bytes only
// while the fingerprint is the one it saw when it read them, or after
// hashing them again. ok is false when the source has none (a registry
// verifies digests itself) or the file cannot be stat'ed.
func (l *Layer) Fingerprint() (fp string, ok bool) {
	if l.fingerprint == nil {
		return "", false
	}
	fp, err := l.fingerprint()
	return fp, err == nil
}

// fileIdentity names the version of a file: another file (a copy, or one
// renamed over it) has another inode, a rewrite another modification
// time. (A rewrite in place that sets the time back, as a test may, is
// not seen: that takes the file's owner, who can change the cache too;
// --verify reads every blob.)
func fileIdentity(fi fs.FileInfo) string {
	s := fmt.Sprintf("size=%d mtime=%d", fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s += fmt.Sprintf(" dev=%d ino=%d", st.Dev, st.Ino)
	}
	return s
}

// pathFingerprint is the fingerprint of the whole file at p.
func pathFingerprint(p string) func() (string, error) {
	return func() (string, error) {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		return "file " + fileIdentity(fi), nil
	}
}

// memberFingerprint is the fingerprint of an archive member: the
// archive file's identity when it was opened and the member's extent.
func memberFingerprint(a *tarArchive, m *tarMember) func() (string, error) {
	return func() (string, error) {
		return fmt.Sprintf("archive %s member offset=%d size=%d", a.ident, m.offset, m.size), nil
	}
}
