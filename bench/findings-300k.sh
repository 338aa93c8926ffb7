#!/usr/bin/env bash
# Times `whittle audit` cold (no cache) with its findings (the closure,
# bloat and breakage) against `audit --no-findings` on a docker archive
# whose one layer holds 300,000 small files (bench/mkmanyfiles: a big
# application's node_modules, Python packages with bytecode, docs,
# manual pages, translations; deterministic), stored raw and gzip.
# FILES changes the count, RUNS the runs (best wall time, largest max
# RSS by /usr/bin/time -v). The target: findings at most 1.5x
# --no-findings.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
FILES=${FILES:-300000}
work=$(mktemp -d -t whittle-300k.XXXXXX)
trap 'rm -rf "$work"' EXIT

go build -o "$work/whittle" ./cmd/whittle

# measure CMD...: "best-wall-seconds peak-MiB" over RUNS runs.
measure() {
  local best="" most=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$work/t" "$@" >/dev/null 2>&1 || true
    t=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$work/t")
    m=$(awk -F': ' '/Maximum resident set size/{print $2}' "$work/t")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    [ "$m" -gt "$most" ] && most=$m
  done
  echo "$best $((most / 1024))"
}

for mode in raw gzip; do
  flag=""; [ "$mode" = gzip ] && flag=-gzip
  archive=$(go run ./bench/mkmanyfiles -files "$FILES" $flag -dir "$work/$mode")
  echo "archive: $FILES files, layer $mode ($(du -h "$archive" | cut -f1))"
  read -r nf nfm < <(measure "$work/whittle" audit --no-cache --no-findings "docker-archive:$archive")
  read -r wf wfm < <(measure "$work/whittle" audit --no-cache "docker-archive:$archive")
  printf '%-36s %8s s %6s MiB\n' "whittle audit --no-findings (cold)" "$nf" "$nfm" "whittle audit (cold, findings)" "$wf" "$wfm"
  awk -v a="$wf" -v b="$nf" 'BEGIN{printf "findings / --no-findings: %.2f (target at most 1.5)\n\n", a/b}'
  rm -rf "${work:?}/$mode"
done
