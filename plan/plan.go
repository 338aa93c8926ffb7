// Package plan is the build plan: the YAML document that records what the
// user decided (the source, the roots to keep the closure of, globs to keep
// and drop, the /etc selection, config changes, layering, outputs and
// verify commands), so a trim done by hand in the TUI replays in CI. It
// loads a plan strictly (unknown keys and wrong types are errors naming
// the key path, with a "did you mean" hint) and saves it back losslessly
// and deterministically. A plan has one meaning whoever makes it: the
// rules of its values (rules.go) are applied alike to a plan file
// (Parse), to the command line's flags (Flags) and to a plan value
// (Validate, which Save applies), and the edits a front end makes (the
// TUI's keys) are this package's functions (edit.go), which keep a plan
// valid, so that every plan saved loads back the same. It never builds
// anything.
package plan

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/yamlx"
)

// Plan is one build: fields hold what the document says, as written; an
// absent key is the zero value, and the methods give the defaults
// (BuildMode, Layers.Limit). Load(Save(p)) equals p.
type Plan struct {
	// Source is the image reference to trim, or the Nix closure to
	// assemble (docker-archive:app.tar, nix:./result).
	Source string
	// Mode is how to build: trim (the default) or assemble.
	Mode Mode
	// From is an optional base image; paths it already has with the same
	// content are left out.
	From string
	// Roots are what to keep the run-time closure of: image paths,
	// package names, store paths or command names found through the
	// image's PATH; none means the config's Entrypoint and Cmd.
	Roots []string
	// Keep and Drop are path globs ("/app/**"): Keep adds paths to the
	// closure, Drop removes them (Drop wins).
	Keep []string
	Drop []string
	// Apply lists finding kinds ("tar/climbs-out") whose fixes the build
	// applies.
	Apply []string
	// Etc is the generated /etc.
	Etc etcgen.Selection
	// Config is what the plan changes in the image config.
	Config Config
	// Layers is how files are split into layers.
	Layers Layers
	// Outputs are destination references (docker-archive:min.tar, oci:min).
	Outputs []string
	// Verify lists commands (argv) run inside the built image and
	// compared with the same commands in the source (checks.go).
	Verify [][]string
	// VerifyOptions are how each Verify command is compared, by index
	// (a shorter list: the defaults). An entry with options is written
	// as a map: {argv: [...], ignore: [...], exit_only: true, probe: ...}.
	VerifyOptions []CheckOptions
	// Learn lists commands run on the source under the file-access
	// tracer; what they touch is kept (LearnOptions as VerifyOptions).
	Learn        [][]string
	LearnOptions []CheckOptions
	// Learned are the paths the Learn commands touched, sorted: a
	// rebuild uses them without tracing again.
	Learned []string
}

// Mode is how the image is built.
type Mode string

// Modes.
const (
	// Trim keeps the closure of the roots from the source image.
	Trim Mode = "trim"
	// Assemble builds an image from a Nix closure.
	Assemble Mode = "assemble"
)

// BuildMode is the plan's mode, Trim when none is given.
func (p *Plan) BuildMode() Mode {
	if p.Mode == "" {
		return Trim
	}
	return p.Mode
}

// Config holds the plan's changes to the image config; everything left
// unset is carried over from the source image. A nil list or map is "no
// change"; an empty one (entrypoint: []) clears the value. Env and Labels
// are merged into the image's: the names given are set, others kept.
// Keys are snake_case (working_dir, exposed_ports); the image config's own
// names (Env, WorkingDir) and common misspellings (Environment) are errors
// that name the plan's key.
type Config struct {
	Entrypoint   []string
	Cmd          []string
	Env          map[string]string
	WorkingDir   *string
	User         *string
	ExposedPorts []string // "8080/tcp", "53/udp"; a bare port is tcp
	Labels       map[string]string
}

// Layers is the layering strategy.
type Layers struct {
	// Strategy is single (the default) or popularity.
	Strategy Strategy
	// Max is the most layers popularity makes (0: DefaultMaxLayers).
	Max int
}

// Strategy is how files are split into layers.
type Strategy string

// Strategies.
const (
	// Single puts every file in one layer.
	Single Strategy = "single"
	// Popularity makes one layer per store path or package, most depended
	// on first, up to Max layers (nixpkgs' buildLayeredImage).
	Popularity Strategy = "popularity"
)

// DefaultMaxLayers is popularity's layer limit when the plan sets none.
const DefaultMaxLayers = 100

// Limit is Max, or DefaultMaxLayers when unset.
func (l Layers) Limit() int {
	if l.Max == 0 {
		return DefaultMaxLayers
	}
	return l.Max
}

// Kind is Strategy, Single when unset.
func (l Layers) Kind() Strategy {
	if l.Strategy == "" {
		return Single
	}
	return l.Strategy
}

var (
	planKeys   = []string{"source", "mode", "from", "roots", "keep", "drop", "apply", "etc", "config", "layers", "outputs", "verify", "learn", "learned"}
	configKeys = []string{"entrypoint", "cmd", "env", "working_dir", "user", "exposed_ports", "labels"}
	layersKeys = []string{"strategy", "max"}
	modes      = []string{string(Trim), string(Assemble)}
	strategies = []string{string(Single), string(Popularity)}
)

// Parse reads a plan document. Errors read "line 7: layers.maxx: unknown
// key (did you mean "max"?)".
func Parse(data []byte) (*Plan, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		if strings.Contains(err.Error(), "mapping values are not allowed") {
			// "source: demo:" — a value ending in a colon reads as a key.
			return nil, fmt.Errorf("%w (quote a value that holds \": \" or ends in a colon: source: 'demo:')", err)
		}
		return nil, err
	}
	p := &Plan{}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return p, nil
	}
	root := doc.Content[0]
	if yamlx.IsNull(root) {
		return p, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, yamlx.Errorf(root, "", "a plan is a map of %s, got a %s", strings.Join(planKeys, ", "), yamlx.KindName(root))
	}
	err := yamlx.Fields(root, "", planKeys, func(key, kp string, v *yaml.Node) error {
		var err error
		switch key {
		case "source":
			p.Source, err = yamlx.String(v, kp)
		case "from":
			p.From, err = yamlx.String(v, kp)
		case "mode":
			var s string
			if s, err = oneOf(v, kp, modes); err == nil {
				p.Mode = Mode(s)
			}
		case "roots":
			p.Roots, err = roots(v, kp)
		case "keep":
			p.Keep, err = globs(v, kp)
		case "drop":
			p.Drop, err = globs(v, kp)
		case "apply":
			p.Apply, err = kinds(v, kp)
		case "etc":
			err = v.Decode(&p.Etc)
		case "config":
			err = p.Config.parse(v, kp)
		case "layers":
			err = p.Layers.parse(v, kp)
		case "outputs":
			p.Outputs, err = yamlx.Strings(v, kp)
		case "verify":
			p.Verify, p.VerifyOptions, err = checks(v, kp)
		case "learn":
			p.Learn, p.LearnOptions, err = checks(v, kp)
		case "learned":
			p.Learned, err = absPaths(v, kp)
			sort.Strings(p.Learned)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (c *Config) parse(n *yaml.Node, path string) error {
	return yamlx.Fields(n, path, configKeys, func(key, kp string, v *yaml.Node) error {
		var err error
		switch key {
		case "entrypoint":
			c.Entrypoint, err = argv(v, kp)
		case "cmd":
			c.Cmd, err = argv(v, kp)
		case "env":
			if c.Env, err = yamlx.StringMap(v, kp); err == nil {
				c.Env, err = envMap(c.Env, v, kp)
			}
		case "working_dir":
			var s string
			if s, err = yamlx.String(v, kp); err == nil {
				c.WorkingDir = &s
			}
		case "user":
			var s string
			if s, err = yamlx.String(v, kp); err == nil {
				c.User = &s
			}
		case "exposed_ports":
			c.ExposedPorts, err = ports(v, kp)
		case "labels":
			if c.Labels, err = yamlx.StringMap(v, kp); err == nil && c.Labels == nil {
				c.Labels = map[string]string{}
			}
		}
		return err
	})
}

func (l *Layers) parse(n *yaml.Node, path string) error {
	return yamlx.Fields(n, path, layersKeys, func(key, kp string, v *yaml.Node) error {
		switch key {
		case "strategy":
			s, err := oneOf(v, kp, strategies)
			l.Strategy = Strategy(s)
			return err
		case "max":
			m, err := yamlx.Int(v, kp)
			if err != nil {
				return err
			}
			if err := CheckMaxLayers(m); err != nil {
				return yamlx.Errorf(v, kp, "%v", err)
			}
			l.Max = m
		}
		return nil
	})
}

// oneOf reads a value that must be one of choices.
func oneOf(n *yaml.Node, path string, choices []string) (string, error) {
	s, err := yamlx.String(n, path)
	if err != nil {
		return "", err
	}
	if _, err := oneOfValue(s, choices); err != nil {
		return "", yamlx.Errorf(n, path, "%v", err)
	}
	return s, nil
}

// argv reads a command: a list of words. A single string is refused (it
// would need a shell to split it) with a hint to write a list.
func argv(n *yaml.Node, path string) ([]string, error) {
	if yamlx.IsNull(n) {
		return []string{}, nil
	}
	if n.Kind == yaml.ScalarNode {
		return nil, yamlx.Errorf(n, path, "want a list of words, like [%q], got a value", n.Value)
	}
	return yamlx.Strings(n, path)
}

// each reads a list of strings and checks every one with rule; an error
// names the item ("drop[3]") and its line.
func each(n *yaml.Node, kp string, rule func(string) error) ([]string, error) {
	l, err := yamlx.Strings(n, kp)
	if err != nil {
		return nil, err
	}
	for i, v := range l {
		if err := rule(v); err != nil {
			return nil, yamlx.Errorf(n.Content[i], fmt.Sprintf("%s[%d]", kp, i), "%v", err)
		}
	}
	return l, nil
}

// roots reads a list of roots (CheckRoot).
func roots(n *yaml.Node, kp string) ([]string, error) { return each(n, kp, CheckRoot) }

// absPaths reads a list of absolute paths (CheckAbsPath).
func absPaths(n *yaml.Node, kp string) ([]string, error) { return each(n, kp, CheckAbsPath) }

// globs reads a list of absolute path globs (CheckGlob).
func globs(n *yaml.Node, kp string) ([]string, error) { return each(n, kp, CheckGlob) }

// kinds reads finding kinds, "family/name" (CheckKind).
func kinds(n *yaml.Node, kp string) ([]string, error) { return each(n, kp, CheckKind) }

func envMap(m map[string]string, n *yaml.Node, kp string) (map[string]string, error) {
	if m == nil {
		return map[string]string{}, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if err := CheckEnvName(k.Value); err != nil {
			return nil, yamlx.Errorf(k, yamlx.Join(kp, k.Value), "%v", err)
		}
	}
	return m, nil
}

func ports(n *yaml.Node, kp string) ([]string, error) {
	l, err := each(n, kp, CheckPort)
	if err == nil && l == nil {
		l = []string{}
	}
	return l, err
}

// Save writes the plan as YAML: keys in a fixed order, maps sorted by
// name, absent fields left out, so the same plan always gives the same
// bytes. It refuses a plan that Validate refuses: Parse would not read
// it back.
func Save(p *Plan) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		if v != nil {
			root.Content = append(root.Content, yamlx.Scalar(key), v)
		}
	}
	add("source", optScalar(p.Source))
	add("mode", optScalar(string(p.Mode)))
	add("from", optScalar(p.From))
	add("roots", list(p.Roots, false))
	add("keep", list(p.Keep, false))
	add("drop", list(p.Drop, false))
	add("apply", list(p.Apply, false))
	if !p.Etc.IsZero() {
		var n yaml.Node
		if err := n.Encode(p.Etc); err != nil {
			return nil, fmt.Errorf("encoding the etc section: %w", err)
		}
		add("etc", &n)
	}
	add("config", p.Config.node())
	if p.Layers != (Layers{}) {
		l := &yaml.Node{Kind: yaml.MappingNode}
		if p.Layers.Strategy != "" {
			l.Content = append(l.Content, yamlx.Scalar("strategy"), yamlx.Scalar(string(p.Layers.Strategy)))
		}
		if p.Layers.Max != 0 {
			l.Content = append(l.Content, yamlx.Scalar("max"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(p.Layers.Max)})
		}
		add("layers", l)
	}
	add("outputs", list(p.Outputs, false))
	if p.Verify != nil {
		add("verify", checksNode(p.Verify, p.VerifyOptions))
	}
	if p.Learn != nil {
		add("learn", checksNode(p.Learn, p.LearnOptions))
	}
	if p.Learned != nil {
		learned := slices.Clone(p.Learned)
		sort.Strings(learned)
		add("learned", list(learned, false))
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if len(root.Content) == 0 {
		return []byte("{}\n"), nil
	}
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c Config) node() *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, v *yaml.Node) {
		if v != nil {
			n.Content = append(n.Content, yamlx.Scalar(key), v)
		}
	}
	add("entrypoint", list(c.Entrypoint, true))
	add("cmd", list(c.Cmd, true))
	add("env", sortedMap(c.Env))
	if c.WorkingDir != nil {
		add("working_dir", yamlx.Scalar(*c.WorkingDir))
	}
	if c.User != nil {
		add("user", yamlx.Scalar(*c.User))
	}
	add("exposed_ports", list(c.ExposedPorts, true))
	add("labels", sortedMap(c.Labels))
	if len(n.Content) == 0 {
		return nil
	}
	return n
}

func optScalar(s string) *yaml.Node {
	if s == "" {
		return nil
	}
	return yamlx.Scalar(s)
}

// list writes a nil list as nothing, an empty one as [], short lists (or
// argv, always) in flow style and long ones one item a line.
func list(l []string, flow bool) *yaml.Node {
	if l == nil {
		return nil
	}
	n := yamlx.FlowList(l)
	width := 0
	for _, s := range l {
		width += len(s) + 2
	}
	if !flow && (width > 60 || len(l) > 4) {
		n.Style = 0
	}
	return n
}

func sortedMap(m map[string]string) *yaml.Node {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		n.Content = append(n.Content, yamlx.Scalar(k), yamlx.Scalar(m[k]))
	}
	return n
}
