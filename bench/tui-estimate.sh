#!/usr/bin/env bash
# Times the app's first plan estimate on the Debian python3 docker archive
# (gzip layers; no layer cache: opening, indexing, closure, findings and
# the plan's evaluation, BenchmarkEstimateDebian in tui/) beside a cold
# `whittle audit --no-cache` of the same file, RUNS times each,
# interleaved, and prints the medians and their ratio (target: at most
# 1.5). Needs: go, GNU time, the fixtures (built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
export WHITTLE_FIXTURE_DIR="${WHITTLE_FIXTURE_DIR:-/tmp/whittle-bench-fixtures}"
work=$(mktemp -d -t whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
archive=$(go run ./bench/mkdebian -gzip)
go build -o "$work/whittle" ./cmd/whittle
go test -c -o "$work/tui.test" ./tui
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f %e -o "$work/t" "$work/whittle" audit --no-cache "docker-archive:$archive" >/dev/null
  cat "$work/t" >>"$work/audit"
  (cd tui && "$work/tui.test" -test.run '^$' -test.bench BenchmarkEstimateDebian -test.benchtime 1x) |
    awk '/^BenchmarkEstimateDebian/ {print $3/1e9}' >>"$work/tui"
done
a=$(median <"$work/audit")
e=$(median <"$work/tui")
echo "cold audit: median ${a} s of $RUNS"
echo "app estimate: median ${e} s of $RUNS"
awk -v a="$a" -v e="$e" 'BEGIN {printf "ratio estimate/audit: %.2f (target <= 1.5)\n", e/a}'
