package session

import (
	"bufio"
	"bytes"
	"context"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/text"
)

// standardDirs are the directories a container's programs expect to
// exist even empty: a trim keeps the source's, with their modes and
// owners (/tmp 1777). /var/run is usually a link to /run.
var standardDirs = []string{"/tmp", "/var/tmp", "/run", "/var/run", "/root"}

// runtimeDirs returns the paths of the source a trim keeps although
// nothing in them may be kept: the standard directories, the config's
// WorkingDir (and the directories on its way), and the home directory of
// the config's User.
func runtimeDirs(ctx context.Context, im *source.Image, ix *analyze.Index, cfg v1.Config) map[string]bool {
	out := map[string]bool{}
	add := func(p string) {
		if p == "" || p == "/" {
			return
		}
		p = path.Clean("/" + p)
		n, _, err := ix.Root.Resolve(p, imagefs.NoFollow)
		if err != nil || n == nil {
			return
		}
		out[n.Path()] = true
		if n.Entry.Type == analyze.TypeSymlink {
			// A link to a directory (/var/run -> /run): keep where it
			// leads too.
			if t, _, err := ix.Root.Resolve(p, imagefs.Follow); err == nil && t != nil && t.IsDir() {
				out[t.Path()] = true
			}
		}
	}
	for _, d := range standardDirs {
		add(d)
	}
	add(cfg.WorkingDir)
	if home := userHome(ctx, im, ix, cfg.User); home != "" {
		add(home)
	}
	return out
}

// userHome is the home directory of the config's User (a name or a uid,
// before any ":group") from the image's /etc/passwd; "" when unknown.
func userHome(ctx context.Context, im *source.Image, ix *analyze.Index, user string) string {
	name, _, _ := strings.Cut(user, ":")
	if name == "" {
		return ""
	}
	data, err := imagefs.ReadFile(analyze.NewFS(ctx, im, ix), "/etc/passwd", 1<<20)
	if err != nil {
		if _, err := strconv.Atoi(name); err != nil {
			return "/home/" + name
		}
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 6 {
			continue
		}
		if f[0] == name || f[2] == name {
			if f[5] == "/" || f[5] == "/nonexistent" {
				return ""
			}
			return f[5]
		}
	}
	return ""
}

// appDirs are the directories the closure keeps whole as the
// application's own (closure.SourceAppDir roots).
func appDirs(cl *closure.Closure) []string {
	if cl == nil {
		return nil
	}
	var out []string
	for _, r := range cl.Roots {
		if r.Source == closure.SourceAppDir {
			out = append(out, r.Path)
		}
	}
	return out
}

// withDefaults wraps keep so that a trim also keeps the runtime
// directories and the empty directories of the application's directories
// (an uploads/ of the app's tree; the others are kept by what they
// hold): the plan's own drops still win, drops that findings applied do
// not.
func withDefaults(drops globList, dirs map[string]bool, apps []string, keep func(*analyze.Node) bool) func(*analyze.Node) bool {
	return func(n *analyze.Node) bool {
		p := n.Path()
		implied := dirs[p]
		if !implied && n.IsDir() && len(n.Children) == 0 {
			for _, a := range apps {
				if p == a || strings.HasPrefix(p, a+"/") {
					implied = true
					break
				}
			}
		}
		if implied {
			return !drops.match(p)
		}
		return keep(n)
	}
}

// etcGenerated are the non-directory paths the plan's etc output
// writes: the closure leaves the image's own out for them.
func etcGenerated(out *etcgen.Output) []string {
	var paths []string
	for _, f := range out.Files {
		if f.Kind != reprotar.Dir {
			paths = append(paths, path.Clean("/"+f.Path))
		}
	}
	sort.Strings(paths)
	return paths
}

// Unknown is a place the closure could not see through: what runs or
// loads there is chosen at run time, so the trim may miss it. A keep: or
// a learn: command (a traced run) covers it.
type Unknown struct {
	// Kind is "dynamic-command", "dynamic-import" or "dlopen".
	Kind string `json:"kind"`
	// Path is the file where it happens.
	Path    string `json:"path"`
	Message string `json:"message"`
}

// unknownKinds are the closure problems that say the closure could not
// see through something.
var unknownKinds = []string{"dynamic-command", "dynamic-import", "dlopen"}

// unknowns lists the unknowns of what the trim keeps, in the closure's
// order.
func unknowns(cl *closure.Closure) []Unknown {
	out := []Unknown{}
	for _, pr := range cl.Problems {
		kind, ok := strings.CutPrefix(pr.Kind, "closure/")
		if !ok || !slices.Contains(unknownKinds, kind) {
			continue
		}
		if p := pr.Path(); p != "" {
			if id, ok := cl.Owner(p); ok && !cl.Analysis.Reachable(id) {
				continue
			}
		}
		out = append(out, Unknown{Kind: kind, Path: text.JSONString(pr.Path()), Message: text.JSONString(pr.Message)})
	}
	return out
}
