// Package testopen opens and indexes images for the tests of packages
// above analyze (audit, closure, builder, cmd): one helper instead of a
// copy per package. It is for tests only and fails the test on error.
package testopen

import (
	"context"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
)

// Indexed opens ref with no options and indexes it with no cache; the
// image is closed when the test ends.
func Indexed(t testing.TB, ref string) (*source.Image, *analyze.Index) {
	t.Helper()
	im, err := source.Open(context.Background(), ref, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	return im, Index(t, im)
}

// Index indexes an opened image with no cache.
func Index(t testing.TB, im *source.Image) *analyze.Index {
	t.Helper()
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}
