package plan

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/localearchive"
)

// The edits a front end makes to a plan (the TUI's keys call them): each
// checks what it adds by the plan's rules, so an edited plan always
// saves and loads back the same.

// Clone returns a deep copy of p: editing one leaves the other as it is
// (an undo step, a build in flight).
func (p *Plan) Clone() *Plan {
	c := *p
	c.Roots, c.Keep, c.Drop, c.Apply = slices.Clone(p.Roots), slices.Clone(p.Keep), slices.Clone(p.Drop), slices.Clone(p.Apply)
	c.Outputs, c.Learned = slices.Clone(p.Outputs), slices.Clone(p.Learned)
	c.Verify, c.VerifyOptions = cloneCmds(p.Verify), cloneOpts(p.VerifyOptions)
	c.Learn, c.LearnOptions = cloneCmds(p.Learn), cloneOpts(p.LearnOptions)
	c.Etc = CloneEtc(p.Etc)
	c.Config.Entrypoint, c.Config.Cmd = slices.Clone(p.Config.Entrypoint), slices.Clone(p.Config.Cmd)
	c.Config.ExposedPorts = slices.Clone(p.Config.ExposedPorts)
	c.Config.Env, c.Config.Labels = maps.Clone(p.Config.Env), maps.Clone(p.Config.Labels)
	c.Config.User, c.Config.WorkingDir = clonePtr(p.Config.User), clonePtr(p.Config.WorkingDir)
	return &c
}

// CloneEtc returns a deep copy of an etc: selection.
func CloneEtc(s etcgen.Selection) etcgen.Selection {
	c := s
	for _, ch := range []*etcgen.Choice{&c.Services, &c.Protocols, &c.Certificates, &c.Locales, &c.Timezones} {
		ch.Names = slices.Clone(ch.Names)
	}
	c.Users = nil
	for _, u := range s.Users {
		u.UID, u.GID = clonePtr(u.UID), clonePtr(u.GID)
		c.Users = append(c.Users, u)
	}
	c.Basics = etcgen.Basics{Nsswitch: clonePtr(s.Basics.Nsswitch), Hosts: clonePtr(s.Basics.Hosts), OSRelease: clonePtr(s.Basics.OSRelease), Tmp: clonePtr(s.Basics.Tmp)}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneCmds(cmds [][]string) [][]string {
	if cmds == nil {
		return nil
	}
	out := make([][]string, len(cmds))
	for i, c := range cmds {
		out[i] = slices.Clone(c)
	}
	return out
}

func cloneOpts(opts []CheckOptions) []CheckOptions {
	if opts == nil {
		return nil
	}
	out := make([]CheckOptions, len(opts))
	for i, o := range opts {
		o.Ignore = slices.Clone(o.Ignore)
		out[i] = o
	}
	return out
}

// AddDrop adds drop globs the plan does not have yet and returns how
// many it added; a glob CheckGlob refuses adds none of them.
func (p *Plan) AddDrop(globs ...string) (int, error) { return addGlobs(&p.Drop, "drop", globs) }

// AddKeep adds keep globs, as AddDrop.
func (p *Plan) AddKeep(globs ...string) (int, error) { return addGlobs(&p.Keep, "keep", globs) }

func addGlobs(list *[]string, key string, globs []string) (int, error) {
	for _, g := range globs {
		if err := CheckGlob(g); err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
	}
	n := 0
	for _, g := range globs {
		if !slices.Contains(*list, g) {
			*list = append(*list, g)
			n++
		}
	}
	return n, nil
}

// RemoveDrop removes a drop glob; it reports whether the plan had it.
func (p *Plan) RemoveDrop(g string) bool { return removeGlob(&p.Drop, g) }

// RemoveKeep removes a keep glob; it reports whether the plan had it.
func (p *Plan) RemoveKeep(g string) bool { return removeGlob(&p.Keep, g) }

func removeGlob(list *[]string, g string) bool {
	i := slices.Index(*list, g)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	if len(*list) == 0 {
		*list = nil // the plan has no such key, as when loaded
	}
	return true
}

// ToggleRoot makes name a root, or no longer one (the last removed: the
// config's entry point again). It reports whether name is a root now.
func (p *Plan) ToggleRoot(name string) (bool, error) {
	if err := CheckRoot(name); err != nil {
		return false, fmt.Errorf("roots: %w", err)
	}
	if removeGlob(&p.Roots, name) {
		return false, nil
	}
	p.Roots = append(p.Roots, name)
	return true, nil
}

// SetOutputs replaces the outputs (none: nil).
func (p *Plan) SetOutputs(outputs []string) {
	p.Outputs = nil
	if len(outputs) > 0 {
		p.Outputs = slices.Clone(outputs)
	}
}

// SetVerify makes argv the one verify command (none: no verify).
func (p *Plan) SetVerify(argv []string) error {
	if len(argv) == 0 {
		p.Verify, p.VerifyOptions = nil, nil
		return nil
	}
	if err := CheckCommand(argv, CheckOptions{}); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	p.Verify, p.VerifyOptions = [][]string{slices.Clone(argv)}, nil
	return nil
}

// EtcChoice returns the plan's choice of a list kind, nil for users.
func EtcChoice(sel *etcgen.Selection, k etcgen.Kind) *etcgen.Choice {
	switch k {
	case etcgen.KindServices:
		return &sel.Services
	case etcgen.KindProtocols:
		return &sel.Protocols
	case etcgen.KindCertificates:
		return &sel.Certificates
	case etcgen.KindLocales:
		return &sel.Locales
	case etcgen.KindTimeZones:
		return &sel.Timezones
	}
	return nil
}

// EtcChosen reports whether the plan chooses the entry name of a kind.
func (p *Plan) EtcChosen(k etcgen.Kind, name string) bool {
	if k == etcgen.KindUsers {
		return slices.ContainsFunc(p.Etc.Users, func(u etcgen.User) bool { return u.Name == name })
	}
	c := EtcChoice(&p.Etc, k)
	return c != nil && (c.All || slices.IndexFunc(c.Names, sameEntry(k, name)) >= 0)
}

// sameEntry matches the names of a kind that name the same entry: a
// locale's after glibc's codeset normalization (C.UTF-8 is C.utf8), any
// other's exactly.
func sameEntry(k etcgen.Kind, name string) func(string) bool {
	if k == etcgen.KindLocales {
		norm := localearchive.NormalizeName(name)
		return func(n string) bool { return n == name || localearchive.NormalizeName(n) == norm }
	}
	return func(n string) bool { return n == name }
}

// ToggleEtc chooses the entry name of a kind, or no longer. When the
// plan chooses all of the kind, every entry of catalog but name is chosen
// instead. It reports whether name is chosen now; an empty name is
// refused.
func (p *Plan) ToggleEtc(k etcgen.Kind, name string, catalog []string) (bool, error) {
	if strings.TrimSpace(name) == "" {
		return false, fmt.Errorf("etc.%s: an empty name", k)
	}
	return p.toggleEtc(k, name, catalog), nil
}

func (p *Plan) toggleEtc(k etcgen.Kind, name string, catalog []string) bool {
	if k == etcgen.KindUsers {
		us := &p.Etc.Users
		if i := slices.IndexFunc(*us, func(u etcgen.User) bool { return u.Name == name }); i >= 0 {
			*us = slices.Delete(*us, i, i+1)
			if len(*us) == 0 {
				*us = nil
			}
			return false
		}
		*us = append(*us, etcgen.User{Name: name})
		return true
	}
	c := EtcChoice(&p.Etc, k)
	if c == nil {
		return false
	}
	if c.All {
		c.All, c.Names = false, nil
		for _, n := range catalog {
			if !sameEntry(k, name)(n) {
				c.Names = append(c.Names, n)
			}
		}
		return false
	}
	if i := slices.IndexFunc(c.Names, sameEntry(k, name)); i >= 0 {
		c.Names = slices.Delete(c.Names, i, i+1)
		if len(c.Names) == 0 {
			c.Names = nil
		}
		return false
	}
	c.Names = append(c.Names, name)
	if len(c.Names) == 1 && strings.EqualFold(name, "all") {
		c.All, c.Names = true, nil // what the file would say
	}
	return true
}

// ApplyChange makes the plan change a finding proposes (finding.Change):
// its drop globs are added, its etc choices added to the plan's (a list
// gains the names, "all" chooses all, basics turned on), its config
// settings set ("env.NAME", "user", "working_dir"). It checks the whole
// change first and applies nothing when a part is refused. It returns
// what it changed, in the plan file's words ("drop: /a/**; etc.basics:
// tmp"), "" when the plan had it all already.
func (p *Plan) ApplyChange(c *finding.Change) (string, error) {
	if c == nil {
		return "", nil
	}
	q := p.Clone()
	var said []string
	n, err := q.AddDrop(c.Drop...)
	if err != nil {
		return "", err
	}
	if n > 0 {
		var added []string
		for _, g := range c.Drop {
			if !slices.Contains(p.Drop, g) && !slices.Contains(added, g) {
				added = append(added, g)
			}
		}
		said = append(said, "drop: "+strings.Join(added, ", "))
	}
	for _, k := range sortedKeysOf(c.Etc) {
		before := CloneEtc(q.Etc)
		if err := addEtc(&q.Etc, k, c.Etc[k]); err != nil {
			return "", err
		}
		if !equalEtc(before, q.Etc) {
			said = append(said, "etc."+k+": "+c.Etc[k])
		}
	}
	for _, k := range sortedKeysOf(c.Config) {
		v := c.Config[k]
		switch {
		case strings.HasPrefix(k, "env."):
			name := strings.TrimPrefix(k, "env.")
			if err := CheckEnvName(name); err != nil {
				return "", fmt.Errorf("config.env: %w", err)
			}
			if old, ok := q.Config.Env[name]; ok && old == v {
				continue
			}
			if q.Config.Env == nil {
				q.Config.Env = map[string]string{}
			}
			q.Config.Env[name] = v
		case k == "user":
			if q.Config.User != nil && *q.Config.User == v {
				continue
			}
			q.Config.User = &v
		case k == "working_dir":
			if q.Config.WorkingDir != nil && *q.Config.WorkingDir == v {
				continue
			}
			q.Config.WorkingDir = &v
		default:
			return "", fmt.Errorf("config: the change sets %q, which a plan cannot (env.NAME, user or working_dir)", k)
		}
		said = append(said, "config."+k+": "+v)
	}
	if err := q.Validate(); err != nil {
		return "", err
	}
	*p = *q
	return strings.Join(said, "; "), nil
}

// addEtc adds one etc change: a section and its value as the CLI writes
// it ("all", "a,b", basics "tmp").
func addEtc(sel *etcgen.Selection, key, v string) error {
	switch key {
	case "basics":
		b, err := etcgen.ParseBasics(v)
		if err != nil {
			return fmt.Errorf("etc.basics: %w", err)
		}
		mergeBasics(&sel.Basics, b)
		return nil
	case "users":
		us, err := etcgen.ParseUsers(v)
		if err != nil {
			return fmt.Errorf("etc.users: %w", err)
		}
		for _, u := range us {
			if !slices.ContainsFunc(sel.Users, func(x etcgen.User) bool { return x.Name == u.Name }) {
				sel.Users = append(sel.Users, u)
			}
		}
		return nil
	case "locale_format":
		f, err := etcgen.ParseLocaleFormat(v)
		if err != nil {
			return fmt.Errorf("etc.locale_format: %w", err)
		}
		sel.LocaleFormat = f
		return nil
	}
	kind, err := etcgen.ParseKind(key)
	if err != nil {
		return fmt.Errorf("etc: %w", err)
	}
	c := EtcChoice(sel, kind)
	add := etcgen.ParseChoice(v)
	switch {
	case c.All:
	case add.All:
		*c = etcgen.ChooseAll
	default:
		for _, n := range add.Names {
			if !slices.Contains(c.Names, n) {
				c.Names = append(c.Names, n)
			}
		}
	}
	return nil
}

// mergeBasics turns on in dst what add turns on; what dst leaves to its
// default is turned off when add says so explicitly, so that "basics:
// tmp" on an empty selection writes /tmp alone and the image keeps its
// own nsswitch.conf and hosts.
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

func equalEtc(a, b etcgen.Selection) bool {
	ea, _ := etcgen.MarshalSelection(a)
	eb, _ := etcgen.MarshalSelection(b)
	return string(ea) == string(eb)
}

func sortedKeysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
