#!/usr/bin/env bash
# Times `whittle graph --roots /usr/bin/python3` on the Debian root of the
# tests (rootfs-tar:, about 250 MB, 9,400 files): cold (an empty cache,
# and --no-cache: every layer read, every fact learnt, the closure
# computed) and warm (the closure of these layers and options cached),
# against a warm `audit` with and without findings, as medians of RUNS
# runs of the whole process. With strace installed it also counts the
# bytes a cold graph reads of the tarball. Needs: go, the fixtures (built
# by the tests or here), bc.
set -euo pipefail
cd "$(dirname "$0")/.."
export WHITTLE_FIXTURE_DIR="${WHITTLE_FIXTURE_DIR:-/tmp/whittle-bench-fixtures}"
RUNS=${RUNS:-21}
work=$(mktemp -d -t whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/whittle" ./cmd/whittle
tarball=$(go run ./bench/mkdebian -rootfs)
ref="rootfs-tar:$tarball"
cache="$work/cache"

# median RUNS CMD...: the median wall seconds of RUNS runs of CMD.
median() {
	local runs=$1; shift
	local times=()
	for _ in $(seq "$runs"); do
		local s e
		s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
		times+=("$(echo "scale=4; ($e - $s) / 1000000000" | bc)")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

graph=("$work/whittle" graph "$ref" --roots /usr/bin/python3)
cold=$(median 3 "${graph[@]}" --no-cache)
coldCache=$(median 3 sh -c 'rm -rf "$1"; shift; "$@"' - "$work/empty" "${graph[@]}" --cache-dir "$work/empty")
"${graph[@]}" --cache-dir "$cache" >/dev/null # fill the cache
warm=$(median "$RUNS" "${graph[@]}" --cache-dir "$cache")
why=$(median "$RUNS" "${graph[@]}" --cache-dir "$cache" --why /usr/share/zoneinfo/UTC)
audit=("$work/whittle" audit "$ref" --cache-dir "$cache")
"${audit[@]}" >/dev/null
auditWarm=$(median "$RUNS" "${audit[@]}")
auditBare=$(median "$RUNS" "${audit[@]}" --no-findings)

row() { printf '%-52s %8.3f s  %s\n' "$1" "$2" "${3:-}"; }
row "graph --roots /usr/bin/python3, cold (--no-cache)" "$cold"
row "graph --roots /usr/bin/python3, cold (empty cache)" "$coldCache"
row "graph --roots /usr/bin/python3, warm" "$warm" "$(printf '%.1f%% of cold' "$(echo "100 * $warm / $cold" | bc -l)")"
row "graph ... --why /usr/share/zoneinfo/UTC, warm" "$why"
row "audit, warm (findings: closure, bloat, breakage)" "$auditWarm" "$(printf 'warm graph / warm audit = %.2f' "$(echo "$warm / $auditWarm" | bc -l)")"
row "audit --no-findings, warm" "$auditBare" "$(printf 'warm graph / this = %.2f' "$(echo "$warm / $auditBare" | bc -l)")"

# bytes CMD...: the bytes CMD reads of the tarball (read and pread64 on
# the descriptors it opened it as), from strace.
if command -v strace >/dev/null; then
	rm -rf "$work/empty"
	strace -f -qq -e trace=openat,read,pread64,close -o "$work/strace" "${graph[@]}" --cache-dir "$work/empty" >/dev/null
	read=$(awk -v f="$tarball" '
		/openat\(/ && index($0, "\"" f "\"") { n = $NF; fd[n] = 1; next }
		/close\(/ { sub(/.*close\(/, ""); sub(/\).*/, ""); delete fd[$0]; next }
		/(read|pread64)\(/ { s = $0; sub(/.*(read|pread64)\(/, "", s); sub(/,.*/, "", s); if (s in fd && $NF ~ /^[0-9]+$/) total += $NF }
		END { print total + 0 }' "$work/strace")
	size=$(stat -c %s "$tarball")
	printf '%-52s %8d MB of %d MB (%.2fx)\n' "bytes a cold graph reads of the tarball" $((read / 1000000)) $((size / 1000000)) "$(echo "$read / $size" | bc -l)"
fi
