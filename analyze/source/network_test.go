package source_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reghttp"
)

// fast are limits a test can wait for: a short idle timeout, no wait
// between retries worth the name.
var fast = reghttp.Limits{ConnectTimeout: 5 * time.Second, IdleTimeout: 300 * time.Millisecond, MaxRedirects: 10, Retries: 3, Backoff: time.Millisecond}

// TestRegistryBounds: a registry that redirects in a loop, one that never
// answers, and one that answers 503 or 429 before it serves each end the
// way they must: the first two in one error line naming the registry
// after a bounded number of requests, the last in the image.
func TestRegistryBounds(t *testing.T) {
	var serve http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var manifestGets, requests atomic.Int64
	var mode atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		isManifest := strings.Contains(r.URL.Path, "/manifests/") && r.Method == http.MethodGet
		if isManifest {
			manifestGets.Add(1)
		}
		switch m := mode.Load().(string); {
		case m == "loop" && isManifest:
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
			return
		case m == "silent" && isManifest:
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
			return
		case (m == "503" || m == "429") && isManifest && manifestGets.Load() <= 2:
			code := http.StatusServiceUnavailable
			if m == "429" {
				code = http.StatusTooManyRequests
			}
			w.WriteHeader(code)
			return
		}
		serve.ServeHTTP(w, r)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	mode.Store("")
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host + "/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		mode    string
		wantErr string
		is      error
		// maxRequests bounds the requests of the whole open.
		maxRequests int64
	}{
		{"loop", "too many redirects", reghttp.ErrTooManyRedirects, 16},
		{"silent", "no answer from " + host + " for 300ms", reghttp.ErrIdle, 8},
		{"503", "", nil, 12},
		{"429", "", nil, 12},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			mode.Store(tt.mode)
			manifestGets.Store(0)
			requests.Store(0)
			// The deadline only keeps a broken bound from hanging the test.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			im, err := source.Open(ctx, "docker://"+host+"/app:1", source.Options{Network: fast})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("after two %s answers: %v", tt.mode, err)
				}
				defer im.Close()
				if got := manifestGets.Load(); got != 3 {
					t.Errorf("%d manifest requests, want 3 (two refused, one served)", got)
				}
				return
			}
			if err == nil {
				im.Close()
				t.Fatal("opened")
			}
			msg := err.Error()
			if !errors.Is(err, tt.is) || !strings.Contains(msg, tt.wantErr) || !strings.Contains(msg, host) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and saying %q", msg, host, tt.wantErr)
			}
			if ctx.Err() != nil {
				t.Errorf("the open ran until the test's deadline")
			}
			if got := requests.Load(); got > tt.maxRequests {
				t.Errorf("%d requests, want at most %d", got, tt.maxRequests)
			}
		})
	}
}
