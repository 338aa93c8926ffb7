package verify

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"
)

// Probe is a parsed Check.Probe: a TCP port, or an HTTP URL on loopback.
type Probe struct {
	// Addr is the loopback address and port to reach.
	Addr string
	// URL is the HTTP URL to GET; nil for a bare TCP probe.
	URL *url.URL
}

// ParseProbe reads "tcp:PORT" or "http://127.0.0.1:PORT/PATH" (or
// localhost, or [::1]).
func ParseProbe(s string) (Probe, error) {
	if port, ok := strings.CutPrefix(s, "tcp:"); ok {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return Probe{}, fmt.Errorf("probe %q: want tcp:PORT with a port from 1 to 65535", s)
		}
		return Probe{Addr: net.JoinHostPort("127.0.0.1", port)}, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return Probe{}, fmt.Errorf("probe %q: want tcp:PORT or http://127.0.0.1:PORT/PATH", s)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	switch host {
	case "127.0.0.1", "::1":
	case "localhost":
		host = "127.0.0.1"
	default:
		return Probe{}, fmt.Errorf("probe %q: the server is reached on loopback only (127.0.0.1, localhost or [::1])", s)
	}
	return Probe{Addr: net.JoinHostPort(host, port), URL: u}, nil
}

// probeResult is what a probed server did.
type probeResult struct {
	Result Result
	Answer []byte
	// Err says why no answer came (the server exited or never listened).
	Err error
}

// runProbe starts the check's command (or the image's Entrypoint and
// Cmd) in the sandbox, waits until it listens on the probe's address
// inside the sandbox's network namespace, asks it, and stops it. The
// server's output and exit are in the Result (stopped by the probe, it
// has none of its own).
func runProbe(ctx context.Context, root string, cfg v1.Config, c Check, opts Options) (probeResult, error) {
	var pr probeResult
	p, err := ParseProbe(c.Probe)
	if err != nil {
		return pr, err
	}
	argv := c.Argv
	if len(argv) == 0 {
		argv = append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
	}
	if len(argv) == 0 {
		return pr, errors.New("the probe has no command and the image names none (no Entrypoint or Cmd)")
	}
	timeout := c.ProbeTimeout
	if timeout <= 0 {
		timeout = DefaultProbeTimeout
	}
	before, err := sandboxNets()
	if err != nil {
		return pr, err
	}
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	type ran struct {
		r   Result
		err error
	}
	done := make(chan ran, 1)
	go func() {
		r, err := Run(srvCtx, root, cfg, argv, opts)
		done <- ran{r, err}
	}()
	finish := func() (Result, error) {
		stop()
		d := <-done
		if d.err != nil && !errors.Is(d.err, context.Canceled) {
			return d.r, d.err
		}
		if ctx.Err() != nil {
			return d.r, ctx.Err()
		}
		if d.err != nil { // stopped by the probe
			d.r.Err, d.r.ExitCode = nil, 0
			d.r.Passed = pr.Err == nil
		}
		return d.r, nil
	}
	deadline := time.Now().Add(timeout)
	var ns string
	var conn net.Conn
	for {
		select {
		case d := <-done:
			done <- d
			pr.Err = errors.New("the server exited before it answered")
			pr.Result, err = finish()
			return pr, err
		case <-ctx.Done():
			pr.Result, err = finish()
			return pr, err
		case <-time.After(50 * time.Millisecond):
		}
		if ns == "" {
			ns = newSandboxNet(before)
		}
		if ns != "" {
			if conn, err = dialIn(ns, p.Addr, time.Second); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			pr.Err = fmt.Errorf("nothing listened on %s within %v", p.Addr, timeout)
			pr.Result, err = finish()
			return pr, err
		}
	}
	pr.Answer, pr.Err = ask(conn, p)
	pr.Result, err = finish()
	return pr, err
}

// ask reads a TCP server's first words, or GETs the URL on the same
// connection.
func ask(conn net.Conn, p Probe) ([]byte, error) {
	if p.URL == nil {
		defer conn.Close()
		conn.SetReadDeadline(time.Now().Add(time.Second))
		b, _ := io.ReadAll(io.LimitReader(conn, maxCompared))
		return append([]byte("connected\n"), b...), nil
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req, err := http.NewRequest(http.MethodGet, p.URL.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Close = true
	if err := req.Write(conn); err != nil {
		return nil, fmt.Errorf("GET %s: %w", p.URL, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", p.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCompared))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", p.URL, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n", resp.Status)
	b.Write(body)
	return b.Bytes(), nil
}

// dialIn connects to addr from inside the network namespace at the path
// ns (/proc/PID/ns/net): on a thread moved there for the socket's
// creation and then dropped (the socket stays in its namespace). Joining
// another network namespace needs CAP_SYS_ADMIN (root).
func dialIn(ns, addr string, timeout time.Duration) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// The thread moves to the sandbox's namespace and back. It must
		// not end: a child started from it (the sandbox itself) would get
		// its parent-death signal. Only when it cannot go back is it left
		// locked, to end with the goroutine.
		runtime.LockOSThread()
		home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{nil, fmt.Errorf("opening this thread's network namespace: %w", err)}
			return
		}
		defer unix.Close(home)
		fd, err := unix.Open(ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{nil, fmt.Errorf("opening the sandbox's network namespace: %w", err)}
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			runtime.UnlockOSThread()
			ch <- res{nil, fmt.Errorf("joining the sandbox's network namespace (needs root): %w", err)}
			return
		}
		c, err := net.DialTimeout("tcp", addr, timeout)
		if unix.Setns(home, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// sandboxNets lists the network namespaces of this process's
// descendants, by their /proc/PID/ns/net link.
func sandboxNets() (map[string]bool, error) {
	out := map[string]bool{}
	for _, pid := range descendants() {
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net"); err == nil {
			out[l] = true
		}
	}
	return out, nil
}

// newSandboxNet returns the /proc path of the network namespace of a
// descendant that is in none of before and not this process's: the
// sandbox just started.
func newSandboxNet(before map[string]bool) string {
	self, _ := os.Readlink("/proc/self/ns/net")
	for _, pid := range descendants() {
		p := "/proc/" + strconv.Itoa(pid) + "/ns/net"
		if l, err := os.Readlink(p); err == nil && l != self && !before[l] {
			return p
		}
	}
	return ""
}

// descendants are the ids of this process's descendants (host pids).
func descendants() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[int]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			parent[pid] = pp
		}
	}
	self := os.Getpid()
	var out []int
	for pid := range parent {
		for p, n := parent[pid], 0; p > 0 && n < 64; p, n = parent[p], n+1 {
			if p == self {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
