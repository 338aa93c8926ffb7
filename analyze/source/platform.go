package source

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// readIndex returns the entries of a nested image index.
type readIndex func(d v1.Descriptor) ([]v1.Descriptor, error)

// Bounds of the search through nested image indexes: an index may name
// indexes (index → index → manifest, which skopeo follows), but a hostile
// one must not make whittle fetch without end.
const (
	maxIndexDepth = 4
	maxIndexReads = 32
)

// pickPlatform chooses, among the entries of an image index, the
// manifest that runs on plat (linux on this machine's architecture when
// nil), following entries that are image indexes themselves (through
// read) when they have no platform or a matching one. Manifests without
// a platform, and attestations (unknown/unknown), are never picked. The
// error lists the platforms there are, at most maxListed of them.
func pickPlatform(ms []v1.Descriptor, plat *v1.Platform, read readIndex) (v1.Descriptor, error) {
	s := &platformSearch{want: defaultPlatform(plat), read: read, seen: map[string]bool{}}
	d, ok, err := s.search(ms, 0)
	if err != nil || ok {
		return d, err
	}
	have := "none named"
	if len(s.have) > 0 {
		have = strings.Join(s.have, ", ")
		if n := s.total - len(s.have); n > 0 {
			have += fmt.Sprintf(" and %d more", n)
		}
	}
	if plat == nil {
		return v1.Descriptor{}, fmt.Errorf("no image for this machine's platform %s (it has %s); choose one with --platform", s.want.String(), have)
	}
	return v1.Descriptor{}, fmt.Errorf("no image for platform %s (it has %s); choose one with --platform", s.want.String(), have)
}

type platformSearch struct {
	want  v1.Platform
	read  readIndex
	reads int
	// have lists the first maxListed distinct platforms seen; total
	// counts them all.
	have  []string
	total int
	seen  map[string]bool
}

func (s *platformSearch) saw(p *v1.Platform) {
	k := p.String()
	if s.seen[k] {
		return
	}
	s.seen[k] = true
	s.total++
	if len(s.have) < maxListed {
		s.have = append(s.have, k)
	}
}

func (s *platformSearch) search(ms []v1.Descriptor, depth int) (v1.Descriptor, bool, error) {
	var nested []v1.Descriptor
	for _, m := range ms {
		if m.MediaType.IsIndex() {
			if m.Platform == nil || m.Platform.Satisfies(s.want) {
				nested = append(nested, m)
			} else {
				s.saw(m.Platform)
			}
			continue
		}
		if m.Platform == nil || m.Platform.OS == "unknown" {
			continue
		}
		if m.Platform.Satisfies(s.want) {
			return m, true, nil
		}
		s.saw(m.Platform)
	}
	for _, n := range nested {
		if depth >= maxIndexDepth {
			return v1.Descriptor{}, false, fmt.Errorf("image indexes nested more than %d deep", maxIndexDepth)
		}
		if s.reads++; s.reads > maxIndexReads {
			return v1.Descriptor{}, false, fmt.Errorf("more than %d nested image indexes", maxIndexReads)
		}
		if s.read == nil {
			return v1.Descriptor{}, false, fmt.Errorf("image index %s names another image index", n.Digest)
		}
		children, err := s.read(n)
		if err != nil {
			return v1.Descriptor{}, false, err
		}
		if d, ok, err := s.search(children, depth+1); err != nil || ok {
			return d, ok, err
		}
	}
	return v1.Descriptor{}, false, nil
}
