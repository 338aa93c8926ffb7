package doctor

import (
	"context"

	"github.com/whittle-dev/whittle/analyze"
)

// Survey is what the bloat checks learn of an image's tree alone, before
// any closure: the visible files in path order, the
// table category each one's path matches, the symlink cycles, and the
// directories whose trees are stored more than once. It depends on the
// index only, so it may be made while the closure is built (see
// Options.Survey) and serve every Bloat call of that index. It is not
// changed once made: safe for concurrent use.
type Survey struct {
	ix       *analyze.Index
	files    []*analyze.Node
	category []string // Match's id for each file, "" for none
	cycles   []Cycle
	// copies are the groups of directories with the same tree, each
	// sorted shallowest first, the groups biggest first.
	copies [][]*analyze.Node
}

// NewSurvey surveys the index's tree. Its one error is ctx's, when
// cancelled.
func NewSurvey(ctx context.Context, ix *analyze.Index) (*Survey, error) {
	s := &Survey{ix: ix, files: files(ix.Root)}
	s.category = make([]string, len(s.files))
	exists := func(p string) bool { return ix.Root.Lookup(p) != nil }
	for i, n := range s.files {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s.category[i] = Match(n.Path(), exists)
	}
	s.cycles = Cycles(ix)
	s.copies = sameTrees(ix)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// surveyFor returns opts' survey when it is of ix, else a new one.
func surveyFor(ctx context.Context, ix *analyze.Index, opts Options) (*Survey, error) {
	if s := opts.Survey; s != nil && s.ix == ix {
		return s, nil
	}
	return NewSurvey(ctx, ix)
}
