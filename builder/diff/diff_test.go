package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// indexed writes files as a one-layer docker archive, opens it through
// source.Open and indexes it, as `whittle diff` does.
func indexed(t *testing.T, files []reprotar.File) *analyze.Index {
	t.Helper()
	l, err := reprotar.Layer(files)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "img.tar")
	tag, _ := name.NewTag("x:1")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
	im, err := source.Open(context.Background(), "docker-archive:"+path, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func file(p string, mode int64, data string) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: mode, Data: []byte(data)}
}

func imageA(t *testing.T) *analyze.Index {
	return indexed(t, []reprotar.File{
		{Path: "/app", Kind: reprotar.Dir, Mode: 0o755},
		file("/app/run", 0o755, "echo a\n"),
		file("/app/old", 0o644, "old"),
		file("/etc/hostname", 0o644, "a\n"),
		file("/etc/conf", 0o644, "x"),
		{Path: "/link", Kind: reprotar.Symlink, Mode: 0o777, Link: "/app/run"},
		file("/same", 0o644, "same"),
	})
}

func imageB(t *testing.T) *analyze.Index {
	return indexed(t, []reprotar.File{
		{Path: "/app", Kind: reprotar.Dir, Mode: 0o700, UID: 1000, GID: 1000},
		file("/app/run", 0o755, "echo bb\n"),
		file("/app/new", 0o644, "new!"),
		file("/app/bad\x1bname\xff", 0o644, "evil"),
		file("/etc/hostname", 0o644, "b\n"),
		{Path: "/etc/conf", Kind: reprotar.Symlink, Mode: 0o777, Link: "hostname"},
		{Path: "/link", Kind: reprotar.Symlink, Mode: 0o777, Link: "/app/new"},
		file("/same", 0o644, "same"),
		{Path: "/var/empty", Kind: reprotar.Dir, Mode: 0o755},
	})
}

func TestCompare(t *testing.T) {
	r := Compare(imageA(t), imageB(t))
	type row struct {
		Path    string
		Status  Status
		Size    int64
		Changes []string
	}
	var got []row
	for _, x := range r.Rows {
		got = append(got, row{x.Path, x.Status, x.Size(), x.Changes})
	}
	want := []row{
		{"/app", Changed, 0, []string{"mode", "owner"}},
		{"/app/bad\x1bname\xff", Added, 4, nil},
		{"/app/new", Added, 4, nil},
		{"/app/old", Removed, 3, nil},
		{"/app/run", Changed, 8, []string{"content", "size"}},
		{"/etc/conf", Changed, 0, []string{"type", "content", "size", "mode", "link"}},
		{"/etc/hostname", Changed, 2, []string{"content"}},
		{"/link", Changed, 0, []string{"link"}},
		{"/var", Added, 0, nil},
		{"/var/empty", Added, 0, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", got, want)
	}
	wantTotals := Totals{Added: 4, Removed: 1, Changed: 5, AddedBytes: 8, RemovedBytes: 3, ChangedBytesBefore: 7 + 1 + 2, ChangedBytesAfter: 8 + 0 + 2, Delta: 8 - 3 + 10 - 10}
	if r.Totals != wantTotals {
		t.Errorf("totals:\n got %+v\nwant %+v", r.Totals, wantTotals)
	}

	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	wantText := `~       0 B  /app  dir: mode 0755 → 0700, owner 0:0 → 1000:1000
+       4 B  /app/bad\x1bname\xff  file
+       4 B  /app/new  file
-       3 B  /app/old  file
~ 7 B → 8 B  /app/run  file: content, size
~ 1 B → 0 B  /etc/conf  symlink: type file → symlink, content, size, mode 0644 → 0777, link "" → hostname
~       2 B  /etc/hostname  file: content
~       0 B  /link  symlink: link /app/run → /app/new
+       0 B  /var  dir
+       0 B  /var/empty  dir
4 added (8 B), 1 removed (3 B), 5 changed (10 B → 10 B); total +5 B
`
	if buf.String() != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", buf.String(), wantText)
	}

	j := ToJSON("docker-archive:a.tar", "oci:b", r)
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(b, &doc)
	if len(j.Rows) != 10 {
		t.Fatalf("paths: %d", len(j.Rows))
	}
	bad, _ := json.Marshal(j.Rows[1])
	if want := `{"path":"/app/bad\\x1bname\\xff","path_bytes":"L2FwcC9iYWQbbmFtZf8=","status":"added","changes":[],"before":null,"after":{"type":"file","size":4,"mode":"0644","uid":0,"gid":0,"xxhash64":"` + hashHex(r.Rows[1].After.Hash) + `"}}`; string(bad) != want {
		t.Errorf("hostile row:\n got %s\nwant %s", bad, want)
	}
	tot, _ := json.Marshal(j.Totals)
	if want := `{"added":4,"removed":1,"changed":5,"added_bytes":8,"removed_bytes":3,"changed_bytes_before":10,"changed_bytes_after":10,"delta_bytes":5}`; string(tot) != want {
		t.Errorf("totals JSON:\n got %s\nwant %s", tot, want)
	}
	if doc["schema"] != "whittle.diff/v1" || doc["a"] != "docker-archive:a.tar" || doc["b"] != "oci:b" {
		t.Errorf("header: %v %v %v", doc["schema"], doc["a"], doc["b"])
	}
}

func TestSameImage(t *testing.T) {
	r := Compare(imageA(t), imageA(t))
	if len(r.Rows) != 0 || r.Totals != (Totals{}) {
		t.Errorf("an image differs from itself: %+v", r)
	}
	var buf bytes.Buffer
	WriteText(&buf, r)
	if want := "0 added (0 B), 0 removed (0 B), 0 changed (0 B → 0 B); total +0 B\n"; buf.String() != want {
		t.Errorf("text %q", buf.String())
	}
}

func hashHex(h uint64) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 16)
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&15]
		h >>= 4
	}
	return string(b)
}
