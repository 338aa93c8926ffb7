#!/usr/bin/env bash
# Times `whittle audit` cold (no cache) and warm (cached) against
# `dive --ci --source docker-archive` on the same archive: the two-layer
# Debian image of the tests (about 220 MB), or the archive given as $1.
# Prints wall time and peak memory (max RSS) of each, best of $RUNS runs.
# dive is installed from the Go module proxy into a temporary GOBIN when it
# is not on PATH; none of its code enters this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
work=$(mktemp -d -t whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

archive=${1:-$(go run ./bench/mkdebian)}
go build -o "$work/whittle" ./cmd/whittle
dive=$(command -v dive || true)
if [ -z "$dive" ]; then
  GOBIN="$work/bin" go install github.com/wagoodman/dive@latest
  dive="$work/bin/dive"
fi

# measure NAME CMD...: best wall seconds and peak RSS (MB) over $RUNS runs.
measure() {
  local name=$1; shift
  local best_t="" best_m=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
      rc=$?; [ $rc -eq 2 ] || { cat "$work/err" >&2; echo "$name failed ($rc)" >&2; exit 1; }; }
    read -r t m < "$work/time"
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; fi
    if [ -z "$best_m" ] || [ "$m" -lt "$best_m" ]; then best_m=$m; fi
  done
  printf '%-34s %8.2f s %8.0f MB\n' "$name" "$best_t" "$((best_m / 1024))"
}

echo "archive: $archive ($(du -h "$archive" | cut -f1))"
printf '%-34s %10s %11s\n' "" "wall" "peak RSS"
measure "whittle audit (cold, no cache)" "$work/whittle" audit --no-cache "docker-archive:$archive"
"$work/whittle" audit --cache-dir "$work/cache" "docker-archive:$archive" >/dev/null
measure "whittle audit (warm, cached)" "$work/whittle" audit --cache-dir "$work/cache" "docker-archive:$archive"
measure "dive --ci --source docker-archive" env CI=true "$dive" --ci --source docker-archive "$archive"
