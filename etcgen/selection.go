package etcgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/internal/suggest"
	"github.com/whittle-dev/whittle/internal/yamlx"
	"go.yaml.in/yaml/v3"
)

// Selection is what the user chose: the plan file's `etc:` section.
//
//	etc:
//	  services: [http, https]          # names, aliases or ports ("443", "443/tcp")
//	  protocols: [tcp, udp]
//	  certificates: all                # all | none | [subject, CN or SHA-256, ...]
//	  locales: [C.UTF-8, en_US.UTF-8]  # the first one becomes LANG
//	  locale_format: archive           # archive (default) | directories
//	  timezones: [Europe/Riga, UTC]    # the first one becomes /etc/localtime and TZ
//	  users: [root, nobody, {name: app, uid: 1000}]
//	  basics: {nsswitch: true, hosts: true, os_release: true, tmp: true}
//
// Every list also takes `all` or `none`. Absent keys choose nothing, but
// basics: every basic is on unless turned off, and os_release follows the
// image (written when it has one).
type Selection struct {
	Services     Choice       `yaml:"services,omitempty" json:"services,omitzero"`
	Protocols    Choice       `yaml:"protocols,omitempty" json:"protocols,omitzero"`
	Certificates Choice       `yaml:"certificates,omitempty" json:"certificates,omitzero"`
	Locales      Choice       `yaml:"locales,omitempty" json:"locales,omitzero"`
	LocaleFormat LocaleFormat `yaml:"locale_format,omitempty" json:"locale_format,omitempty"`
	Timezones    Choice       `yaml:"timezones,omitempty" json:"timezones,omitzero"`
	Users        []User       `yaml:"users,omitempty" json:"users,omitempty"`
	Basics       Basics       `yaml:"basics,omitempty" json:"basics,omitzero"`
}

// IsZero reports whether the selection chooses nothing at all: no list,
// no locale format, no user and every basic left to its default. A build
// of a plan whose selection is zero generates no /etc; any other
// selection is generated (basics alone write nsswitch.conf, hosts and
// /tmp). It is the one test of "is the etc: section empty" (the plan's
// writer leaves such a section out).
func (s Selection) IsZero() bool {
	return s.Services.IsZero() && s.Protocols.IsZero() && s.Certificates.IsZero() && s.Locales.IsZero() &&
		s.LocaleFormat == "" && s.Timezones.IsZero() && len(s.Users) == 0 && s.Basics.IsZero()
}

// Choice picks entries from one catalog list: all of them, none, or the
// named ones in the order given. The zero Choice is none.
type Choice struct {
	All   bool
	Names []string
}

// All chooses every entry; None chooses nothing; Names chooses the named.
var (
	ChooseAll  = Choice{All: true}
	ChooseNone = Choice{}
)

// Names returns a Choice of the given names.
func Names(names ...string) Choice { return Choice{Names: names} }

// IsZero reports whether nothing is chosen (yaml's omitempty uses it).
func (c Choice) IsZero() bool { return !c.All && len(c.Names) == 0 }

// String is the CLI form: "all", "none" or the names joined by commas.
func (c Choice) String() string {
	switch {
	case c.All:
		return "all"
	case len(c.Names) == 0:
		return "none"
	}
	return strings.Join(c.Names, ",")
}

// ParseChoice parses the CLI form of a choice: "all", "none", "" (none) or
// comma-separated names; blanks around names are dropped.
func ParseChoice(s string) Choice {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "all":
		return ChooseAll
	case "", "none":
		return ChooseNone
	}
	var names []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return Choice{Names: names}
}

// UnmarshalYAML accepts "all", "none", a single name or a list of names.
func (c *Choice) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*c = ChooseNone
			return nil
		}
		// "all", "none", one name, or "a,b" meaning the list.
		*c = ParseChoice(n.Value)
		return nil
	case yaml.SequenceNode:
		var names []string
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: want a name, got a %s", item.Line, yamlx.KindName(item))
			}
			names = append(names, item.Value)
		}
		*c = Choice{Names: names}
		if len(names) == 1 && strings.EqualFold(names[0], "all") {
			*c = ChooseAll
		}
		return nil
	}
	return fmt.Errorf("line %d: want all, none or a list of names, got a %s", n.Line, yamlx.KindName(n))
}

// MarshalYAML writes "all", "none" or the list.
func (c Choice) MarshalYAML() (any, error) {
	switch {
	case c.All:
		return "all", nil
	case len(c.Names) == 0:
		return "none", nil
	}
	return yamlx.FlowList(c.Names), nil
}

// MarshalJSON writes "all", "none" or the list.
func (c Choice) MarshalJSON() ([]byte, error) {
	switch {
	case c.All:
		return []byte(`"all"`), nil
	case len(c.Names) == 0:
		return []byte(`"none"`), nil
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range c.Names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(n))
	}
	b.WriteByte(']')
	return []byte(b.String()), nil
}

// LocaleFormat is how chosen locales are written.
type LocaleFormat string

// Locale formats.
const (
	// LocaleArchive writes one locale-archive holding the chosen locales
	// (the default).
	LocaleArchive LocaleFormat = "archive"
	// LocaleDirectories writes one directory of LC_* files per locale.
	LocaleDirectories LocaleFormat = "directories"
)

// ParseLocaleFormat parses "archive" or "directories" ("" is archive).
func ParseLocaleFormat(s string) (LocaleFormat, error) {
	switch f := LocaleFormat(strings.TrimSpace(s)); f {
	case "", LocaleArchive:
		return LocaleArchive, nil
	case LocaleDirectories:
		return f, nil
	}
	return "", fmt.Errorf("unknown locale format %q: want archive or directories%s", s, suggest.Hint(s, []string{"archive", "directories"}))
}

// UnmarshalYAML checks the value.
func (f *LocaleFormat) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: etc.locale_format: want archive or directories", n.Line)
	}
	v, err := ParseLocaleFormat(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*f = v
	return nil
}

// User is a chosen user: the name of a catalog account ("root", "nobody",
// "nonroot", or one of the image's), or a new account. Fields left empty
// come from the catalog account of that name, else: GID = UID, home
// /home/NAME, shell /sbin/nologin. In YAML a plain name or a map
// {name, uid, gid, home, shell}.
type User struct {
	Name  string `yaml:"name" json:"name"`
	UID   *int   `yaml:"uid,omitempty" json:"uid,omitempty"`
	GID   *int   `yaml:"gid,omitempty" json:"gid,omitempty"`
	Home  string `yaml:"home,omitempty" json:"home,omitempty"`
	Shell string `yaml:"shell,omitempty" json:"shell,omitempty"`
}

var userKeys = []string{"name", "uid", "gid", "home", "shell"}

// UnmarshalYAML accepts a name or a map with known keys only.
func (u *User) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*u = User{Name: n.Value}
		return nil
	case yaml.MappingNode:
		if err := yamlx.CheckKeys(n, "etc.users", userKeys); err != nil {
			return err
		}
		type plain User
		var p plain
		if err := n.Decode(&p); err != nil {
			return err
		}
		*u = User(p)
		if u.Name == "" {
			return fmt.Errorf("line %d: etc.users: an entry has no name", n.Line)
		}
		return nil
	}
	return fmt.Errorf("line %d: etc.users: want a name or {name, uid, gid, home, shell}, got a %s", n.Line, yamlx.KindName(n))
}

// MarshalYAML writes a plain name when only the name is set.
func (u User) MarshalYAML() (any, error) {
	if u.UID == nil && u.GID == nil && u.Home == "" && u.Shell == "" {
		return u.Name, nil
	}
	type plain User
	n := &yaml.Node{}
	if err := n.Encode(plain(u)); err != nil {
		return nil, err
	}
	n.Style = yaml.FlowStyle
	return n, nil
}

// String is the CLI form NAME[:UID[:GID[:HOME[:SHELL]]]].
func (u User) String() string {
	parts := []string{u.Name}
	if u.UID != nil || u.GID != nil || u.Home != "" || u.Shell != "" {
		parts = append(parts, optInt(u.UID), optInt(u.GID), u.Home, u.Shell)
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
	}
	return strings.Join(parts, ":")
}

func optInt(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// ParseUsers parses the CLI form of users: comma-separated
// NAME[:UID[:GID[:HOME[:SHELL]]]], empty fields left to the defaults
// ("root,nobody,app:1000::/srv/app"); "none" or "" is no user.
func ParseUsers(s string) ([]User, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return nil, nil
	}
	var out []User
	for _, spec := range strings.Split(s, ",") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		f := strings.Split(spec, ":")
		if len(f) > 5 {
			return nil, fmt.Errorf("user %q: want NAME[:UID[:GID[:HOME[:SHELL]]]]", spec)
		}
		u := User{Name: f[0]}
		for i, v := range f[1:] {
			switch i {
			case 0, 1:
				if v == "" {
					continue
				}
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("user %q: bad %s %q", spec, []string{"uid", "gid"}[i], v)
				}
				if i == 0 {
					u.UID = &n
				} else {
					u.GID = &n
				}
			case 2:
				u.Home = v
			case 3:
				u.Shell = v
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// Basics are the small files every image wants. A nil field takes its
// default: nsswitch, hosts and tmp on; os_release on when the image has one.
type Basics struct {
	// Nsswitch writes /etc/nsswitch.conf: files for everything, then dns
	// for hosts.
	Nsswitch *bool `yaml:"nsswitch,omitempty" json:"nsswitch,omitempty"`
	// Hosts writes /etc/hosts with the localhost entries.
	Hosts *bool `yaml:"hosts,omitempty" json:"hosts,omitempty"`
	// OSRelease copies the image's os-release to /etc/os-release; true when
	// the image has none is an error.
	OSRelease *bool `yaml:"os_release,omitempty" json:"os_release,omitempty"`
	// Tmp creates /tmp with mode 1777.
	Tmp *bool `yaml:"tmp,omitempty" json:"tmp,omitempty"`
}

var basicsKeys = []string{"nsswitch", "hosts", "os_release", "tmp"}

// IsZero reports whether every basic takes its default.
func (b Basics) IsZero() bool {
	return b.Nsswitch == nil && b.Hosts == nil && b.OSRelease == nil && b.Tmp == nil
}

// UnmarshalYAML accepts a map of the known keys, or all / none.
func (b *Basics) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.SequenceNode {
		var c Choice
		if err := c.UnmarshalYAML(n); err != nil {
			return fmt.Errorf("basics: %w", err)
		}
		v, err := basicsFromChoice(c)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		*b = v
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: etc.basics: want a map {nsswitch, hosts, os_release, tmp}", n.Line)
	}
	if err := yamlx.CheckKeys(n, "etc.basics", basicsKeys); err != nil {
		return err
	}
	type plain Basics
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*b = Basics(p)
	return nil
}

// ParseBasics parses the CLI form: "" (the defaults), "all", "none" or a
// comma-separated list of nsswitch, hosts, os-release (or os_release) and
// tmp, which turns those on and the others off.
func ParseBasics(s string) (Basics, error) {
	if strings.TrimSpace(s) == "" {
		return Basics{}, nil
	}
	return basicsFromChoice(ParseChoice(s))
}

func basicsFromChoice(c Choice) (Basics, error) {
	t, f := true, false
	if c.All {
		return Basics{Nsswitch: &t, Hosts: &t, OSRelease: &t, Tmp: &t}, nil
	}
	b := Basics{Nsswitch: &f, Hosts: &f, OSRelease: &f, Tmp: &f}
	for _, n := range c.Names {
		switch strings.ReplaceAll(strings.ToLower(n), "-", "_") {
		case "nsswitch":
			b.Nsswitch = &t
		case "hosts":
			b.Hosts = &t
		case "os_release":
			b.OSRelease = &t
		case "tmp":
			b.Tmp = &t
		default:
			return Basics{}, fmt.Errorf("unknown basic %q%s", n, suggest.Hint(n, basicsKeys))
		}
	}
	return b, nil
}

var selectionKeys = []string{"services", "protocols", "certificates", "locales", "locale_format", "timezones", "users", "basics"}

// UnmarshalYAML decodes the `etc:` section, rejecting unknown keys with a
// did-you-mean hint.
func (s *Selection) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		*s = Selection{}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: etc: want a map of %s", n.Line, strings.Join(selectionKeys, ", "))
	}
	if err := yamlx.CheckKeys(n, "etc", selectionKeys); err != nil {
		return err
	}
	type plain Selection
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Selection(p)
	return nil
}

// ParseSelection decodes a YAML `etc:` section (the map itself, without
// the `etc:` key).
func ParseSelection(data []byte) (Selection, error) {
	var s Selection
	if err := yaml.Unmarshal(data, &s); err != nil {
		return Selection{}, fmt.Errorf("reading the etc section: %w", err)
	}
	return s, nil
}

// MarshalSelection encodes s as the YAML of an `etc:` section.
func MarshalSelection(s Selection) ([]byte, error) {
	return yaml.Marshal(s)
}

// Flags are the `whittle etc` command-line choices, as typed.
type Flags struct {
	Services     string // --services http,https
	Protocols    string // --protocols tcp,udp
	Certificates string // --certificates all
	Locales      string // --locales en_US.UTF-8
	LocaleFormat string // --locale-format archive|directories
	Timezones    string // --timezones Europe/Riga
	Users        string // --users root,nonroot,app:1000
	Basics       string // --basics nsswitch,hosts,tmp ("" = defaults)
}

// Selection turns the flags into a Selection.
func (f Flags) Selection() (Selection, error) {
	var s Selection
	var err error
	s.Services = ParseChoice(f.Services)
	s.Protocols = ParseChoice(f.Protocols)
	s.Certificates = ParseChoice(f.Certificates)
	s.Locales = ParseChoice(f.Locales)
	s.Timezones = ParseChoice(f.Timezones)
	if f.LocaleFormat != "" {
		if s.LocaleFormat, err = ParseLocaleFormat(f.LocaleFormat); err != nil {
			return Selection{}, fmt.Errorf("--locale-format: %w", err)
		}
	}
	if s.Users, err = ParseUsers(f.Users); err != nil {
		return Selection{}, fmt.Errorf("--users: %w", err)
	}
	if s.Basics, err = ParseBasics(f.Basics); err != nil {
		return Selection{}, fmt.Errorf("--basics: %w", err)
	}
	return s, nil
}
