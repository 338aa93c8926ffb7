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

// TestWriteRebasesPaths: a plan whose local paths name files from the
// current directory is written with them relative to the plan file's
// directory (or absolute, when it is not above them), so that loading
// it back names the same files.
func TestWriteRebasesPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.MkdirAll("ci", 0o755); err != nil {
		t.Fatal(err)
	}
	p := &Plan{Source: "docker-archive:ci/app.tar:app:1", From: "ubuntu:22.04", Outputs: []string{"oci:out/min", "docker://registry.example/min:1", "ci/min.tar"}}
	for _, tt := range []struct {
		path, wantText string
		want           []string // source, then outputs, as loaded
	}{
		{"ci/plan.yaml", "source: docker-archive:app.tar:app:1",
			[]string{"docker-archive:ci/app.tar:app:1", "oci:" + dir + "/out/min", "docker://registry.example/min:1", "./ci/min.tar"}},
		{"plan.yaml", "source: docker-archive:ci/app.tar:app:1",
			[]string{"docker-archive:ci/app.tar:app:1", "oci:out/min", "docker://registry.example/min:1", "./ci/min.tar"}},
	} {
		if err := Write(tt.path, p); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(tt.path)
		if !strings.Contains(string(b), tt.wantText+"\n") {
			t.Errorf("%s:\n%s\nwant a line %q", tt.path, b, tt.wantText)
		}
		got, err := Load(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if all := append([]string{got.Source}, got.Outputs...); !reflect.DeepEqual(all, tt.want) || got.From != "ubuntu:22.04" {
			t.Errorf("%s: loaded %q, from %q; want %q", tt.path, all, got.From, tt.want)
		}
	}
	if p.Source != "docker-archive:ci/app.tar:app:1" || p.Outputs[0] != "oci:out/min" {
		t.Errorf("Write changed the plan: %+v", p)
	}
}
