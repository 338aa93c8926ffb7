// Package finding is whittle's one shape for "something a person should
// know about this image": a stable kind, a severity, the paths involved,
// the bytes at stake, a sentence that explains it and the change that fixes
// it. The index merge, the closure, etcgen and the config checks produce
// findings; the audit, the graph, doctor and the TUI print the same values.
// It holds data and ordering only: it never reads images and never prints.
package finding

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/internal/text"
)

// Severity says how much a finding matters.
type Severity string

// Severities, most severe first.
const (
	// Error: the image will fail at run time, or cannot be read as written.
	Error Severity = "error"
	// Warning: suspicious, likely wrong, or costing bytes for nothing.
	Warning Severity = "warning"
	// Info: worth knowing; nothing to fix.
	Info Severity = "info"
)

// Rank orders severities: 0 for Error, 1 for Warning, 2 for Info, 3 for
// anything else.
func (s Severity) Rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	case Info:
		return 2
	}
	return 3
}

// Finding is one thing to know about an image. Kind is a stable
// identifier, "family/name" ("tar/climbs-out", "link/missing-target",
// "config/unknown-key", "closure/missing-library", "etc/locale-charset"),
// that plans and --ignore may name; the family is the part before the
// slash. Paths are image paths ("/usr/bin/x") or package and store path
// names; Layer is one-based (0: not about one layer). Bytes is what is at
// stake (reclaimable for bloat), 0 when nothing is. Message is one
// sentence naming what is wrong; Fix, when known, says what to change.
// Names inside the strings are raw: printers escape them.
type Finding struct {
	Kind     string   `json:"kind"`
	Severity Severity `json:"severity"`
	Paths    []string `json:"paths,omitempty"`
	Layer    int      `json:"layer,omitempty"`
	Bytes    int64    `json:"bytes,omitempty"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	// Change is the plan change that acts on the finding, when one does
	// (nil otherwise): what the builder and the TUI apply.
	Change *Change `json:"change,omitempty"`
}

// Change is a change to a build plan (builder/plan.Plan) that acts on a
// finding: path globs to drop ("/usr/share/doc/**"), choices for the
// generated /etc by section ("certificates": "all"), and image config
// settings ("env.LANG": "C.UTF-8", "user": "0"). It names the change;
// applying it is the builder's job.
type Change struct {
	Drop   []string          `json:"drop,omitempty"`
	Etc    map[string]string `json:"etc,omitempty"`
	Config map[string]string `json:"config,omitempty"`
}

// Family is the part of Kind before its first slash ("tar" for
// "tar/climbs-out").
func (f Finding) Family() string {
	fam, _, _ := strings.Cut(f.Kind, "/")
	return fam
}

// Name is the part of Kind after its first slash ("climbs-out"), or the
// whole Kind when it has none.
func (f Finding) Name() string {
	if _, n, ok := strings.Cut(f.Kind, "/"); ok {
		return n
	}
	return f.Kind
}

// Path is the first of Paths, or "".
func (f Finding) Path() string {
	if len(f.Paths) == 0 {
		return ""
	}
	return f.Paths[0]
}

// Sort orders findings most severe first, then by kind, most bytes at
// stake first (the biggest package outside the closure leads), then by
// first path and message, so that every output lists them the same way. It is stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() < b.Severity.Rank()
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Bytes != b.Bytes {
			return a.Bytes > b.Bytes
		}
		if a.Path() != b.Path() {
			return a.Path() < b.Path()
		}
		return a.Message < b.Message
	})
}

// Set collects findings, dropping exact repeats (same kind, paths, layer
// and message).
type Set struct {
	list []Finding
	seen map[string]bool
}

// Add adds f unless an equal finding was added before.
func (s *Set) Add(f Finding) {
	key := f.Kind + "\x00" + strings.Join(f.Paths, "\x00") + "\x00" + f.Message + "\x00" + strconv.Itoa(f.Layer)
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	s.list = append(s.list, f)
}

// List returns the findings added, in the order added.
func (s *Set) List() []Finding { return s.list }

// Count returns how many findings of each severity fs holds.
func Count(fs []Finding) (errors, warnings, infos int) {
	for _, f := range fs {
		switch f.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		default:
			infos++
		}
	}
	return
}

// MarshalJSON writes the finding, with its Family, and its names lossless
// (docs/audit-json.md, "Names that are not UTF-8"): Paths as they are when
// valid UTF-8, else in text.Escape's form with every path's raw bytes in
// paths_bytes; Message and Fix, free text that may quote a name, in
// text.JSONString's form. The Go value keeps the raw strings.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding
	return json.Marshal(struct {
		plain
		Family     string   `json:"family"`
		Paths      []string `json:"paths,omitempty"`
		PathsBytes [][]byte `json:"paths_bytes,omitempty"`
		Message    string   `json:"message"`
		Fix        string   `json:"fix,omitempty"`
	}{plain(f), f.Family(), text.JSONStrings(f.Paths), text.NonUTF8List(f.Paths), text.JSONString(f.Message), text.JSONString(f.Fix)})
}

// MarshalJSON writes the change with its globs lossless, as Finding's
// paths: drop in text.JSONStrings' form, with drop_bytes holding every
// glob's raw bytes when one is not valid UTF-8; the etc and config
// values, free text, in text.JSONString's form.
func (c Change) MarshalJSON() ([]byte, error) {
	esc := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[text.JSONString(k)] = text.JSONString(v)
		}
		return out
	}
	return json.Marshal(struct {
		Drop      []string          `json:"drop,omitempty"`
		DropBytes [][]byte          `json:"drop_bytes,omitempty"`
		Etc       map[string]string `json:"etc,omitempty"`
		Config    map[string]string `json:"config,omitempty"`
	}{text.JSONStrings(c.Drop), text.NonUTF8List(c.Drop), esc(c.Etc), esc(c.Config)})
}
