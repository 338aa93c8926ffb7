package doctor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/finding"
)

// FixNamesChange checks that a finding's Fix text says the plan change
// it states, so that applying the change (the TUI's x, a plan's apply:)
// does what the person read: its first drop globs, each etc section
// ("plan etc: basics: tmp"), each config setting ("LANG=C.UTF-8").
func FixNamesChange(f finding.Finding) error {
	c := f.Change
	if c == nil {
		return nil
	}
	for i, d := range c.Drop {
		if i < 3 && !strings.Contains(f.Fix, d) {
			return fmt.Errorf("%s: the fix %q does not name the drop %q", f.Kind, f.Fix, d)
		}
	}
	for _, k := range changeKeys(c.Etc) {
		if !strings.Contains(f.Fix, "plan etc: "+k) && !strings.Contains(f.Fix, "plan etc: "+k+": ") {
			return fmt.Errorf("%s: the fix %q does not name the etc section %s", f.Kind, f.Fix, k)
		}
	}
	for _, k := range changeKeys(c.Config) {
		name, ok := strings.CutPrefix(k, "env.")
		if ok && !strings.Contains(f.Fix, name+"="+c.Config[k]) || !ok && !strings.Contains(f.Fix, k) {
			return fmt.Errorf("%s: the fix %q does not name the config setting %s=%s", f.Kind, f.Fix, k, c.Config[k])
		}
	}
	return nil
}

func changeKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
