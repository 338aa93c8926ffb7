package doctor

import (
	"testing"

	"github.com/whittle-dev/whittle/plan"
)

// TestTableGlobsArePlanGlobs: every glob of the bloat table is one a plan
// accepts, since a category's fix proposes its patterns as drop: globs
// ("**/site-packages/pip/**" was not, and a plan saved after X did not
// load).
func TestTableGlobsArePlanGlobs(t *testing.T) {
	for _, c := range Categories {
		for _, p := range c.Patterns {
			if err := plan.CheckGlob(p.Glob); err != nil {
				t.Errorf("%s: pattern %v", c.ID, err)
			}
		}
		for _, e := range c.Except {
			if err := plan.CheckGlob(e); err != nil {
				t.Errorf("%s: except %v", c.ID, err)
			}
		}
	}
}
