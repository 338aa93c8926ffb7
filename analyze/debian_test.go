package analyze

import (
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/compress"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestDebianTwoLayers indexes a real Debian root file system (mmdebstrap)
// with a second layer that deletes /usr/share/doc and overwrites
// /etc/services, and checks every total against figures computed
// independently from `tar tv` of the same two tarballs.
func TestDebianTwoLayers(t *testing.T) {
	archive, layer1, layer2 := testfix.DebianTwoLayerArchive(t)
	l1 := testfix.ListTar(t, layer1)
	l2 := testfix.ListTar(t, layer2)

	underDoc := func(p string) bool { return p == "/usr/share/doc" || strings.HasPrefix(p, "/usr/share/doc/") }
	var content, wasted, oldServices int64
	var files, dirs, symlinks, others int
	for _, e := range l1 {
		if e.Type == '-' {
			content += e.Size
			if underDoc(e.Path) {
				wasted += e.Size
			}
			if e.Path == "/etc/services" {
				oldServices = e.Size
			}
		}
		if underDoc(e.Path) || e.Path == "/" {
			continue
		}
		switch e.Type {
		case '-', 'h':
			files++
		case 'd':
			dirs++
		case 'l':
			symlinks++
		default:
			others++
		}
	}
	if oldServices == 0 {
		t.Fatal("the Debian root has no /etc/services")
	}
	wasted += oldServices
	for _, e := range l2 {
		if e.Type == '-' && !strings.Contains(e.Path, ".wh.") {
			content += e.Size
		}
	}
	files++ // /app/hello; /etc/services replaces a file
	dirs++  // /app

	_, ix := openIndexed(t, "docker-archive:"+archive, source.Options{})
	checkEntryPaths(t, ix)
	tot := ix.Totals
	if tot.ContentBytes != content || tot.WastedBytes != wasted || tot.VisibleBytes != content-wasted {
		t.Errorf("content/wasted/visible = %d/%d/%d, tar tv says %d/%d/%d", tot.ContentBytes, tot.WastedBytes, tot.VisibleBytes, content, wasted, content-wasted)
	}
	if tot.Files != files || tot.Dirs != dirs || tot.Symlinks != symlinks || tot.Others != others {
		t.Errorf("files/dirs/symlinks/others = %d/%d/%d/%d, tar tv says %d/%d/%d/%d", tot.Files, tot.Dirs, tot.Symlinks, tot.Others, files, dirs, symlinks, others)
	}
	if got := ix.Layers[0].Compression; got != compress.None {
		t.Errorf("layer 1 compression %s, want none", got)
	}
	if got := ix.Layers[1].Compression; got != compress.Gzip {
		t.Errorf("layer 2 compression %s, want gzip", got)
	}
	if ch := ix.Changes[1]; ch.Removed != 1 || ch.Modified != 1 || ch.RemovedBytes != wasted-oldServices {
		t.Errorf("layer 2 changes %+v, want 1 removed (%d bytes), 1 modified", ch, wasted-oldServices)
	}
	if n := ix.Root.Lookup("/usr/share/doc"); n != nil {
		t.Error("/usr/share/doc is still visible")
	}
	if n := ix.Root.Lookup("/etc/services"); n == nil || n.Content.Size != int64(len(testfix.DebianChangeServices)) || n.Layer != 1 {
		t.Errorf("/etc/services is not layer 2's: %+v", n)
	}
}
