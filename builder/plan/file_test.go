package plan

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// TestLoadHostileFile: a plan path that is a device, a FIFO with no
// writer, a directory or an over-size file is an error at once naming
// the file, never a read without end or a wait.
func TestLoadHostileFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "plan.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("source: demo:\n"+strings.Repeat("#", MaxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
	}{
		{"/dev/zero", "reading the plan /dev/zero: not a regular file (a character device)"},
		{fifo, "reading the plan " + fifo + ": not a regular file (a FIFO)"},
		{dir, "reading the plan " + dir + ": is a directory, not a plan file"},
		{big, "reading the plan " + big + ": 16777230 bytes, more than the 16 MiB a plan may have"},
		{filepath.Join(dir, "missing.yaml"), "reading the plan " + filepath.Join(dir, "missing.yaml") + ": "},
	}
	for _, tt := range tests {
		_, err := Load(tt.path)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Load(%s): %v, want %q", tt.path, err, tt.want)
		}
	}
}

// TestLoadRelativePaths: local paths in source:, from: and outputs:
// are the plan file's, whatever directory whittle runs in; absolute
// paths, registry references and bare names that are no local path are
// left as written.
func TestLoadRelativePaths(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "ci")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "rootfs"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source, from string
		outputs      []string
		wantSource   string
		wantFrom     string
		wantOutputs  []string
	}{
		{"docker-archive:app.tar:app:1", "oci:../base:v1", []string{"docker-archive:out/min.tar", "oci:min", "oci-archive:min.oci", "docker://registry.example/min:1"},
			"docker-archive:" + sub + "/app.tar:app:1", "oci:" + dir + "/base:v1",
			[]string{"docker-archive:" + sub + "/out/min.tar", "oci:" + sub + "/min", "oci-archive:" + sub + "/min.oci", "docker://registry.example/min:1"}},
		{"rootfs-tar:/abs/root.tar", "", []string{"docker-daemon:app:min"}, "rootfs-tar:/abs/root.tar", "", []string{"docker-daemon:app:min"}},
		{"nix:./result", "ubuntu:22.04", nil, "nix:" + sub + "/result", "ubuntu:22.04", nil},
		{"rootfs", "app.tar", nil, sub + "/rootfs", sub + "/app.tar", nil},
		{"dir:tree", "debian", nil, "dir:" + sub + "/tree", "debian", nil},
	}
	for _, tt := range tests {
		doc := "source: " + tt.source + "\n"
		if tt.from != "" {
			doc += "from: " + tt.from + "\n"
		}
		if len(tt.outputs) > 0 {
			doc += "outputs: [" + strings.Join(tt.outputs, ", ") + "]\n"
		}
		path := filepath.Join(sub, "plan.yaml")
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(path)
		if err != nil {
			t.Errorf("%q: %v", doc, err)
			continue
		}
		if p.Source != tt.wantSource || p.From != tt.wantFrom || !reflect.DeepEqual(p.Outputs, tt.wantOutputs) {
			t.Errorf("%q:\n got %q %q %q\nwant %q %q %q", doc, p.Source, p.From, p.Outputs, tt.wantSource, tt.wantFrom, tt.wantOutputs)
		}
	}
}
