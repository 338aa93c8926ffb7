// Package reghttp holds the rule for talking to registries over plain
// HTTP, shared by reading (analyze/source) and writing (builder/dest):
// unencrypted requests go only to loopback hosts unless the user said
// --insecure. (go-containerregistry itself also picks HTTP for private
// RFC 1918 addresses; the guard refuses those.)
package reghttp

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Guard wraps base so that it refuses plain HTTP to any host but a
// loopback one, unless insecure.
func Guard(base http.RoundTripper, insecure bool) http.RoundTripper {
	return &plainHTTPGuard{base: base, insecure: insecure}
}

// plainHTTPGuard refuses unencrypted requests to anything but a loopback
// host unless the user said --insecure.
type plainHTTPGuard struct {
	base     http.RoundTripper
	insecure bool
}

func (g *plainHTTPGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure && !IsLoopback(req.URL.Hostname()) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("refusing plain HTTP to %s (only loopback registries may use it; pass --insecure to allow)", req.URL.Host)
	}
	return g.base.RoundTrip(req)
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
