#!/usr/bin/env bash
# Times `whittle audit` cold (no cache) against
# `dive --ci --source docker-archive` on the same archives, in one run:
# the default audit (findings included: the closure, bloat and
# breakage), `audit --ci` and `audit --no-findings`, plus the default
# audit warm (cached). The archives are the two-layer Debian python3
# image of the tests (about 240 MB; its big layer stored raw, as Docker 25
# saves) and the same with gzip layers (as registries serve them), or
# the archives given as arguments. Wall times are the best of RUNS runs
# (runs alternate between the tools, so a busy machine slows all alike);
# peak memory is the largest max RSS (/usr/bin/time -v) over those runs.
# The targets: the default audit and `audit --ci` cold at most dive's
# wall time and at most 64 MiB.
# dive is installed from the Go module proxy into a temporary GOBIN when it
# is not on PATH; none of its code enters this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
work=$(mktemp -d -t whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ $# -gt 0 ]; then
  archives=("$@")
else
  archives=("$(go run ./bench/mkdebian)" "$(go run ./bench/mkdebian -gzip)")
fi
go build -o "$work/whittle" ./cmd/whittle
dive=$(command -v dive || true)
if [ -z "$dive" ]; then
  GOBIN="$work/bin" go install github.com/wagoodman/dive/cmd/dive@latest
  dive="$work/bin/dive"
fi

# run NAME CMD...: runs CMD once, keeping NAME's best wall seconds and
# largest max RSS (KiB) in $work/NAME.wall and $work/NAME.rss.
run() {
  local name=$1; shift
  /usr/bin/time -v -o "$work/t" "$@" >/dev/null 2>&1 || true
  local t m
  t=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/t")
  m=$(awk -F': ' '/Maximum resident set size/{print $2}' "$work/t")
  if [ ! -s "$work/$name.wall" ] || awk "BEGIN{exit !($t < $(cat "$work/$name.wall"))}"; then echo "$t" >"$work/$name.wall"; fi
  if [ ! -s "$work/$name.rss" ] || [ "$m" -gt "$(cat "$work/$name.rss")" ]; then echo "$m" >"$work/$name.rss"; fi
}

row() {
  local name=$1 label=$2
  printf '%-40s %8s s %7s MiB %8.2fx dive\n' "$label" "$(cat "$work/$name.wall")" "$(($(cat "$work/$name.rss") / 1024))" \
    "$(awk -v a="$(cat "$work/$name.wall")" -v b="$(cat "$work/dive.wall")" 'BEGIN{print a/b}')"
}

for archive in "${archives[@]}"; do
  echo "archive: $archive ($(du -h "$archive" | cut -f1))"
  rm -f "$work"/*.wall "$work"/*.rss
  ref="docker-archive:$archive"
  rm -rf "$work/cache"; "$work/whittle" audit --cache-dir "$work/cache" "$ref" >/dev/null 2>&1 || true
  for _ in $(seq "$RUNS"); do
    run dive "$dive" --ci --lowestEfficiency 0 --highestUserWastedPercent disabled --source docker-archive "$archive"
    run audit "$work/whittle" audit --no-cache "$ref"
    run ci "$work/whittle" audit --no-cache --ci "$ref"
    run nofindings "$work/whittle" audit --no-cache --no-findings "$ref"
    run warm "$work/whittle" audit --cache-dir "$work/cache" "$ref"
  done
  printf '%-40s %10s %11s %14s\n' "" "wall" "peak RSS" "ratio"
  row dive "dive --ci --source docker-archive"
  row audit "whittle audit (cold, findings)"
  row ci "whittle audit --ci (cold, findings)"
  row nofindings "whittle audit --no-findings (cold)"
  row warm "whittle audit (warm, cached)"
  echo
done
