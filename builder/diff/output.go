package diff

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dustin/go-humanize"

	"github.com/whittle-dev/whittle/internal/text"
)

// WriteText writes the rows and totals for a person: one line per path,
// "+" added, "-" removed, "~" changed, with its size ("A → B" when it
// changed), type and what changed; names escaped for the terminal.
func WriteText(w io.Writer, r *Result) error {
	type line struct{ mark, size, rest string }
	lines := make([]line, 0, len(r.Rows))
	width := 0
	for _, row := range r.Rows {
		l := line{}
		switch row.Status {
		case Added:
			l.mark, l.size, l.rest = "+", size(row.After.Size), row.After.Type
		case Removed:
			l.mark, l.size, l.rest = "-", size(row.Before.Size), row.Before.Type
		case Changed:
			l.mark, l.size, l.rest = "~", size(row.After.Size), describe(row)
			if row.Before.Size != row.After.Size {
				l.size = size(row.Before.Size) + " → " + size(row.After.Size)
			}
		}
		l.rest = text.Escape(row.Path) + "  " + l.rest
		width = max(width, utf8.RuneCountInString(l.size))
		lines = append(lines, l)
	}
	for _, l := range lines {
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(l.size))
		if _, err := fmt.Fprintf(w, "%s %s%s  %s\n", l.mark, pad, l.size, l.rest); err != nil {
			return err
		}
	}
	t := r.Totals
	_, err := fmt.Fprintf(w, "%d added (%s), %d removed (%s), %d changed (%s → %s); total %s\n",
		t.Added, size(t.AddedBytes), t.Removed, size(t.RemovedBytes), t.Changed,
		size(t.ChangedBytesBefore), size(t.ChangedBytesAfter), signed(t.Delta))
	return err
}

// describe says what changed: "content, size", "mode 0644 → 0755",
// "owner 0:0 → 1000:1000", "link a → b", "type file → symlink".
func describe(row Row) string {
	a, b := row.Before, row.After
	parts := make([]string, 0, len(row.Changes))
	for _, c := range row.Changes {
		switch c {
		case ChangeType:
			parts = append(parts, "type "+a.Type+" → "+b.Type)
		case ChangeMode:
			parts = append(parts, fmt.Sprintf("mode %04o → %04o", a.Mode, b.Mode))
		case ChangeOwner:
			parts = append(parts, fmt.Sprintf("owner %d:%d → %d:%d", a.UID, a.GID, b.UID, b.GID))
		case ChangeLink:
			parts = append(parts, "link "+linkText(a.Link)+" → "+linkText(b.Link))
		default:
			parts = append(parts, c)
		}
	}
	return b.Type + ": " + strings.Join(parts, ", ")
}

func size(n int64) string { return humanize.Bytes(uint64(n)) }

func signed(n int64) string {
	if n < 0 {
		return "-" + size(-n)
	}
	return "+" + size(n)
}

// JSON is the --json document (docs/diff-json.md).
type JSON struct {
	Schema string    `json:"schema"`
	A      string    `json:"a"`
	B      string    `json:"b"`
	Totals JSONTotal `json:"totals"`
	Rows   []JSONRow `json:"paths"`
}

// JSONTotal is Totals in JSON.
type JSONTotal struct {
	Added              int   `json:"added"`
	Removed            int   `json:"removed"`
	Changed            int   `json:"changed"`
	AddedBytes         int64 `json:"added_bytes"`
	RemovedBytes       int64 `json:"removed_bytes"`
	ChangedBytesBefore int64 `json:"changed_bytes_before"`
	ChangedBytesAfter  int64 `json:"changed_bytes_after"`
	DeltaBytes         int64 `json:"delta_bytes"`
}

// JSONRow is a Row in JSON.
type JSONRow struct {
	Path      string     `json:"path"`
	PathBytes []byte     `json:"path_bytes,omitempty"`
	Status    Status     `json:"status"`
	Changes   []string   `json:"changes"`
	Before    *JSONAttrs `json:"before"`
	After     *JSONAttrs `json:"after"`
}

// JSONAttrs are Attrs in JSON.
type JSONAttrs struct {
	Type      string `json:"type"`
	Size      int64  `json:"size"`
	Mode      string `json:"mode"`
	UID       int    `json:"uid"`
	GID       int    `json:"gid"`
	Link      string `json:"link,omitempty"`
	LinkBytes []byte `json:"link_bytes,omitempty"`
	Hash      string `json:"xxhash64,omitempty"`
}

// ToJSON builds the JSON document for the comparison of refA with refB.
func ToJSON(refA, refB string, r *Result) JSON {
	t := r.Totals
	j := JSON{Schema: "whittle.diff/v1", A: text.JSONString(refA), B: text.JSONString(refB), Rows: []JSONRow{},
		Totals: JSONTotal{Added: t.Added, Removed: t.Removed, Changed: t.Changed, AddedBytes: t.AddedBytes, RemovedBytes: t.RemovedBytes,
			ChangedBytesBefore: t.ChangedBytesBefore, ChangedBytesAfter: t.ChangedBytesAfter, DeltaBytes: t.Delta}}
	for _, row := range r.Rows {
		ch := row.Changes
		if ch == nil {
			ch = []string{}
		}
		j.Rows = append(j.Rows, JSONRow{Path: text.JSONString(row.Path), PathBytes: text.NonUTF8(row.Path), Status: row.Status,
			Changes: ch, Before: jsonAttrs(row.Before), After: jsonAttrs(row.After)})
	}
	return j
}

func jsonAttrs(a *Attrs) *JSONAttrs {
	if a == nil {
		return nil
	}
	j := &JSONAttrs{Type: a.Type, Size: a.Size, Mode: fmt.Sprintf("%04o", a.Mode), UID: a.UID, GID: a.GID,
		Link: text.JSONString(a.Link), LinkBytes: text.NonUTF8(a.Link)}
	if a.Hash != 0 || a.Type == "file" {
		j.Hash = fmt.Sprintf("%016x", a.Hash)
	}
	return j
}

// linkText is a link target for a person: escaped, `""` when there is none.
func linkText(l string) string {
	if l == "" {
		return `""`
	}
	return text.Escape(l)
}
