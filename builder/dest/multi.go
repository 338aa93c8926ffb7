package dest

import (
	"context"
	"errors"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Multi writes to each destination in turn. A failed destination does not
// stop the others; the error joins every failure (each names its
// destination).
type Multi []Destination

// Name lists the destinations' names, comma-separated.
func (m Multi) Name() string {
	names := make([]string, len(m))
	for i, d := range m {
		names[i] = d.Name()
	}
	return strings.Join(names, ",")
}

// Write writes img to every destination.
func (m Multi) Write(ctx context.Context, img v1.Image, progress func(Progress)) error {
	var errs []error
	for _, d := range m {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		if err := d.Write(ctx, img, progress); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ParseAll parses each reference (see ParseWith) into one Multi.
func ParseAll(refs []string, opts Options) (Multi, error) {
	m := make(Multi, 0, len(refs))
	for _, r := range refs {
		d, err := ParseWith(r, opts)
		if err != nil {
			return nil, err
		}
		m = append(m, d)
	}
	return m, nil
}
