package closure

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// memImage opens an in-memory image of one layer holding files, with the
// given runtime config, through analyze's demo hook.
func memImage(t *testing.T, runtime map[string]any, files ...reprotar.File) (*source.Image, *analyze.Index) {
	t.Helper()
	tarball, err := reprotar.Bytes(files)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tarball)
	raw, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": runtime,
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}},
	})
	im, err := source.Memory("demo:", raw, [][]byte{tarball})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}

func reg(p, content string, mode int64) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: mode, Data: []byte(content)}
}

func link(p, target string) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Symlink, Mode: 0o777, Link: target}
}
