package testfix

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartRegistry starts the reference registry server (Debian's
// docker-registry, the distribution project's registry) on a loopback port
// with storage in a temporary directory, stops it when the test ends, and
// returns its host:port.
func StartRegistry(t testing.TB) string {
	t.Helper()
	NeedTool(t, "docker-registry")
	dir := t.TempDir()
	host := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), host)
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker-registry", "serve", cfg)
	logf, _ := os.Create(filepath.Join(dir, "registry.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting docker-registry: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	waitHTTP(t, "http://"+host+"/v2/", filepath.Join(dir, "registry.log"))
	return host
}

func waitHTTP(t testing.TB, url, logPath string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	t.Fatalf("%s did not answer in 20s; log:\n%s", url, log)
}

// StartPodman loads the docker archive into a private podman store (vfs
// driver, in a temporary directory) and serves podman's Docker-compatible
// API on a unix socket until the test ends. It returns the DOCKER_HOST
// value to reach it.
func StartPodman(t testing.TB, archive string) string {
	t.Helper()
	NeedTool(t, "podman")
	dir := t.TempDir()
	args := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs"}
	if out, err := exec.Command("podman", append(args, "load", "-i", archive)...).CombinedOutput(); err != nil {
		t.Fatalf("podman load: %v\n%s", err, out)
	}
	sock := filepath.Join(dir, "podman.sock")
	cmd := exec.Command("podman", append(args, "system", "service", "--time", "0", "unix://"+sock)...)
	logPath := filepath.Join(dir, "podman.log")
	logf, _ := os.Create(logPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting podman system service: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return "unix://" + sock
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(logPath)
	t.Fatalf("podman did not listen in 20s; log:\n%s", log)
	return ""
}
