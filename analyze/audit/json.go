package audit

import (
	"encoding/json"

	"github.com/whittle-dev/whittle/internal/text"
)

// The JSON form keeps names lossless (docs/audit-json.md): a name that is
// valid UTF-8 is written as it is; one that is not is written in
// text.Escape's form, so two different names never both become U+FFFD,
// and a <field>_bytes sibling holds its raw bytes in base64. The Go values
// keep the raw names; only their encoding changes, here. Each method
// embeds the type's own fields first and then overrides the name fields,
// which keeps the keys in their documented order.

// MarshalJSON writes Command losslessly.
func (l AuditLayer) MarshalJSON() ([]byte, error) {
	type plain AuditLayer
	return json.Marshal(struct {
		plain
		Command      string `json:"command"`
		CommandBytes []byte `json:"command_bytes,omitempty"`
	}{plain(l), text.JSONString(l.Command), text.NonUTF8(l.Command)})
}

// MarshalJSON writes Path losslessly.
func (p SizedPath) MarshalJSON() ([]byte, error) {
	type plain SizedPath
	return json.Marshal(struct {
		Path      string `json:"path"`
		PathBytes []byte `json:"path_bytes,omitempty"`
		plain
	}{text.JSONString(p.Path), text.NonUTF8(p.Path), plain(p)})
}

// MarshalJSON writes Path losslessly.
func (g WasteGroup) MarshalJSON() ([]byte, error) {
	type plain WasteGroup
	return json.Marshal(struct {
		Path      string `json:"path"`
		PathBytes []byte `json:"path_bytes,omitempty"`
		plain
	}{text.JSONString(g.Path), text.NonUTF8(g.Path), plain(g)})
}

// MarshalJSON writes Paths losslessly: paths_bytes, present when some
// path is not valid UTF-8, holds every path's bytes in the same order.
func (d DuplicateGroup) MarshalJSON() ([]byte, error) {
	type plain DuplicateGroup
	return json.Marshal(struct {
		plain
		Paths      []string `json:"paths"`
		PathsBytes [][]byte `json:"paths_bytes,omitempty"`
	}{plain(d), text.JSONStrings(d.Paths), text.NonUTF8List(d.Paths)})
}
