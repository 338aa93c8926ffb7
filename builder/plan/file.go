package plan

import (
	"fmt"
	"os"

	"github.com/whittle-dev/whittle/internal/atomicfile"
)

// Load reads and parses the plan file at path. Errors name the file:
// "plan.yaml: line 7: layers.maxx: unknown key (did you mean "max"?)".
func Load(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Write saves the plan to path atomically (see Save).
func Write(path string, p *Plan) error {
	b, err := Save(p)
	if err != nil {
		return fmt.Errorf("saving the plan: %w", err)
	}
	return atomicfile.WriteFile(path, b)
}
