package doctor

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestGoTLS: a static Go program that makes HTTPS requests reads Go's
// list of bundle paths; with none of them in the image it finds no CA
// certificates, with one it does.
func TestGoTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go program")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	if _, err := os.Stat(goTool); err != nil {
		t.Skip("no go toolchain")
	}
	tmp := t.TempDir()
	src := "package main\n\nimport \"net/http\"\n\nfunc main() { http.Get(\"https://example.com\") }\n"
	if err := os.WriteFile(filepath.Join(tmp, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), []byte("module gotls\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", "app", ".")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(tmp, "app"))
	if err != nil {
		t.Fatal(err)
	}
	valid := pemCert(t, now.AddDate(1, 0, 0))
	for _, c := range []struct {
		name  string
		files []reprotar.File
		want  []string
	}{
		{"no bundle", []reprotar.File{reg("/app", bin, 0o755), dir("/tmp", 0o1777)}, []string{"tls/no-bundle"}},
		{"Fedora's bundle", []reprotar.File{reg("/app", bin, 0o755), dir("/tmp", 0o1777), textFile("/etc/pki/tls/certs/ca-bundle.crt", valid)}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			im, ix := layered(t, map[string]any{"Entrypoint": []string{"/app"}}, c.files)
			fs, err := Breakage(context.Background(), im, ix, build(t, im, ix), Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(fs); !reflect.DeepEqual(got, c.want) {
				for _, f := range fs {
					t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
				}
				t.Errorf("kinds %q, want %q", got, c.want)
			}
		})
	}
}
