package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// layered opens an in-memory image of the given layers (bottom first)
// with the given runtime config.
func layered(t *testing.T, runtime map[string]any, layers ...[]reprotar.File) (*source.Image, *analyze.Index) {
	t.Helper()
	var tars [][]byte
	var ids []string
	for _, files := range layers {
		tb, err := reprotar.Bytes(files)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(tb)
		tars = append(tars, tb)
		ids = append(ids, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return rawImage(t, runtime, nil, tars, ids)
}

func rawImage(t *testing.T, runtime map[string]any, extra map[string]any, tars [][]byte, ids []string) (*source.Image, *analyze.Index) {
	t.Helper()
	cfg := map[string]any{
		"architecture": "amd64", "os": "linux", "config": runtime,
		"rootfs": map[string]any{"type": "layers", "diff_ids": ids},
	}
	for k, v := range extra {
		cfg[k] = v
	}
	raw, _ := json.Marshal(cfg)
	im, err := source.Memory("demo:", raw, tars)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}

func reg(p string, data []byte, mode int64) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: mode, Data: data}
}

func file(p string, n int, fill byte) reprotar.File {
	b := make([]byte, n)
	for i := range b {
		b[i] = fill
	}
	return reg(p, b, 0o644)
}

func textFile(p, s string) reprotar.File { return reg(p, []byte(s), 0o644) }

func link(p, target string) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Symlink, Mode: 0o777, Link: target}
}

func dir(p string, mode int64) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Dir, Mode: mode}
}

func build(t *testing.T, im *source.Image, ix *analyze.Index, roots ...string) *closure.Closure {
	t.Helper()
	cl, err := closure.Build(context.Background(), im, ix, closure.Options{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// kinds lists the findings' kinds, sorted, each once.
func kinds(fs []finding.Finding) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		if !seen[f.Kind] {
			seen[f.Kind] = true
			out = append(out, f.Kind)
		}
	}
	sort.Strings(out)
	return out
}

func byKind(fs []finding.Finding, kind string) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

const interp = "/lib64/ld-linux-x86-64.so.2"

// program is a dynamic ELF executable needing libs.
func program(p string, needed []string, imports ...string) reprotar.File {
	return reg(p, demo.ELF(demo.ELFSpec{Interp: interp, Needed: needed, Imports: imports, Runpath: "/lib", Size: 4096}), 0o755)
}

func library(p, soname string, needed []string, rodata ...string) reprotar.File {
	return reg(p, demo.ELF(demo.ELFSpec{Soname: soname, Needed: needed, Rodata: rodata, Runpath: "/lib", Size: 4096}), 0o755)
}

// pemCert returns a self-signed certificate valid until notAfter, in PEM.
func pemCert(t *testing.T, notAfter time.Time) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root"},
		NotBefore: notAfter.Add(-48 * time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func diffID(tb []byte) string {
	sum := sha256.Sum256(tb)
	return "sha256:" + hex.EncodeToString(sum[:])
}
