#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME (default 60s) each, then copies the
# corpus the fuzzer grew (kept in Go's cache) into each package's
# testdata/fuzz, so `go test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-60s}
cache=$(go env GOCACHE)/fuzz/$(go list -m)
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "== $pkg $target ($t)"
    go test "$pkg" -run XXX -fuzz "^${target}\$" -fuzztime "$t" -fuzzminimizetime 5s
    rel=${pkg#"$(go list -m)"}
    if [ -d "$cache$rel/$target" ]; then
      mkdir -p "$dir/testdata/fuzz/$target"
      cp -n "$cache$rel/$target"/* "$dir/testdata/fuzz/$target/" 2>/dev/null || true
    fi
  done
done
