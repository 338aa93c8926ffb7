// Command mkmanyfiles writes a docker archive whose one layer holds many
// small files (300,000 by default), as a big application's dependencies
// do (node_modules, Python packages with their bytecode, documentation,
// translations, manual pages), and prints its path. The content is
// deterministic: the same flags write the same archive. It is the input
// of bench/findings-300k.sh.
package main

import (
	"archive/tar"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/whittle-dev/whittle/internal/testfix"
)

func main() {
	files := flag.Int("files", 300000, "number of regular files in the layer")
	gz := flag.Bool("gzip", false, "store the layer gzip-compressed (as registries serve it); default raw, as docker save writes it")
	dir := flag.String("dir", "", "directory to write into (default: a new temporary directory)")
	flag.Parse()
	out := *dir
	if out == "" {
		d, err := os.MkdirTemp("", "whittle-manyfiles-")
		if err != nil {
			log.Fatal(err)
		}
		out = d
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		log.Fatal(err)
	}
	archive, err := write(out, *files, *gz)
	if err != nil {
		log.Fatalf("writing the archive in %s: %v", out, err)
	}
	fmt.Println(archive)
}

// write writes the layer tar and the archive in dir and returns the
// archive's path.
func write(dir string, files int, gz bool) (string, error) {
	layer := filepath.Join(dir, "layer.tar")
	f, err := os.Create(layer)
	if err != nil {
		return "", err
	}
	g := &gen{tw: tar.NewWriter(f), rng: rand.New(rand.NewPCG(300, 1)), dirs: map[string]bool{}}
	g.words()
	g.layer(files)
	if err := g.err; err != nil {
		f.Close()
		return "", err
	}
	if err := g.tw.Close(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	archive := filepath.Join(dir, "manyfiles.tar")
	config := map[string]any{
		"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"},
		"Cmd": []string{"/app/bin/serve"},
	}
	err = testfix.WriteDockerArchiveConfig(archive, "whittle.bench/manyfiles:1", []testfix.ArchiveLayer{{Tar: layer, Gzip: gz, CreatedBy: "COPY . /"}}, config)
	os.Remove(layer)
	return archive, err
}

type gen struct {
	tw    *tar.Writer
	rng   *rand.Rand
	vocab [][]byte
	dirs  map[string]bool
	n     int // files written
	err   error
}

func (g *gen) words() {
	g.vocab = make([][]byte, 2048)
	for i := range g.vocab {
		w := make([]byte, 2+g.rng.IntN(9))
		for j := range w {
			w[j] = byte('a' + g.rng.IntN(26))
		}
		g.vocab[i] = append(w, ' ')
	}
}

// text returns n bytes of word salad starting with head.
func (g *gen) text(head string, n int) []byte {
	out := append(make([]byte, 0, n+16), head...)
	for len(out) < n {
		out = append(out, g.vocab[g.rng.IntN(len(g.vocab))]...)
		if g.rng.IntN(12) == 0 {
			out = append(out, '\n')
		}
	}
	return out[:max(n, len(head))]
}

// small is a small file's size: 32 B to 2 KiB, most under 1 KiB.
func (g *gen) small() int { return 32 + g.rng.IntN(1024) + g.rng.IntN(1024)*g.rng.IntN(2) }

func (g *gen) dir(p string) {
	if g.dirs[p] || p == "." || p == "/" {
		return
	}
	g.dir(filepath.Dir(p))
	g.dirs[p] = true
	g.header(&tar.Header{Name: "." + p + "/", Mode: 0o755, Typeflag: tar.TypeDir})
}

func (g *gen) header(h *tar.Header) {
	if g.err == nil {
		g.err = g.tw.WriteHeader(h)
	}
}

func (g *gen) file(p string, mode int64, body []byte) {
	g.dir(filepath.Dir(p))
	g.header(&tar.Header{Name: "." + p, Mode: mode, Size: int64(len(body)), Typeflag: tar.TypeReg})
	if g.err == nil {
		_, g.err = g.tw.Write(body)
	}
	g.n++
}

var licenses = []string{"MIT License\n\nPermission is hereby granted, free of charge, ", "ISC License\n\nPermission to use, copy, modify, ",
	"Apache License\nVersion 2.0, January 2004\n", "BSD 3-Clause License\n\nRedistribution and use ", "The Unlicense\n\nThis is free and unencumbered software "}

var langs = []string{"de", "fr", "es", "it", "ja", "ko", "pt_BR", "ru", "zh_CN", "zh_TW", "nl", "pl", "sv", "cs", "da", "fi", "hu", "tr", "uk", "vi"}

// layer writes files regular files: an entry point script, then the
// trees in turn until the count is reached.
func (g *gen) layer(files int) {
	g.file("/app/bin/serve", 0o755, []byte("#!/bin/sh\nexec node /app/server.js \"$@\"\n"))
	g.file("/app/server.js", 0o644, g.text("const http = require('http');\n", 900))
	g.header(&tar.Header{Name: "./tmp/", Mode: 0o1777, Typeflag: tar.TypeDir})
	license := make([][]byte, len(licenses))
	for i, l := range licenses {
		license[i] = g.text(l, 1000+i*37)
	}
	for pkg := 0; g.n < files && g.err == nil; pkg++ {
		switch pkg % 10 {
		case 0, 1, 2, 3, 4, 5: // an npm package: 40 files
			root := fmt.Sprintf("/app/node_modules/pkg%05d", pkg)
			g.file(root+"/package.json", 0o644, g.text(fmt.Sprintf("{\"name\": \"pkg%05d\", \"main\": \"lib/index.js\"}\n", pkg), 200+g.rng.IntN(400)))
			g.file(root+"/README.md", 0o644, g.text("# pkg\n", g.small()))
			g.file(root+"/LICENSE", 0o644, license[pkg%len(license)])
			g.file(root+"/bin/cli.js", 0o755, g.text("#!/usr/bin/env node\n", g.small()))
			for i := 0; i < 24 && g.n < files; i++ {
				g.file(fmt.Sprintf("%s/lib/m%02d.js", root, i), 0o644, g.text("'use strict';\n", g.small()))
			}
			for i := 0; i < 6 && g.n < files; i++ {
				g.file(fmt.Sprintf("%s/test/t%02d.js", root, i), 0o644, g.text("const assert = require('assert');\n", g.small()))
			}
			for i := 0; i < 6 && g.n < files; i++ {
				g.file(fmt.Sprintf("%s/lib/m%02d.d.ts", root, i), 0o644, g.text("export declare ", g.small()))
			}
		case 6, 7: // a Python package with its bytecode: 30 files
			root := fmt.Sprintf("/usr/lib/python3/dist-packages/mod%05d", pkg)
			for i := 0; i < 15 && g.n < files; i++ {
				g.file(fmt.Sprintf("%s/f%02d.py", root, i), 0o644, g.text("import os\n", g.small()))
				g.file(fmt.Sprintf("%s/__pycache__/f%02d.cpython-311.pyc", root, i), 0o644, g.text("\xa7\r\r\n", g.small()))
			}
		case 8: // documentation and manual pages: 20 files
			for i := 0; i < 10 && g.n < files; i++ {
				g.file(fmt.Sprintf("/usr/share/doc/lib%05d/f%02d", pkg, i), 0o644, g.text("Format: https://www.debian.org/doc/\n", g.small()))
				g.file(fmt.Sprintf("/usr/share/man/man%d/tool%05d-%d.1.gz", 1+i%8, pkg, i), 0o644, g.text("\x1f\x8b", g.small()))
			}
		case 9: // translations: 20 files
			for _, l := range langs {
				if g.n < files {
					g.file(fmt.Sprintf("/usr/share/locale/%s/LC_MESSAGES/dom%05d.mo", l, pkg), 0o644, g.text("\xde\x12\x04\x95", g.small()))
				}
			}
		}
	}
}
