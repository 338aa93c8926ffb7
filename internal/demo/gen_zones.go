//go:build ignore

// gen_zones writes zones.zip: the time zones the demo's tzdata store path
// holds, copied from the Go distribution's lib/time/zoneinfo.zip, stored
// uncompressed with fixed times so the file is reproducible.
//
//	go generate ./analyze/demo
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// zones are the TZif files to copy (the demo's symbolic links are made
// in code and need no data).
var zones = []string{
	"Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
	"America/Chicago", "America/Denver", "America/Los_Angeles", "America/Mexico_City",
	"America/New_York", "America/Sao_Paulo", "America/Toronto",
	"Asia/Dubai", "Asia/Hong_Kong", "Asia/Kolkata", "Asia/Seoul", "Asia/Shanghai",
	"Asia/Singapore", "Asia/Tokyo", "Australia/Sydney",
	"Etc/GMT", "Etc/UTC",
	"Europe/Amsterdam", "Europe/Berlin", "Europe/Helsinki", "Europe/Kyiv", "Europe/London",
	"Europe/Madrid", "Europe/Moscow", "Europe/Paris", "Europe/Riga", "Europe/Rome",
	"Europe/Stockholm", "Europe/Warsaw",
	"GMT", "Pacific/Auckland", "UTC",
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen_zones:", err)
		os.Exit(1)
	}
}

func run() error {
	goroot := os.Getenv("GOROOT")
	if goroot == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("finding GOROOT: %w", err)
		}
		goroot = strings.TrimSpace(string(out))
	}
	src := filepath.Join(goroot, "lib", "time", "zoneinfo.zip")
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range zones {
		f, err := zr.Open(name)
		if err != nil {
			return fmt.Errorf("reading %s from %s: %w", name, src, err)
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("reading %s from %s: %w", name, src, err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile("zones.zip", buf.Bytes(), 0o644)
}
