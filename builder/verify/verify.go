package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
)

// Verify unpacks an indexed image once (into a private directory made in
// opts.Dir, or in the temporary directory) and runs each command inside it
// with Run, as the image's config says; the unpacked tree is removed
// afterwards, even when a command or the unpacking fails. As root each
// command starts from the image as it is, as each container does (what
// one writes the next does not see); without root they share the tree.
// The error is for what stops the
// verification (the image cannot be unpacked, its user is unknown, no
// sandbox can run); failed commands are Results with Passed false.
func Verify(ctx context.Context, im *source.Image, ix *analyze.Index, commands [][]string, opts Options) (results []Result, err error) {
	if len(commands) == 0 {
		return nil, errors.New("no commands to verify")
	}
	tree, cfg, err := unpackConfig(ctx, im, ix, opts.Dir)
	if err != nil {
		return nil, err
	}
	defer tree.removeInto(&err)
	for _, argv := range commands {
		res, err := Run(ctx, tree.Dir, cfg, argv, opts)
		if err != nil {
			return results, fmt.Errorf("running %q in %s: %w", argv, im.Ref, withOutput(err, res.Output))
		}
		results = append(results, res)
	}
	return results, nil
}

// withOutput adds the last line of a sandbox's output to its error: that
// is where bwrap says what went wrong.
func withOutput(err error, out []byte) error {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return err
	}
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	return fmt.Errorf("%w: %s", err, out)
}

// unpackConfig unpacks an indexed image into a private directory made in
// dir (see Unpack) and returns it with the image's runtime config.
func unpackConfig(ctx context.Context, im *source.Image, ix *analyze.Index, dir string) (*Tree, v1.Config, error) {
	var cfg v1.Config
	if im.Config != nil {
		cfg = im.Config.Config
	}
	tree, err := Unpack(ctx, im, ix, dir)
	return tree, cfg, err
}

// removeInto removes the tree, reporting a failure in *err unless it
// already holds an error: for a defer.
func (t *Tree) removeInto(err *error) {
	if rerr := t.Remove(); rerr != nil && *err == nil {
		*err = fmt.Errorf("removing the unpacked image at %s: %w", t.Dir, rerr)
	}
}
