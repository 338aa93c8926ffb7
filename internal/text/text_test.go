package text

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"/usr/bin/python3", "/usr/bin/python3"},
		{"plain ünïcode 日本語 🙂", "plain ünïcode 日本語 🙂"},
		{`say "hi"`, `say "hi"`},
		{`C:\dir`, `C:\\dir`},
		{`a\x1b`, `a\\x1b`}, // a literal backslash-x is not an escape
		{"evil\x1b[2J\tname", `evil\x1b[2J\tname`},
		{"\x1b]0;title\a", `\x1b]0;title\a`},
		{"x\nPASS", `x\nPASS`},
		{"\r\b\f\v\x00\x01\x1f", `\r\b\f\v\x00\x01\x1f`},
		{"del\x7f", `del\x7f`},
		{"caf\xe9", `caf\xe9`},
		{"caf\xe8", `caf\xe8`},
		{"\xff\xfe", `\xff\xfe`},
		{"\xe2\x82", `\xe2\x82`},                 // a truncated sequence: two bytes
		{"\xc0\xaf", `\xc0\xaf`},                 // an overlong encoding of '/'
		{"\xed\xa0\x80", `\xed\xa0\x80`},         // an encoded surrogate
		{"c1\u0085\u009b", `c1\u0085\u009b`},     // C1 controls (NEL, CSI)
		{"\u202eevil\u2066", `\u202eevil\u2066`}, // bidirectional overrides
		{"a\u2028b", `a\u2028b`},                 // line separator
		{"\U000f0000", `\U000f0000`},             // private use
		{"\ufffd", "\ufffd"},                     // a real U+FFFD is printable
		{"nbsp\u00a0", `nbsp\u00a0`},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestEscapeDistinct checks that names that differ escape differently,
// including the pairs a lossy scheme would merge.
func TestEscapeDistinct(t *testing.T) {
	names := []string{"caf\xe9", "caf\xe8", "caf\ufffd", `caf\xe9`, "caf\u00e9", "a\nb", `a\nb`, "a\x1bb", `a\x1bb`, "\u0085", `\u0085`, "\xc2\x85"[:1]}
	seen := map[string]string{}
	for _, n := range names {
		e := Escape(n)
		if prev, ok := seen[e]; ok {
			t.Errorf("%q and %q both escape to %q", prev, n, e)
		}
		seen[e] = n
	}
}

func TestDOT(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{[]string{"libc6"}, `"libc6"`},
		{[]string{"libc6", "self 1 kB, added 2 kB"}, `"libc6\nself 1 kB, added 2 kB"`},
		{[]string{`say "hi"`}, `"say \"hi\""`},
		{[]string{`back\slash`}, `"back\\\\slash"`}, // graphviz shows back\\slash, as Escape
		{[]string{"evil\x1b[7m\nname"}, `"evil\\x1b[7m\\nname"`},
		{[]string{"caf\xe9"}, `"caf\\xe9"`},
		{[]string{"ünï"}, `"ünï"`},
	} {
		if got := DOT(c.in...); got != c.want {
			t.Errorf("DOT(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	type named struct {
		Name      string `json:"name"`
		NameBytes []byte `json:"name_bytes,omitempty"`
	}
	for _, c := range []struct{ in, want string }{
		{"/usr/bin/env", `{"name":"/usr/bin/env"}`},
		{"esc\x1b[7m", `{"name":"esc\u001b[7m"}`},
		{`back\slash`, `{"name":"back\\slash"}`},
		{"caf\xe9", `{"name":"caf\\xe9","name_bytes":"Y2Fm6Q=="}`},
		{"caf\xe8", `{"name":"caf\\xe8","name_bytes":"Y2Fm6A=="}`},
	} {
		got, err := json.Marshal(named{JSONString(c.in), NonUTF8(c.in)})
		if err != nil || string(got) != c.want {
			t.Errorf("%q: got %s, %v; want %s", c.in, got, err, c.want)
		}
		var back named
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		orig := back.Name
		if back.NameBytes != nil {
			orig = string(back.NameBytes)
		}
		if orig != c.in {
			t.Errorf("%q: decoded back as %q", c.in, orig)
		}
	}
}

func TestJSONLists(t *testing.T) {
	valid := []string{"/a", "/b"}
	if got := NonUTF8List(valid); got != nil {
		t.Errorf("NonUTF8List(valid) = %q", got)
	}
	if got := JSONStrings(valid); &got[0] != &valid[0] {
		t.Errorf("JSONStrings(valid) copied")
	}
	mixed := []string{"/a", "/caf\xe9"}
	if got := JSONStrings(mixed); got[0] != "/a" || got[1] != `/caf\xe9` {
		t.Errorf("JSONStrings(mixed) = %q", got)
	}
	raw := NonUTF8List(mixed)
	if len(raw) != 2 || string(raw[0]) != "/a" || string(raw[1]) != "/caf\xe9" {
		t.Errorf("NonUTF8List(mixed) = %q", raw)
	}
	if s := base64.StdEncoding.EncodeToString(raw[1]); s != "L2NhZuk=" {
		t.Errorf("base64 = %s", s)
	}
}

func TestEscapeNoAlloc(t *testing.T) {
	s := "/usr/share/zoneinfo/Europe/Rīga"
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("Escape of a clean name allocates %v times", n)
	}
}

func TestSafe(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"", true},
		{"services: [http, https]", true},
		{`- "a\e"`, true}, // YAML's own escape: backslashes alone are safe
		{"ünï 日本", true},
		{"a\x1bb", false},
		{"a\tb", false},
		{"nel\u0085", false},
		{"\u202e", false},
		{"caf\xe9", false},
		{`\`, true},
		{`\` + "\x7f", false},
	} {
		if got := Safe(c.in); got != c.want {
			t.Errorf("Safe(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{{0, "file", "0 files"}, {1, "file", "1 file"}, {2, "error", "2 errors"}, {300000, "file", "300000 files"}} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

// TestEscapeGlobs: a glob's backslashes print as the plan holds them;
// what a terminal would act on is escaped as Escape does.
func TestEscapeGlobs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`/usr/bin/\[`, `/usr/bin/\[`},
		{`drop it (plan drop: /a\\b, /c\*)`, `drop it (plan drop: /a\\b, /c\*)`},
		{"/tmp/\x1b[2J", `/tmp/\x1b[2J`},
		{"\\\n\xff", `\\n\xff`},
		{"plain", "plain"},
	} {
		if got := EscapeGlobs(c.in); got != c.want {
			t.Errorf("EscapeGlobs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
