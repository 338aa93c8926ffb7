package plan

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/whittle-dev/whittle/internal/yamlx"
)

// CheckOptions say how a verify: command's outcome in the built image is
// compared with its outcome in the source, or how a learn: command runs.
type CheckOptions struct {
	// Ignore are regular expressions whose matches are masked in the
	// output before comparing.
	Ignore []string
	// ExitOnly compares the exit status alone.
	ExitOnly bool
	// Probe starts the command (or, with no argv, the entry point) as a
	// server and asks it: "tcp:PORT" or "http://127.0.0.1:PORT/PATH".
	Probe string
}

// IsZero reports whether the options are the defaults.
func (o CheckOptions) IsZero() bool {
	return len(o.Ignore) == 0 && !o.ExitOnly && o.Probe == ""
}

// OptionsAt returns the options of entry i of a list (the defaults past
// its end).
func OptionsAt(opts []CheckOptions, i int) CheckOptions {
	if i < len(opts) {
		return opts[i]
	}
	return CheckOptions{}
}

var checkKeys = []string{"argv", "ignore", "exit_only", "probe"}

// checks reads a list of commands, each a list of words or a map of
// argv and compare options.
func checks(n *yaml.Node, kp string) ([][]string, []CheckOptions, error) {
	if yamlx.IsNull(n) {
		return nil, nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nil, yamlx.Errorf(n, kp, "want a list of commands, each a list of words or a map of %s, got a %s", strings.Join(checkKeys, ", "), yamlx.KindName(n))
	}
	cmds := make([][]string, 0, len(n.Content))
	var opts []CheckOptions
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", kp, i)
		var c []string
		var o CheckOptions
		var err error
		if item.Kind == yaml.MappingNode {
			c, o, err = check(item, ip)
		} else {
			c, err = argv(item, ip)
		}
		if err != nil {
			return nil, nil, err
		}
		if len(c) == 0 && o.Probe == "" {
			return nil, nil, yamlx.Errorf(item, ip, "empty command")
		}
		cmds = append(cmds, c)
		if !o.IsZero() {
			for len(opts) < i {
				opts = append(opts, CheckOptions{})
			}
			opts = append(opts, o)
		}
	}
	return cmds, opts, nil
}

// check reads one command written as a map.
func check(n *yaml.Node, kp string) ([]string, CheckOptions, error) {
	var c []string
	var o CheckOptions
	err := yamlx.Fields(n, kp, checkKeys, func(key, p string, v *yaml.Node) error {
		var err error
		switch key {
		case "argv":
			c, err = argv(v, p)
		case "ignore":
			if o.Ignore, err = yamlx.Strings(v, p); err == nil {
				for i, expr := range o.Ignore {
					if rerr := CheckIgnore(expr); rerr != nil {
						return yamlx.Errorf(v.Content[i], fmt.Sprintf("%s[%d]", p, i), "%v", rerr)
					}
				}
			}
		case "exit_only":
			if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
				return yamlx.Errorf(v, p, "want true or false, got %q", v.Value)
			}
			o.ExitOnly = v.Value == "true"
		case "probe":
			if o.Probe, err = yamlx.String(v, p); err == nil {
				if perr := CheckProbe(o.Probe); perr != nil {
					return yamlx.Errorf(v, p, "%v", perr)
				}
			}
		}
		return err
	})
	return c, o, err
}

// validProbe checks a probe's form (the verify package reads it).
func validProbe(s string) bool {
	if port, ok := strings.CutPrefix(s, "tcp:"); ok {
		n, err := strconv.Atoi(port)
		return err == nil && n > 0 && n < 65536
	}
	return strings.HasPrefix(s, "http://127.0.0.1:") || strings.HasPrefix(s, "http://localhost:") || strings.HasPrefix(s, "http://[::1]:")
}

// checksNode writes commands, each as a flow list of words, or as a map
// when it has options.
func checksNode(cmds [][]string, opts []CheckOptions) *yaml.Node {
	v := &yaml.Node{Kind: yaml.SequenceNode}
	for i, c := range cmds {
		o := OptionsAt(opts, i)
		if o.IsZero() {
			v.Content = append(v.Content, list(c, true))
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode}
		if len(c) > 0 {
			m.Content = append(m.Content, yamlx.Scalar("argv"), list(c, true))
		}
		if len(o.Ignore) > 0 {
			m.Content = append(m.Content, yamlx.Scalar("ignore"), list(o.Ignore, true))
		}
		if o.ExitOnly {
			m.Content = append(m.Content, yamlx.Scalar("exit_only"), &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
		}
		if o.Probe != "" {
			m.Content = append(m.Content, yamlx.Scalar("probe"), yamlx.Scalar(o.Probe))
		}
		v.Content = append(v.Content, m)
	}
	return v
}
