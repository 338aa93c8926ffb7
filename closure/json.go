package closure

import (
	"encoding/json"

	"github.com/whittle-dev/whittle/internal/text"
)

// MarshalJSON writes Path losslessly, as the report's other names
// (docs/graph-json.md): the path itself when it is valid UTF-8, else
// text.Escape's form and its raw bytes in path_bytes; Message, free text
// that may quote a name, in text.JSONString's form. The Go value keeps
// the raw path.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	return json.Marshal(struct {
		plain
		Path      string `json:"path,omitempty"`
		PathBytes []byte `json:"path_bytes,omitempty"`
		Message   string `json:"message"`
	}{plain(p), text.JSONString(p.Path), text.NonUTF8(p.Path), text.JSONString(p.Message)})
}
