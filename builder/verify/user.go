package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// ExecUser is who a command runs as: ids and the home directory.
type ExecUser struct {
	UID, GID int
	// Groups are the supplementary groups: those of the image's /etc/group
	// that list the user's name.
	Groups []int
	Home   string
}

// maxAccountFile bounds how much of /etc/passwd and /etc/group is read.
const maxAccountFile = 16 << 20

// ResolveUser turns an image config's User ("", "name", "uid",
// "name:group", "uid:gid", ...) into ids through the image's own
// /etc/passwd and /etc/group, read from fsys (the unpacked root) with the
// image's symlinks resolved inside it. As Docker does: "" is root; a
// numeric user that passwd lacks runs with gid 0 and home "/"; a user or
// group name that the files lack is an error naming it, in Docker's words
// ("unable to find user X: no matching entries in passwd file").
func ResolveUser(fsys fs.FS, spec string) (ExecUser, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	passwd, err := readAccounts(fsys, "/etc/passwd")
	if err != nil {
		return ExecUser{}, err
	}
	u := ExecUser{UID: -1, Home: "/"}
	name := ""
	uid, numeric := parseID(userPart)
	for _, f := range passwd {
		if len(f) < 7 {
			continue
		}
		id, ok := parseID(f[2])
		if !ok || (numeric && id != uid) || (!numeric && f[0] != userPart) {
			continue
		}
		u.UID, name, u.Home = id, f[0], f[5]
		u.GID, _ = parseID(f[3])
		if u.Home == "" {
			u.Home = "/"
		}
		break
	}
	switch {
	case u.UID < 0 && !numeric:
		return ExecUser{}, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
	case u.UID < 0:
		u.UID, u.GID = uid, 0
	}
	var groups [][]string
	if hasGroup || name != "" {
		if groups, err = readAccounts(fsys, "/etc/group"); err != nil {
			return ExecUser{}, err
		}
	}
	if hasGroup {
		gid, ok := parseID(groupPart)
		if !ok {
			gid = -1
			for _, f := range groups {
				if len(f) >= 3 && f[0] == groupPart {
					gid, _ = parseID(f[2])
					break
				}
			}
			if gid < 0 {
				return ExecUser{}, fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
			}
		}
		u.GID = gid
	}
	if name != "" {
		for _, f := range groups {
			if len(f) < 4 {
				continue
			}
			gid, ok := parseID(f[2])
			if !ok {
				continue
			}
			for _, m := range strings.Split(f[3], ",") {
				if m == name {
					u.Groups = append(u.Groups, gid)
					break
				}
			}
		}
	}
	return u, nil
}

// parseID reads a non-negative decimal id.
func parseID(s string) (int, bool) {
	n, err := strconv.ParseUint(s, 10, 31)
	return int(n), err == nil
}

// readAccounts reads a colon-separated account file of the image; a
// missing file has no entries.
func readAccounts(fsys fs.FS, p string) ([][]string, error) {
	b, err := imagefs.ReadFile(fsys, p, maxAccountFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the image's %s: %w", p, err)
	}
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out, nil
}
