package builder

import (
	"context"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
)

func TestZZProf(t *testing.T) {
	ctx := context.Background()
	im, err := source.Open(ctx, "dir:/tmp/stream-root", source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := analyze.IndexImage(ctx, im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(ctx, Spec{Source: im, Index: ix, Keep: keepAll})
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
}
