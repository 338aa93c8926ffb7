package tui

import (
	"slices"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
)

// applyEtcFix applies the etc: change of a finding that is no bloat (a
// breakage's fix: fs/no-tmp adds /tmp through etc: basics: tmp) to the
// plan, and says what it chose ("" when the finding has no such
// change). Bloat findings apply their drops only, as apply: does.
func applyEtcFix(m *Model, f finding.Finding) string {
	if f.Change == nil || len(f.Change.Etc) == 0 || f.Family() == "bloat" {
		return ""
	}
	return applyEtcChange(&m.plan.Etc, f.Change.Etc)
}

// applyEtcChange adds an etc change ({"basics": "tmp"},
// {"timezones": "Europe/Riga"}, {"certificates": "all"}) to a selection,
// keeping what it already chooses, and describes what it added.
func applyEtcChange(sel *etcgen.Selection, change map[string]string) string {
	keys := make([]string, 0, len(change))
	for k := range change {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var said []string
	for _, k := range keys {
		v := change[k]
		switch k {
		case "basics":
			b, err := etcgen.ParseBasics(v)
			if err != nil {
				continue
			}
			mergeBasics(&sel.Basics, b)
		case "users":
			for _, name := range strings.Split(v, ",") {
				if name != "" && !slices.ContainsFunc(sel.Users, func(u etcgen.User) bool { return u.Name == name }) {
					sel.Users = append(sel.Users, etcgen.User{Name: name})
				}
			}
		default:
			kind, err := etcgen.ParseKind(k)
			if err != nil {
				continue
			}
			c := etcChoice(sel, kind)
			if c == nil {
				continue
			}
			if v == "all" {
				c.All, c.Names = true, nil
			} else if !c.All {
				for _, name := range strings.Split(v, ",") {
					if name != "" && !slices.Contains(c.Names, name) {
						c.Names = append(c.Names, name)
					}
				}
			}
		}
		said = append(said, k+": "+v)
	}
	return strings.Join(said, ", ")
}

// mergeBasics turns on in dst what add turns on; what dst leaves to its
// default is turned off when add says so explicitly, so that "basics: tmp"
// on an empty selection writes /tmp alone and the image keeps its own
// nsswitch.conf and hosts.
func mergeBasics(dst *etcgen.Basics, add etcgen.Basics) {
	set := func(d **bool, a *bool) {
		if a == nil {
			return
		}
		if *a || *d == nil {
			v := *a
			*d = &v
		}
	}
	set(&dst.Nsswitch, add.Nsswitch)
	set(&dst.Hosts, add.Hosts)
	set(&dst.OSRelease, add.OSRelease)
	set(&dst.Tmp, add.Tmp)
}
