package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/text"
)

// describe lists rows as "mark path bytes L<layer> notes", the mark being
// the change a layer entry made.
func describe(rows []row) []string {
	var out []string
	for _, r := range rows {
		n := r.n
		mark := map[analyze.Change]string{analyze.ChangeNone: " ", analyze.ChangeAdded: "+", analyze.ChangeModified: "~", analyze.ChangeRemoved: "-"}[n.change]
		s := fmt.Sprintf("%s %s%s %d L%d", mark, strings.Repeat("  ", r.depth), n.path(), n.bytes, n.layer+1)
		if n.deleted {
			s += " deleted"
		}
		if n.opaque {
			s += " opaque"
		}
		if n.hidden > 0 {
			s += fmt.Sprintf(" hides %d", n.hidden)
		}
		out = append(out, s)
	}
	return out
}

// openAll opens every directory of a tree.
func openAll(n *fnode) {
	n.open = true
	for _, c := range n.children {
		openAll(c)
	}
}

func TestLayerTree(t *testing.T) {
	_, ix := testImage(t)
	root := layerTree(ix, 2)
	openAll(root)
	want := []string{
		"+ /app 3300 L3",
		"+   /app/LICENSE.txt 3000 L3",
		"+   /app/config.toml 300 L3",
		"~ /etc 210 L3",
		"~   /etc/os-release 210 L3 hides 200",
		"~ /usr 0 L3",
		"~   /usr/share 0 L3",
		"~     /usr/share/doc 0 L3 opaque hides 7000",
		"~ /var 4750000 L3",
		"~   /var/cache 4750000 L3",
		"-     /var/cache/apt 4750000 L3 deleted hides 4750000",
	}
	if got := describe(flatten(root, false, false)); !slices.Equal(got, want) {
		t.Errorf("layer 3 by name:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	root = layerTree(ix, 1)
	openAll(root)
	want = []string{
		"~ /etc 530 L2",
		"~   /etc/passwd 530 L2 hides 512",
		"~ /usr 2558000 L2",
		"+   /usr/bin 2500000 L2",
		"+     /usr/bin/python3 0 L2",
		"+     /usr/bin/python3.12 2500000 L2",
		"~   /usr/lib 55000 L2",
		"+     /usr/lib/python3.12 55000 L2",
		"+       /usr/lib/python3.12/LICENSE.txt 3000 L2",
		"+       /usr/lib/python3.12/json 12000 L2",
		"+         /usr/lib/python3.12/json/__init__.py 12000 L2",
		"+       /usr/lib/python3.12/os.py 40000 L2",
		"~   /usr/share 3000 L2",
		"~     /usr/share/doc 3000 L2",
		"+       /usr/share/doc/python3 3000 L2",
		"+         /usr/share/doc/python3/copyright 3000 L2",
		"~ /var 3000000 L2",
		"~   /var/cache 3000000 L2",
		"~     /var/cache/apt 3000000 L2",
		"+       /var/cache/apt/archives 3000000 L2",
		"+         /var/cache/apt/archives/python3.deb 3000000 L2",
	}
	if got := describe(flatten(root, false, false)); !slices.Equal(got, want) {
		t.Errorf("layer 2 by name:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMergedTree(t *testing.T) {
	_, ix := testImage(t)
	root := mergedTree(ix.Root)
	openAll(root)
	want := []string{
		"  /usr 4455000 L3",
		"    /usr/bin 2500000 L2",
		"      /usr/bin/python3.12 2500000 L2",
		"      /usr/bin/python3 0 L2",
		"    /usr/lib 1955000 L2",
		"      /usr/lib/libc.so.6 1800000 L1",
		"      /usr/lib/libz.so.1.3 100000 L1",
		"      /usr/lib/python3.12 55000 L2",
		"        /usr/lib/python3.12/os.py 40000 L2",
		"        /usr/lib/python3.12/json 12000 L2",
		"          /usr/lib/python3.12/json/__init__.py 12000 L2",
		"        /usr/lib/python3.12/LICENSE.txt 3000 L2",
		"      /usr/lib/libz.so.1 0 L1",
		"    /usr/share 0 L3",
		"      /usr/share/doc 0 L3",
		"  /bin 120000 L1",
		"    /bin/busybox 120000 L1",
		"    /bin/sh 0 L1",
		"  /app 3300 L3",
		"    /app/LICENSE.txt 3000 L3",
		"    /app/config.toml 300 L3",
		"  /etc 740 L3",
		"    /etc/passwd 530 L2",
		"    /etc/os-release 210 L3",
		"  /tmp 0 L1",
		"  /var 0 L3",
		"    /var/cache 0 L3",
	}
	if got := describe(flatten(root, true, false)); !slices.Equal(got, want) {
		t.Errorf("merged by size:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestFilter(t *testing.T) {
	_, ix := testImage(t)
	root := mergedTree(ix.Root)
	markMatches(root, "python")
	want := []string{
		"  /usr 4455000 L3",
		"    /usr/bin 2500000 L2",
		"      /usr/bin/python3 0 L2",
		"      /usr/bin/python3.12 2500000 L2",
		"    /usr/lib 1955000 L2",
		"      /usr/lib/python3.12 55000 L2",
	}
	rows := flatten(root, false, true)
	if got := describe(rows); !slices.Equal(got, want) {
		t.Errorf("filtered:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A matching directory opens to everything in it; the unfiltered
	// tree keeps its own open directories (none).
	rows[5].n.setOpen(true, true)
	if got := len(flatten(root, false, true)); got != 9 {
		t.Errorf("after opening python3.12: %d rows, want 9 (LICENSE.txt, json/ closed, os.py)", got)
	}
	if got := describe(flatten(root, false, false)); len(got) != 6 || got[0] != "  /app 3300 L3" {
		t.Errorf("unfiltered after filtering:\n%s", strings.Join(got, "\n"))
	}
	// Text spanning a slash matches the whole path.
	markMatches(root, "lib/libz")
	if got := describe(flatten(root, false, true)); !slices.Equal(got, []string{
		"  /usr 4455000 L3", "    /usr/lib 1955000 L2", "      /usr/lib/libz.so.1 0 L1", "      /usr/lib/libz.so.1.3 100000 L1",
	}) {
		t.Errorf("lib/libz:\n%s", strings.Join(got, "\n"))
	}
	markMatches(root, "nothing-has-this")
	if got := flatten(root, false, true); len(got) != 0 {
		t.Errorf("no match: %d rows", len(got))
	}
}

func TestGroupWaste(t *testing.T) {
	_, ix := testImage(t)
	want := []wasteGroup{
		{path: "/var/cache/apt", reason: analyze.ReasonDeleted, stored: 1, by: 2, files: 1, bytes: 3000000},
		{path: "/var/cache/apt", reason: analyze.ReasonDeleted, stored: 0, by: 2, files: 2, bytes: 1750000},
		{path: "/usr/share/doc", reason: analyze.ReasonOpaque, stored: 0, by: 2, files: 1, bytes: 4000},
		{path: "/usr/share/doc", reason: analyze.ReasonOpaque, stored: 1, by: 2, files: 1, bytes: 3000},
		{path: "/etc/passwd", reason: analyze.ReasonOverwritten, stored: 0, by: 1, files: 1, bytes: 512},
		{path: "/etc/os-release", reason: analyze.ReasonOverwritten, stored: 0, by: 2, files: 1, bytes: 200},
	}
	if got := groupWaste(ix.Wasted); !slices.Equal(got, want) {
		t.Errorf("groups:\n%+v\nwant:\n%+v", got, want)
	}
}

func TestLargestFiles(t *testing.T) {
	_, ix := testImage(t)
	var got []string
	for _, e := range largestFiles(ix.Layers[1], 4) {
		got = append(got, fmt.Sprintf("%s %d", e.Path, e.Size))
	}
	want := []string{"/var/cache/apt/archives/python3.deb 3000000", "/usr/bin/python3.12 2500000", "/usr/lib/python3.12/os.py 40000", "/usr/lib/python3.12/json/__init__.py 12000"}
	if !slices.Equal(got, want) {
		t.Errorf("largest:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Equal sizes keep tar order.
	got = got[:0]
	for _, e := range largestFiles(ix.Layers[1], 10)[4:6] {
		got = append(got, e.Path)
	}
	if !slices.Equal(got, []string{"/usr/lib/python3.12/LICENSE.txt", "/usr/share/doc/python3/copyright"}) {
		t.Errorf("ties: %q", got)
	}
}

func TestText(t *testing.T) {
	const store = "bypryc62wgrb6y1z5qm5242rb82q6h1q-python3-3.12.4"
	for _, c := range []struct{ got, want string }{
		{abbrevStoreName(store), "bypryc6…-python3-3.12.4"},
		{abbrevStoreName("not-a-store-path-but-quite-long-enough-to-be"), "not-a-store-path-but-quite-long-enough-to-be"},
		{shortName(store+"/", 60), store + "/"},
		{shortName(store+"/", 30), "bypryc6…-python3-3.12.4/"},
		{shortName(store+"/", 16), "bypry…n3-3.12.4/"},
		{shortName("a-very-long-file-name-indeed.tar.gz", 20), "a-very…indeed.tar.gz"},
		{shortPath("/nix/store/"+store+"/lib/python3.12/test", 80), "/nix/store/" + store + "/lib/python3.12/test"},
		{shortPath("/nix/store/"+store+"/lib/python3.12/test", 60), "/nix/store/bypryc6…-python3-3.12.4/lib/python3.12/test"},
		{shortPath("/nix/store/"+store+"/lib/python3.12/test", 40), "…yc6…-python3-3.12.4/lib/python3.12/test"},
		{clipLeft("/a/b/c/d", 5), "…/c/d"},
		{clip("abcdef", 4), "abc…"},
		{text.Escape("evil\x1b[2J\tname"), `evil\x1b[2J\tname`},
		{text.Escape("plain ünïcode"), "plain ünïcode"},
		{strings.Join(wrap("one two three four", 9), "|"), "one two|three|four"},
		{strings.Join(wrap("abcdefghijkl xy", 5), "|"), "abcde|fghij|kl xy"},
		{shortCommand("/bin/sh -c #(nop)  CMD [\"sh\"]"), `CMD ["sh"]`},
		{shortCommand("/bin/sh -c apt-get  update"), "RUN apt-get update"},
		{shortCommand("RUN /bin/sh -c make # buildkit"), "RUN make # buildkit"},
		{shortCommand(""), "(no history)"},
		{shortDigest("sha256:0123456789abcdef"), "0123456789ab"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
