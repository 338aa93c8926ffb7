package etcgen

import (
	"fmt"
	"strconv"
	"strings"
)

// Account is a user the catalog offers: those of the image's /etc/passwd,
// and distroless's root, nobody and nonroot for those of the three names
// the image lacks.
type Account struct {
	Name  string `json:"name"`
	UID   int    `json:"uid"`
	GID   int    `json:"gid"`
	Group string `json:"group"` // name of the primary group
	Gecos string `json:"gecos,omitempty"`
	Home  string `json:"home"`
	Shell string `json:"shell"`
	// Source is "built-in" for the distroless accounts, else the file.
	Source string `json:"source"`
}

// Distroless's accounts, the reference for a minimal image.
const (
	nologin     = "/sbin/nologin"
	nobodyID    = 65534
	nonrootID   = 65532
	builtinUser = "built-in"
)

// builtinAccounts are distroless's root, nobody and nonroot; root's shell
// is /bin/sh when the image has one.
func builtinAccounts(hasSh bool) []Account {
	rootShell := nologin
	if hasSh {
		rootShell = "/bin/sh"
	}
	return []Account{
		{Name: "root", UID: 0, GID: 0, Group: "root", Gecos: "root", Home: "/root", Shell: rootShell, Source: builtinUser},
		{Name: "nobody", UID: nobodyID, GID: nobodyID, Group: "nobody", Gecos: "nobody", Home: "/nonexistent", Shell: nologin, Source: builtinUser},
		{Name: "nonroot", UID: nonrootID, GID: nonrootID, Group: "nonroot", Gecos: "nonroot", Home: "/home/nonroot", Shell: nologin, Source: builtinUser},
	}
}

// mergeAccounts lists the built-in accounts in their order, each replaced
// by the image's account of the same name when it has one (its uid, gid,
// home and shell are what its files are owned by and run as), then the
// image's other accounts. As glibc does, the first line of a name wins.
func mergeAccounts(builtins, image []Account) []Account {
	first := map[string]int{}
	for i, a := range image {
		if _, ok := first[a.Name]; !ok {
			first[a.Name] = i
		}
	}
	out := make([]Account, 0, len(builtins)+len(image))
	used := map[int]bool{}
	for _, b := range builtins {
		if i, ok := first[b.Name]; ok {
			out = append(out, image[i])
			used[i] = true
			continue
		}
		out = append(out, b)
	}
	for i, a := range image {
		if !used[i] && first[a.Name] == i {
			out = append(out, a)
		}
	}
	return out
}

// parsePasswd reads /etc/passwd and /etc/group lines into accounts; lines
// that do not parse are skipped with the reason.
func parsePasswd(file string, passwd []byte, groups map[int]string) ([]Account, []Skipped) {
	var out []Account
	var skipped []Skipped
	for n, line := range strings.Split(string(passwd), "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 7 {
			skipped = append(skipped, Skipped{Path: file, Entry: fmt.Sprintf("line %d", n+1), Reason: fmt.Sprintf("%d fields, want 7", len(f))})
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || uid < 0 || gid < 0 || !validUserName(f[0]) {
			skipped = append(skipped, Skipped{Path: file, Entry: fmt.Sprintf("line %d", n+1), Reason: "bad name, uid or gid"})
			continue
		}
		g := groups[gid]
		if g == "" {
			g = f[0]
		}
		out = append(out, Account{Name: f[0], UID: uid, GID: gid, Group: g, Gecos: f[4], Home: f[5], Shell: f[6], Source: file})
	}
	return out, skipped
}

// parseGroup maps gid to group name from /etc/group (first name wins).
func parseGroup(data []byte) map[int]string {
	out := map[int]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), ":")
		if len(f) < 3 || !validUserName(f[0]) {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil || gid < 0 {
			continue
		}
		if _, ok := out[gid]; !ok {
			out[gid] = f[0]
		}
	}
	return out
}

// validUserName accepts the names useradd does (plus a trailing "$" for
// machine accounts): no colon, no white space, no slash, not empty.
func validUserName(s string) bool {
	if s == "" || len(s) > 256 || s == "." || s == ".." || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ':' || c == '/' || c == ',' {
			return false
		}
	}
	return true
}

// validPasswdField rejects what would break a passwd line.
func validPasswdField(s string) bool {
	return !strings.ContainsAny(s, ":\n\r")
}
