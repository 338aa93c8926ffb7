package doctor

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/finding"
)

// FamilyBloat is the family of every bloat finding.
const FamilyBloat = "bloat"

// BloatKinds are the kinds of every bloat finding: those a plan's apply:
// may name (their suggested change is a drop).
var BloatKinds = func() []string {
	kinds := []string{"bloat/symlink-cycle", "bloat/duplicate-tree", "bloat/timezones", "bloat/locale-archive",
		"bloat/duplicate-files", "bloat/etc", "bloat/unreachable", "bloat/layer-waste"}
	for _, c := range Categories {
		kinds = append(kinds, c.ID)
	}
	sort.Strings(kinds)
	return kinds
}()

// Options tune Bloat and Breakage.
type Options struct {
	// Ignore lists kinds ("tls/no-bundle") or families ("bloat") to leave
	// out.
	Ignore []string
	// Env is added to the image config's Env (later entries win): the
	// environment the image will run with.
	Env []string
	// Now is the time certificates are checked against; zero means
	// time.Now().
	Now time.Time
	// Cache, when set, keeps what the checks read from the image's files
	// (ELF imports, small files) beside the layer index, so a second run
	// over the same layers reads none of them.
	Cache *analyze.Cache
	// Learned is the Learner IndexImage was given for this image (see
	// Learner), if any: the ELF objects' facts and the small files it
	// learnt are then not read from the layers again. The findings are
	// the same with it or without.
	Learned *Learner
	// Survey, when it is of the index judged, is its closure-free part
	// of the bloat checks, made beforehand (NewSurvey); otherwise Bloat
	// makes it.
	Survey *Survey
}

// Ignored reports whether opts.Ignore names the finding's kind or family.
func (o Options) Ignored(f finding.Finding) bool {
	for _, ig := range o.Ignore {
		ig = strings.TrimSpace(ig)
		if ig == f.Kind || ig == f.Family() || ig == f.Family()+"/*" {
			return true
		}
	}
	return false
}

func (o Options) filter(fs []finding.Finding) []finding.Finding {
	out := fs[:0]
	for _, f := range fs {
		if !o.Ignored(f) {
			out = append(out, f)
		}
	}
	finding.Sort(out)
	return out
}

// All returns Bloat's and Breakage's findings together, sorted; a
// zoneinfo loop is reported once, as bloat/symlink-cycle.
func All(ctx context.Context, im *source.Image, ix *analyze.Index, cl *closure.Closure, opts Options) ([]finding.Finding, error) {
	// The two read the index and the closure and write nothing shared:
	// they run side by side.
	var k []finding.Finding
	var kerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		k, kerr = Breakage(ctx, im, ix, cl, opts)
	}()
	b, err := Bloat(ctx, im, ix, cl, opts)
	<-done
	if err != nil {
		return nil, err
	}
	if kerr != nil {
		return nil, kerr
	}
	out := b
	for _, f := range k {
		if f.Kind != "tz/zoneinfo-loop" { // bloat/symlink-cycle says it
			out = append(out, f)
		}
	}
	finding.Sort(out)
	return out, nil
}

// Reclaimable is what applying every bloat finding of fs saves: the sum of
// their bytes, which never count a file twice.
func Reclaimable(fs []finding.Finding) int64 {
	var n int64
	for _, f := range fs {
		if f.Family() == FamilyBloat {
			n += f.Bytes
		}
	}
	return n
}

// env is the image config's Env with extra entries over it.
func env(im *source.Image, extra []string) map[string]string {
	m := map[string]string{}
	var list []string
	if im.Config != nil {
		list = append(list, im.Config.Config.Env...)
	}
	for _, kv := range append(list, extra...) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
