package reghttp

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestIdleBody: a server that sends its headers and some bytes, then
// nothing, cuts the read of the body with ErrIdle after the bytes sent.
func TestIdleBody(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("twelve bytes"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	c := &http.Client{Transport: Registry(nil, false, Limits{IdleTimeout: 200 * time.Millisecond})}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if string(b) != "twelve bytes" || !errors.Is(err, ErrIdle) {
		t.Errorf("read %q, error %v; want the 12 bytes sent and %v", b, err, ErrIdle)
	}
}

// TestDefaultLimits reads the timeouts from the environment and refuses
// what is not a positive duration, naming the variable.
func TestDefaultLimits(t *testing.T) {
	tests := []struct {
		connect, idle string
		want          Limits
		wantErr       string
	}{
		{"", "", Limits{ConnectTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxRedirects: 10, Retries: 3, Backoff: time.Second}, ""},
		{"5s", "2m", Limits{ConnectTimeout: 5 * time.Second, IdleTimeout: 2 * time.Minute, MaxRedirects: 10, Retries: 3, Backoff: time.Second}, ""},
		{"", "0s", Limits{}, `WHITTLE_IDLE_TIMEOUT="0s": want a positive duration like 30s`},
		{"ten", "", Limits{}, `WHITTLE_CONNECT_TIMEOUT="ten": want a positive duration like 30s`},
	}
	for _, tt := range tests {
		t.Setenv(EnvConnectTimeout, tt.connect)
		t.Setenv(EnvIdleTimeout, tt.idle)
		got, err := DefaultLimits()
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q/%q: error %v, want %s", tt.connect, tt.idle, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q/%q: %+v, %v; want %+v", tt.connect, tt.idle, got, err, tt.want)
		}
	}
}
