package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/tarsparse"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// genFile is one regular file of a generated layer: size bytes of fill.
type genFile struct {
	name string
	size int64
	fill byte
}

// genLayer streams a tar of the files (each with its parent directories
// implied) through gzip, as a layer blob: it never holds a file's
// content, so a small blob can expand to gigabytes. It returns the blob
// and the tar's diff ID.
func genLayer(t testing.TB, files []genFile) ([]byte, string) {
	t.Helper()
	var blob bytes.Buffer
	zw, err := gzip.NewWriterLevel(&blob, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(zw, diff))
	chunk := make([]byte, 1<<20)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: f.size, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
		for i := range chunk {
			chunk[i] = f.fill
		}
		for left := f.size; left > 0; {
			n := min(left, int64(len(chunk)))
			if _, err := tw.Write(chunk[:n]); err != nil {
				t.Fatal(err)
			}
			left -= n
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return blob.Bytes(), "sha256:" + hex.EncodeToString(diff.Sum(nil))
}

// openLayers opens layer blobs (gzip or plain tars) with their diff IDs
// as an in-memory image and indexes it.
func openLayers(t testing.TB, blobs [][]byte, ids []string) (*source.Image, *analyze.Index) {
	t.Helper()
	raw, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": ids},
	})
	im, err := source.Memory("demo:stream", raw, blobs)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}

func keepAll(*analyze.Node) bool { return true }

// builtFiles reads a built image's single layer back with archive/tar:
// each entry as "name type size", and each regular file's content as the
// count of bytes other than want[name]'s fill byte.
func builtFiles(t *testing.T, res *Result, fill map[string]byte) []string {
	t.Helper()
	if ls, err := res.Image.Layers(); err != nil || len(ls) != 1 {
		t.Fatalf("layers: %d, %v", len(ls), err)
	}
	var out []string
	buf := make([]byte, 1<<20)
	testfix.EachLayerEntry(t, res.Image, func(_ int, hdr *tar.Header, content io.Reader) {
		row := fmt.Sprintf("%s %c %d", hdr.Name, hdr.Typeflag, hdr.Size)
		if hdr.Typeflag == tar.TypeReg {
			odd := 0
			for {
				n, err := content.Read(buf)
				odd += n - bytes.Count(buf[:n], []byte{fill[hdr.Name]})
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			row += fmt.Sprintf(" odd=%d", odd)
		}
		out = append(out, row)
	})
	return out
}

// TestGzipBomb: a 2 MB gzip layer expanding to 2 GiB of zeros in
// one file, or to many files the build needs in another order than the
// layer holds them, builds (in bounded memory: see BenchmarkGzipBomb) and
// holds exactly those files.
func TestGzipBomb(t *testing.T) {
	var many []genFile
	for i := 63; i >= 0; i-- { // reverse order: the writer wants them sorted
		many = append(many, genFile{name: fmt.Sprintf("data/f%02d", i), size: 4 << 20, fill: byte(i % 2 * 'x')})
	}
	for _, tc := range []struct {
		name  string
		files []genFile
	}{
		{"one file", []genFile{{name: "zeros", size: 2 << 30}}},
		{"many files", many},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blob, id := genLayer(t, tc.files)
			if len(blob) > 10<<20 {
				t.Fatalf("bomb blob is %d bytes", len(blob))
			}
			im, ix := openLayers(t, [][]byte{blob}, []string{id})
			res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: keepAll})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			fill := map[string]byte{}
			var want []string
			for _, f := range tc.files {
				fill[f.name] = f.fill
				want = append(want, fmt.Sprintf("%s 0 %d odd=0", f.name, f.size))
			}
			if len(tc.files) > 1 {
				want = append(want, "data/ 5 0")
			}
			sort.Strings(want)
			got := builtFiles(t, res, fill)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("built:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// deepTree is a layer of depth nested directories "d" (modes 0755 and
// 0750 in turn, owned by their depth) holding one file at the bottom.
func deepTree(t testing.TB, depth int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	p := ""
	for i := 0; i < depth; i++ {
		p += "d/"
		if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeDir, Mode: 0o755 - int64(i%2)*0o5, Uid: i, Gid: i, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: p + "f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3, Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("abc"))
	tw.Close()
	return buf.Bytes()
}

// TestDeepTree: 10,000 nested directories build (in linear time: see
// BenchmarkDeepTree), keeping only the file at the bottom; the layer
// holds exactly every directory above it, with its own metadata.
func TestDeepTree(t *testing.T) {
	for _, depth := range []int{1, 3, 10000} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			im, ix := srcImage(t, deepTree(t, depth))
			leaf := strings.Repeat("/d", depth) + "/f"
			res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: func(n *analyze.Node) bool { return n.Path() == leaf }})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			var want []string
			p := ""
			for i := 0; i < depth; i++ {
				p += "d/"
				want = append(want, fmt.Sprintf("%s 5 %s %d %d  0", p, octal(0o755-int64(i%2)*0o5), i, i))
			}
			want = append(want, p+"f 0 0644 0 0  3")
			got := layerEntries(t, res.Image)
			if len(got) != 1 || strings.Join(got[0], "\n") != strings.Join(want, "\n") {
				t.Errorf("%d layers; first entries %q, want %q", len(got), head(got), want[:min(3, len(want))])
			}
			if len(res.Kept) != depth+1 || len(res.Removed) != 0 {
				t.Errorf("kept %d paths, removed %d", len(res.Kept), len(res.Removed))
			}
		})
	}
}

func head(ls [][]string) []string {
	if len(ls) == 0 {
		return nil
	}
	return ls[0][:min(3, len(ls[0]))]
}

// TestCancel: a build cancelled while it reads the source returns
// context.Canceled and leaves nothing behind: no layer, no spool, no
// temporary directory, with a layer cache or without.
func TestCancel(t *testing.T) {
	var files []genFile
	for i := 31; i >= 0; i-- {
		files = append(files, genFile{name: fmt.Sprintf("f%02d", i), size: 8 << 20, fill: byte(i)})
	}
	blob, id := genLayer(t, files)
	im, ix := openLayers(t, [][]byte{blob}, []string{id})
	for _, tc := range []struct {
		name  string
		cache bool
		stage string
	}{
		{"reading, no cache", false, "reading"},
		{"reading, cache", true, "reading"},
		{"before reading", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			spec := Spec{Source: im, Index: ix, Keep: keepAll, Strategy: Popularity,
				Group: func(p string) string { return p[:2] }}
			if tc.cache {
				spec.Cache = tmp + "/cache"
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events := 0
			spec.Progress = func(e Event) {
				if e.Stage == tc.stage || tc.stage == "" {
					events++
					cancel()
				}
			}
			if tc.stage == "" {
				cancel()
			}
			res, err := Build(ctx, spec)
			if !errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("cancelled build: %v, result %v", err, res)
			}
			if events == 0 && tc.stage != "" {
				t.Error("never reached the stage to cancel in")
			}
			var left []string
			filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
				if p != tmp && p != spec.Cache {
					left = append(left, p[len(tmp):])
				}
				return nil
			})
			if len(left) > 0 {
				t.Errorf("left behind: %q", left)
			}
		})
	}
}

// sparseSource is a layer holding sparse files, written as GNU tar's PAX
// sparse 1.0 (archive/tar reads sparse files but cannot write them), and
// a dense file beside them.
func sparseSource(t *testing.T, files map[string]sparseSpec) []byte {
	t.Helper()
	var rf []reprotar.File
	for name, sp := range files {
		sp := sp
		rf = append(rf, reprotar.File{Path: name, Kind: reprotar.Regular, Mode: 0o600, UID: 5, GID: 6, Size: sp.size,
			Open: func() (reprotar.Content, error) {
				var data bytes.Buffer
				for _, f := range sp.frags {
					data.Write(bytes.Repeat([]byte{sp.fill}, int(f.Length)))
				}
				return reprotar.Content{R: &data, Sparse: sp.frags, Xattrs: map[string]string{"user.sparse": "yes"}}, nil
			}})
	}
	rf = append(rf, reprotar.File{Path: "/dense", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("dense")})
	b, err := reprotar.Bytes(rf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type sparseSpec struct {
	size  int64
	frags []reprotar.Fragment
	fill  byte
}

// TestSparse: an image of a few kilobytes holding a 1 TiB sparse file
// builds (in seconds and little memory: see BenchmarkSparse), and the
// layer holds it sparse: the same size, fragments and data, the holes
// costing nothing.
func TestSparse(t *testing.T) {
	const tib = 1 << 40
	files := map[string]sparseSpec{
		"/disk.img": {size: tib, frags: []reprotar.Fragment{{Offset: 0, Length: 5}, {Offset: tib / 2, Length: 8192}, {Offset: tib - 100, Length: 100}}, fill: 'x'},
		"/holes":    {size: tib, frags: []reprotar.Fragment{}, fill: 0},
		"/edge":     {size: 1 << 20, frags: []reprotar.Fragment{{Offset: 1<<20 - 1, Length: 1}}, fill: 'e'},
	}
	src := sparseSource(t, files)
	if len(src) > 64<<10 {
		t.Fatalf("source layer is %d bytes", len(src))
	}
	im, ix := srcImage(t, src)
	for _, cache := range []string{"", t.TempDir()} {
		res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: keepAll, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		if res.Layers[0].TarBytes > 64<<10 {
			t.Errorf("built layer is %d tar bytes", res.Layers[0].TarBytes)
		}
		ls, _ := res.Image.Layers()
		rc, err := ls[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tarsparse.NewReader(rc)
		var got []string
		for {
			hdr, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			frags, sparse := tr.Sparse()
			data, err := io.ReadAll(tr.Data())
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %o %d:%d size=%d sparse=%v frags=%v data=%q xattr=%q", hdr.Name, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Size, sparse, frags, summarise(data), hdr.PAXRecords["SCHILY.xattr.user.sparse"]))
		}
		rc.Close()
		want := []string{
			`dense 644 0:0 size=5 sparse=false frags=[] data="dense" xattr=""`,
			`disk.img 600 5:6 size=1099511627776 sparse=true frags=[{0 5} {549755813888 8192} {1099511627676 100}] data="8297×x" xattr="yes"`,
			`edge 600 5:6 size=1048576 sparse=true frags=[{1048575 1}] data="1×e" xattr="yes"`,
			`holes 600 5:6 size=1099511627776 sparse=true frags=[] data="" xattr="yes"`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("cache %q, built:\n%s\nwant:\n%s", cache, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// summarise shows a run of one byte as "N×b".
func summarise(b []byte) string {
	if len(b) > 0 && bytes.Count(b, b[:1]) == len(b) {
		return fmt.Sprintf("%d×%c", len(b), b[0])
	}
	return string(b)
}

// TestSharedContent: one content in two layers (hardlinked paths in two
// groups) and contents the writers want in another order than the source
// holds them: each layer holds every byte, whichever way the feed handed
// it over (straight from the source, teed to the spool, or from the
// spool).
func TestSharedContent(t *testing.T) {
	im, ix := srcImage(t, srcTar(t,
		entry{name: "b/z", typ: tar.TypeReg, mode: 0o644, data: "last"},
		entry{name: "a/x", typ: tar.TypeReg, mode: 0o644, data: "shared"},
		entry{name: "b/y", typ: tar.TypeLink, link: "a/x"},
		entry{name: "a/w", typ: tar.TypeReg, mode: 0o644, data: "first"},
	))
	res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: keepAll, Strategy: Popularity,
		Group: func(p string) string { return p[:2] }})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	ls, _ := res.Image.Layers()
	rows := make([][]string, len(ls))
	testfix.EachLayerEntry(t, res.Image, func(layer int, hdr *tar.Header, content io.Reader) {
		b, _ := io.ReadAll(content)
		rows[layer] = append(rows[layer], hdr.Name+"="+string(b))
	})
	var got []string
	for _, row := range rows {
		got = append(got, strings.Join(row, " "))
	}
	sort.Strings(got)
	want := []string{"a/= a/w=first a/x=shared", "b/= b/y=shared b/z=last"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("layers %q, want %q", got, want)
	}
}

// TestSparseGNUTarFormats: a sparse file GNU tar stores in each of its
// sparse formats (old GNU, PAX 0.0, 0.1 and 1.0) is built sparse, with
// the fragments and data GNU tar stored.
func TestSparseGNUTarFormats(t *testing.T) {
	if testing.Short() {
		t.Skip("runs GNU tar")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "root")
	os.MkdirAll(src, 0o755)
	f, err := os.Create(filepath.Join(src, "disk.img"))
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	f.WriteAt([]byte("head"), 0)
	f.WriteAt(bytes.Repeat([]byte("m"), 8192), 32<<20)
	f.WriteAt([]byte("tail"), size-4)
	f.Close()
	for _, format := range [][]string{
		{"--format=gnu"},
		{"--format=posix", "--sparse-version=0.0"},
		{"--format=posix", "--sparse-version=0.1"},
		{"--format=posix", "--sparse-version=1.0"},
	} {
		t.Run(strings.Join(format, " "), func(t *testing.T) {
			archive := filepath.Join(dir, "x.tar")
			args := append([]string{"--sparse", "-C", src, "-cf", archive}, format...)
			if out, err := exec.Command("tar", append(args, "disk.img")...).CombinedOutput(); err != nil {
				t.Fatalf("tar: %v: %s", err, out)
			}
			want := sparseEntries(t, mustOpen(t, archive))
			if !strings.Contains(want[0], "sparse=true") {
				t.Fatalf("GNU tar stored %s", want[0])
			}
			im, ix := testopen.Indexed(t, "rootfs-tar:"+archive)
			res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: keepAll})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			ls, _ := res.Image.Layers()
			rc, err := ls[0].Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if got := sparseEntries(t, rc); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("built:\n%s\nGNU tar stored:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func mustOpen(t *testing.T, p string) io.Reader {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sparseEntries lists a tar's regular files: name, size, whether sparse,
// fragments and a digest of the stored data.
func sparseEntries(t *testing.T, r io.Reader) []string {
	t.Helper()
	tr := tarsparse.NewReader(r)
	var out []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeGNUSparse {
			continue
		}
		frags, sparse := tr.Sparse()
		h := sha256.New()
		n, err := io.Copy(h, tr.Data())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s size=%d sparse=%v frags=%v stored=%d sha256=%x", path.Clean(hdr.Name), hdr.Size, sparse, frags, n, h.Sum(nil)[:8]))
	}
}
