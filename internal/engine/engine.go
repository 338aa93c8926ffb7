// Package engine is whittle's client of a Docker-compatible engine API
// (Docker, or podman's compatible service): the two calls it needs, `docker
// save` (GET /images/get) to read an image and `docker load` (POST
// /images/load) to write one, to the engine the docker CLI would reach.
package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/whittle-dev/whittle/internal/reghttp"
)

// Client speaks the calls of the Docker Engine API whittle needs
// (GET /images/get, `docker save`; POST /images/load, `docker load`), to the engine the docker CLI would
// reach: DOCKER_HOST (unix:// or tcp://; default the local socket), with
// TLS when DOCKER_TLS_VERIFY is set, using DOCKER_CERT_PATH's ca.pem,
// cert.pem and key.pem. Podman's Docker-compatible service answers it too.
// (The engine's own Go client drags in a tracing stack whose start-up
// cost every whittle run would pay, for this single request.)
type Client struct {
	base string // scheme://host, for messages
	http *http.Client
	// idle is http with the idle timeout (reghttp.Limits.IdleTimeout) on
	// the answer: for saves, which stream from the first moment. A load
	// is answered once the engine has stored the whole image, which may
	// take long with nothing sent.
	idle   *http.Client
	prefix string // URL prefix of API calls
}

const engineAPIVersion = "v1.41"

// New returns a client of the engine DOCKER_HOST names.
func New() (*Client, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("DOCKER_HOST %q: %w", host, err)
	}
	limits, err := reghttp.DefaultLimits()
	if err != nil {
		return nil, err
	}
	c := &Client{base: host}
	dialer := &net.Dialer{Timeout: limits.ConnectTimeout}
	tr := &http.Transport{DisableCompression: true, DialContext: dialer.DialContext, TLSHandshakeTimeout: limits.ConnectTimeout}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, "unix", sock)
		}
		c.prefix = "http://docker/" + engineAPIVersion
	case "tcp", "http", "https":
		scheme := "http"
		if os.Getenv("DOCKER_TLS_VERIFY") != "" || u.Scheme == "https" {
			cfg, err := engineTLS()
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig, scheme = cfg, "https"
		}
		c.prefix = scheme + "://" + u.Host + "/" + engineAPIVersion
	default:
		return nil, fmt.Errorf("DOCKER_HOST %q: only unix:// and tcp:// engines are supported", host)
	}
	c.http = &http.Client{Transport: tr}
	c.idle = &http.Client{Transport: reghttp.Idle(tr, limits.IdleTimeout)}
	return c, nil
}

// engineTLS builds the client TLS configuration the docker CLI uses.
func engineTLS() (*tls.Config, error) {
	dir := os.Getenv("DOCKER_CERT_PATH")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".docker")
	}
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, fmt.Errorf("DOCKER_TLS_VERIFY is set: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("DOCKER_TLS_VERIFY is set: %s holds no certificate", filepath.Join(dir, "ca.pem"))
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")); err == nil {
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Save streams `docker save` of one image.
func (c *Client) Save(ctx context.Context, name string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.prefix+"/images/get?names="+url.QueryEscape(name), nil)
	if err != nil {
		return nil, err
	}
	return c.do(c.idle, req)
}

// Load sends a docker archive (`docker save` format) to the engine, as
// `docker load` does, and returns the engine's answer once it has read
// the whole stream. An error the engine reports in its progress stream
// is returned as an error.
func (c *Client) Load(ctx context.Context, archive io.Reader) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.prefix+"/images/load?quiet=1", archive)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-tar")
	body, err := c.do(c.http, req)
	if err != nil {
		return err
	}
	defer body.Close()
	// The answer is a stream of JSON messages; one may carry an error.
	dec := json.NewDecoder(body)
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the answer of the engine at %s: %w", c.base, err)
		}
		if m.Error != "" || m.ErrorDetail.Message != "" {
			msg := m.ErrorDetail.Message
			if msg == "" {
				msg = m.Error
			}
			return fmt.Errorf("the engine at %s: %s", c.base, msg)
		}
	}
}

// Host is the engine's address, as DOCKER_HOST gives it.
func (c *Client) Host() string { return c.base }

// do sends a request and returns the body of a 200 answer; any other
// status is an error carrying the engine's message.
func (c *Client) do(hc *http.Client, req *http.Request) (io.ReadCloser, error) {
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, reghttp.ErrIdle) {
			return nil, fmt.Errorf("the engine at %s: %w", c.base, reghttp.Unwrap(err))
		}
		var ne net.Error
		if errors.As(err, &ne) || strings.Contains(err.Error(), "connect") {
			return nil, fmt.Errorf("cannot reach the engine at %s: %w", c.base, err)
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e struct {
			Message string `json:"message"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(b, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(b))
		}
		return nil, fmt.Errorf("the engine at %s answered %s: %s", c.base, resp.Status, e.Message)
	}
	return resp.Body, nil
}
