package reghttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Limits bound how long whittle waits for a registry or an engine and
// how often it asks: a server that never answers, trickles nothing, or
// redirects in a loop ends in one clear error, not a hang.
type Limits struct {
	// ConnectTimeout bounds a TCP connect and a TLS handshake.
	ConnectTimeout time.Duration
	// IdleTimeout bounds the wait for any byte: the answer's headers
	// after a request was sent, and each read of its body.
	IdleTimeout time.Duration
	// MaxRedirects is how many redirects one request may follow.
	MaxRedirects int
	// Retries is how many times a request answered 408, 429 or 5xx (or
	// cut by the network) is sent again; Backoff the first wait, tripled
	// each time.
	Retries int
	Backoff time.Duration
}

// Environment variables that override the default timeouts (Go
// durations: "30s", "2m").
const (
	EnvConnectTimeout = "WHITTLE_CONNECT_TIMEOUT"
	EnvIdleTimeout    = "WHITTLE_IDLE_TIMEOUT"
)

// DefaultLimits are a 30 s connect timeout, a 60 s idle timeout (or what
// WHITTLE_CONNECT_TIMEOUT and WHITTLE_IDLE_TIMEOUT say), 10 redirects,
// and 3 retries waiting 1 s, 3 s and 9 s. An environment variable that
// is not a positive duration is an error naming it.
func DefaultLimits() (Limits, error) {
	l := Limits{ConnectTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxRedirects: 10, Retries: 3, Backoff: time.Second}
	for _, v := range []struct {
		env string
		d   *time.Duration
	}{{EnvConnectTimeout, &l.ConnectTimeout}, {EnvIdleTimeout, &l.IdleTimeout}} {
		s := os.Getenv(v.env)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return l, fmt.Errorf("%s=%q: want a positive duration like 30s", v.env, s)
		}
		*v.d = d
	}
	return l, nil
}

// fill gives zero fields their defaults.
func (l Limits) fill() Limits {
	d := Limits{ConnectTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second, MaxRedirects: 10, Retries: 3, Backoff: time.Second}
	if l.ConnectTimeout <= 0 {
		l.ConnectTimeout = d.ConnectTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxRedirects <= 0 {
		l.MaxRedirects = d.MaxRedirects
	}
	if l.Retries < 0 {
		l.Retries = 0
	}
	if l.Backoff <= 0 {
		l.Backoff = d.Backoff
	}
	return l
}

// NewTransport is an HTTP transport whose connects and TLS handshakes
// are bounded by l.ConnectTimeout (proxies from the environment, as
// net/http's default transport).
func NewTransport(l Limits) *http.Transport {
	l = l.fill()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: l.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = l.ConnectTimeout
	tr.MaxIdleConnsPerHost = 50 // layers are fetched in parallel, as go-containerregistry's default transport allows
	return tr
}

// Registry is the transport for a registry: base (NewTransport(l) when
// nil) behind the idle timeout, the redirect bound and the plain-HTTP
// guard.
func Registry(base http.RoundTripper, insecure bool, l Limits) http.RoundTripper {
	l = l.fill()
	if base == nil {
		base = NewTransport(l)
	}
	return Guard(&redirectLimit{base: Idle(base, l.IdleTimeout), max: l.MaxRedirects}, insecure)
}

// Unwrap returns the error of a bound (ErrTooManyRedirects, ErrIdle)
// without net/http's "Get URL:" around it, which only repeats the
// address; other errors are returned as they are.
func Unwrap(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && (errors.Is(ue.Err, ErrTooManyRedirects) || errors.Is(ue.Err, ErrIdle)) {
		return ue.Err
	}
	return err
}

// RemoteOptions are go-containerregistry's retry options for l: up to
// l.Retries more tries of a request answered 408, 429 or 5xx, waiting
// l.Backoff, then three times longer each time.
func RemoteOptions(l Limits) []remote.Option {
	l = l.fill()
	return []remote.Option{
		remote.WithRetryBackoff(remote.Backoff{Duration: l.Backoff, Factor: 3, Jitter: 0.1, Steps: l.Retries + 1}),
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	}
}

// ErrTooManyRedirects is the error of a request redirected more often
// than Limits.MaxRedirects allows.
var ErrTooManyRedirects = errors.New("too many redirects")

// redirectLimit refuses a request that is the (max+1)-th redirect of one
// first request: net/http's client marks a redirected request with the
// response that caused it, whatever CheckRedirect policy its client has
// (go-containerregistry's has no count).
type redirectLimit struct {
	base http.RoundTripper
	max  int
}

func (t *redirectLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	n := 0
	first := req
	for r := req; r.Response != nil && r.Response.Request != nil; r = r.Response.Request {
		n++
		first = r.Response.Request
	}
	if n > t.max {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("%w from %s (more than %d, the last to %s)", ErrTooManyRedirects, first.URL.Redacted(), t.max, req.URL.Redacted())
	}
	return t.base.RoundTrip(req)
}

// ErrIdle is the error of a request whose server sent nothing for the
// idle timeout.
var ErrIdle = errors.New("no answer")

// Idle wraps base so that a request whose server sends nothing for d,
// neither headers nor a byte of the body, is cut with an error naming
// the host and d.
func Idle(base http.RoundTripper, d time.Duration) http.RoundTripper {
	return &idleTransport{base: base, d: d}
}

type idleTransport struct {
	base http.RoundTripper
	d    time.Duration
}

func (t *idleTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	w := &watchdog{d: t.d, cancel: cancel, host: req.URL.Host}
	w.timer = time.AfterFunc(t.d, w.fire)
	r2 := req.WithContext(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		// Sending a large blob takes long; the clock runs from the last
		// byte sent.
		r2.Body = &idleBody{rc: req.Body, w: w}
	}
	resp, err := t.base.RoundTrip(r2)
	if err != nil {
		w.stop()
		return nil, w.explain(err)
	}
	w.timer.Reset(t.d)
	resp.Body = &idleBody{rc: resp.Body, w: w, response: true}
	return resp, nil
}

// watchdog cancels a request when its timer fires before it is reset.
type watchdog struct {
	d       time.Duration
	host    string
	timer   *time.Timer
	cancel  context.CancelFunc
	expired atomic.Bool
	once    sync.Once
}

func (w *watchdog) fire() {
	w.expired.Store(true)
	w.cancel()
}

func (w *watchdog) stop() {
	w.once.Do(func() {
		w.timer.Stop()
		w.cancel()
	})
}

// explain replaces the error of a request the watchdog cut.
func (w *watchdog) explain(err error) error {
	if err != nil && w.expired.Load() {
		return fmt.Errorf("%w from %s for %s (set %s to wait longer)", ErrIdle, w.host, w.d, EnvIdleTimeout)
	}
	return err
}

// idleBody resets its watchdog at each byte read; closing a response
// body ends the watch (closing the request body, which the transport
// does once it is sent, does not).
type idleBody struct {
	rc       io.ReadCloser
	w        *watchdog
	response bool
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && !b.w.expired.Load() {
		b.w.timer.Reset(b.w.d)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = b.w.explain(err)
	}
	return n, err
}

func (b *idleBody) Close() error {
	err := b.rc.Close()
	if b.response {
		b.w.stop()
	}
	return err
}
