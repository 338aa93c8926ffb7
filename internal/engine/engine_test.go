package engine

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/internal/reghttp"
)

// TestSaveSilentEngine: an engine that accepts the connection and never
// answers a save is given up on after the idle timeout
// (WHITTLE_IDLE_TIMEOUT), with an error naming the engine.
func TestSaveSilentEngine(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	defer close(release)
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	t.Setenv(reghttp.EnvIdleTimeout, "200ms")
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	// The deadline only keeps a missing bound from hanging the test.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := c.Save(ctx, "app:1")
	if err == nil {
		rc.Close()
		t.Fatal("the save answered")
	}
	want := "the engine at unix://" + sock + ": no answer from docker for 200ms"
	if !errors.Is(err, reghttp.ErrIdle) || !strings.HasPrefix(err.Error(), want) || ctx.Err() != nil {
		t.Errorf("error %q, want one starting %q", err, want)
	}
}
