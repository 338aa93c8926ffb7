// Package yamlx reads hand-written YAML strictly: mappings are checked
// against their known keys (unknown keys are errors with a "did you mean"
// hint, repeated keys are errors), and scalars and lists are read with
// errors that name the key path ("layers.max") and the line. etcgen's
// `etc:` section and the build plan both read through it.
package yamlx

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/whittle-dev/whittle/internal/suggest"
)

// Error is a problem at one key path of a document: "line 3: layers.max:
// want a whole number, got "lots"".
type Error struct {
	Line int
	Path string // dotted key path, "etc.users"; "" for the document itself
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Path, e.Msg)
}

// Errorf returns an *Error at n's line for the key path.
func Errorf(n *yaml.Node, path, format string, args ...any) error {
	return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Join appends key to the dotted path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// CheckKeys rejects a mapping key of n that is not in known, with a hint
// naming the closest known keys (or listing them all when none is close),
// and a key given twice. The error's path is path.key.
func CheckKeys(n *yaml.Node, path string, known []string) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return Errorf(k, path, "keys must be names, got a %s", KindName(k))
		}
		kp := Join(path, k.Value)
		if seen[k.Value] {
			return Errorf(k, kp, "key given twice")
		}
		seen[k.Value] = true
		if !slices.Contains(known, k.Value) {
			hint := suggest.Hint(k.Value, known)
			if hint == "" {
				alt := append([]string(nil), known...)
				sort.Strings(alt)
				hint = " (known keys: " + strings.Join(alt, ", ") + ")"
			}
			return Errorf(k, kp, "unknown key%s", hint)
		}
	}
	return nil
}

// Fields checks the mapping n against known (see CheckKeys) and calls fn
// for each key in document order with the key's dotted path and its value.
// A null n is an empty map; anything else but a map is an error.
func Fields(n *yaml.Node, path string, known []string, fn func(key, path string, v *yaml.Node) error) error {
	if IsNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return Errorf(n, path, "want a map of %s, got a %s", strings.Join(known, ", "), KindName(n))
	}
	if err := CheckKeys(n, path, known); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if err := fn(k, Join(path, k), n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// String reads a scalar as text (numbers and booleans as written).
func String(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		return "", Errorf(n, path, "want a value, got a %s", KindName(n))
	}
	return n.Value, nil
}

// Int reads a whole number.
func Int(n *yaml.Node, path string) (int, error) {
	if n.Kind == yaml.ScalarNode && !IsNull(n) {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v, nil
		}
		return 0, Errorf(n, path, "want a whole number, got %q", n.Value)
	}
	return 0, Errorf(n, path, "want a whole number, got a %s", KindName(n))
}

// Strings reads a list of values. A null is an empty (nil) list.
func Strings(n *yaml.Node, path string) ([]string, error) {
	if IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, Errorf(n, path, "want a list, got a %s", KindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		s, err := String(item, fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// StringMap reads a map of names to values; a null is an empty (nil) map.
func StringMap(n *yaml.Node, path string) (map[string]string, error) {
	if IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, Errorf(n, path, "want a map of names to values, got a %s", KindName(n))
	}
	out := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, Errorf(k, path, "keys must be names, got a %s", KindName(k))
		}
		kp := Join(path, k.Value)
		if _, dup := out[k.Value]; dup {
			return nil, Errorf(k, kp, "key given twice")
		}
		v := n.Content[i+1]
		if IsNull(v) {
			out[k.Value] = ""
			continue
		}
		s, err := String(v, kp)
		if err != nil {
			return nil, err
		}
		out[k.Value] = s
	}
	return out, nil
}

// KindName names a node's kind for messages: map, list, value or alias.
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "map"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "value"
	case yaml.AliasNode:
		return "alias"
	}
	return "node"
}

// FlowList is a list of scalars written in YAML's flow style ([a, b]).
func FlowList(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range items {
		n.Content = append(n.Content, Scalar(s))
	}
	return n
}

// Scalar is a string node; the encoder quotes it when it would otherwise
// read back as another type.
func Scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}
