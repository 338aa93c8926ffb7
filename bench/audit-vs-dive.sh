#!/usr/bin/env bash
# Times `whittle audit` cold (no cache) and warm (cached) against
# `dive --ci --source docker-archive` on the same archives: the two-layer
# Debian image of the tests (about 220 MB; its big layer stored raw, as
# Docker 25 saves) and the same with gzip layers (as registries serve
# them), or the archives given as arguments. Wall times are hyperfine's
# means (best of RUNS runs with /usr/bin/time when hyperfine is missing);
# peak memory is the largest max RSS over RUNS runs.
# dive is installed from the Go module proxy into a temporary GOBIN when it
# is not on PATH; none of its code enters this repository.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
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

# wall CMD...: mean seconds.
wall() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N -i -w 2 -r "$RUNS" --export-json "$work/h.json" "$(printf '%q ' "$@")" >/dev/null 2>&1
    python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/h.json"
  else
    local best=""
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -f '%e' -o "$work/t" "$@" >/dev/null 2>&1 || true
      t=$(cat "$work/t"); if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
  fi
}

# peak CMD...: largest max RSS in MB.
peak() {
  local most=0
  for _ in $(seq 3); do
    /usr/bin/time -f '%M' -o "$work/m" "$@" >/dev/null 2>&1 || true
    m=$(tail -1 "$work/m"); [ "$m" -gt "$most" ] && most=$m
  done
  echo $((most / 1024))
}

row() { printf '%-36s %9s s %8s MB\n' "$1" "$2" "$3"; }

for archive in "${archives[@]}"; do
  echo "archive: $archive ($(du -h "$archive" | cut -f1))"
  printf '%-36s %11s %11s\n' "" "wall" "peak RSS"
  cold=("$work/whittle" audit --no-cache "docker-archive:$archive")
  warm=("$work/whittle" audit --cache-dir "$work/cache" "docker-archive:$archive")
  dv=("$dive" --ci --lowestEfficiency 0 --highestUserWastedPercent disabled --source docker-archive "$archive")
  rm -rf "$work/cache"; "${warm[@]}" >/dev/null
  c=$(wall "${cold[@]}"); w=$(wall "${warm[@]}"); d=$(wall "${dv[@]}")
  row "whittle audit (cold, no cache)" "$c" "$(peak "${cold[@]}")"
  row "whittle audit (warm, cached)" "$w" "$(peak "${warm[@]}")"
  row "dive --ci --source docker-archive" "$d" "$(peak "${dv[@]}")"
  awk -v c="$c" -v w="$w" -v d="$d" 'BEGIN{printf "warm/cold %.1f%%, cold/dive %.2f\n\n", 100*w/c, c/d}'
done
