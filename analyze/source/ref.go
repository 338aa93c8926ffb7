package source

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whittle-dev/whittle/internal/suggest"
)

// Transports, with skopeo's names where skopeo has one.
const (
	TransportRegistry      = "docker"
	TransportDockerArchive = "docker-archive"
	TransportOCI           = "oci"
	TransportOCIArchive    = "oci-archive"
	TransportDaemon        = "docker-daemon"
	TransportDir           = "dir"
	TransportRootfsTar     = "rootfs-tar"
	TransportNix           = "nix"
	TransportDemo          = "demo"
	// TransportPath is a bare local path whose kind is found from its content.
	TransportPath = "path"
)

var transports = []string{
	TransportRegistry, TransportDockerArchive, TransportOCI, TransportOCIArchive, TransportDaemon,
	TransportDir, TransportRootfsTar, TransportNix, TransportDemo,
}

// Reference names an image source: a transport and what follows it. For
// docker-archive and oci(-archive), Tag picks one image of several
// ("PATH:TAG"; for docker-archive also "PATH:@N", the N-th image).
type Reference struct {
	Transport string
	Value     string
	Tag       string
}

// String renders the reference as the user would write it.
func (r Reference) String() string {
	switch r.Transport {
	case TransportPath:
		return r.Value
	case TransportRegistry:
		return "docker://" + r.Value
	}
	s := r.Transport + ":" + r.Value
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	return s
}

// ParseReference splits a reference into transport and value. A string
// with no known transport prefix is a bare reference: a local path when one
// exists there, else a registry reference (resolved by Open).
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("empty image reference")
	}
	if v, ok := strings.CutPrefix(s, "docker://"); ok {
		if v == "" {
			return Reference{}, fmt.Errorf("%q: no image named after docker://", s)
		}
		return Reference{Transport: TransportRegistry, Value: v}, nil
	}
	if i := strings.Index(s, "://"); i > 0 && !strings.ContainsAny(s[:i], "/.") {
		if !slices.Contains(transports, s[:i]) {
			return Reference{}, fmt.Errorf("%q: unknown transport %q (known: %s)", s, s[:i], strings.Join(transports, ", "))
		}
		// dive's and URL-like spelling: docker-archive:///abs/x.tar and
		// docker-archive://x.tar mean docker-archive:/abs/x.tar and
		// docker-archive:x.tar.
		s = s[:i] + ":" + s[i+len("://"):]
	}
	head, rest, found := strings.Cut(s, ":")
	if !found {
		return Reference{Transport: TransportPath, Value: s}, nil
	}
	switch head {
	case TransportDockerArchive, TransportOCI, TransportOCIArchive:
		path, tag, _ := strings.Cut(rest, ":")
		if path == "" {
			return Reference{}, fmt.Errorf("%q: %s needs a path", s, head)
		}
		return Reference{Transport: head, Value: path, Tag: tag}, nil
	case TransportDir, TransportRootfsTar, TransportNix:
		if rest == "" {
			return Reference{}, fmt.Errorf("%q: %s needs a path", s, head)
		}
		return Reference{Transport: head, Value: rest}, nil
	case TransportDaemon:
		if rest == "" {
			return Reference{}, fmt.Errorf("%q: docker-daemon needs an image name", s)
		}
		return Reference{Transport: head, Value: rest}, nil
	case TransportDemo:
		return Reference{Transport: head, Value: rest}, nil
	case TransportRegistry:
		return Reference{}, fmt.Errorf("%q: write docker://%s", s, rest)
	}
	// "registry:5000/app:1", "ubuntu:22.04", "./x:y" — not a transport,
	// unless it is one misspelt ("docker-archiv:x.tar").
	for _, t := range transports {
		if d := suggest.Distance(head, t); d > 0 && d <= 2 && len(head) > 3 {
			return Reference{}, fmt.Errorf("%q: unknown transport %q (did you mean %q?)", s, head, t)
		}
	}
	return Reference{Transport: TransportPath, Value: s}, nil
}

// transportHint is the advice for a bare word that is a transport's name
// ("demo", "oci"): the user most likely forgot the colon.
func transportHint(word string) (string, bool) {
	if !slices.Contains(transports, word) {
		return "", false
	}
	switch word {
	case TransportDemo:
		return "demo:", true
	case TransportRegistry:
		return "docker://IMAGE", true
	case TransportDaemon:
		return "docker-daemon:IMAGE", true
	}
	return word + ":PATH", true
}

// PrefixRef names the image in front of err, once: an error that already
// starts with the reference (from a deeper layer that named it) is
// returned as it is, so no message reads "nix:/x: nix:/x: …".
func PrefixRef(ref Reference, err error) error {
	if err == nil {
		return nil
	}
	if strings.HasPrefix(err.Error(), ref.String()+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", ref, err)
}
