#!/usr/bin/env bash
# Prints how fast whittle scans file contents for Nix store references
# (internal/nixref, 1000 candidate hash parts, 64 KiB reads) beside how fast
# sha256sum reads the same bytes: real files of this machine (libraries,
# executables, documentation) concatenated into one file of SIZE_MIB.
#
# usage: bench/nixref.sh [SIZE_MIB]   (default 512)
set -euo pipefail
cd "$(dirname "$0")/.."

size_mib=${1:-512}
bytes=$((size_mib << 20))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data

# Real content first, repeated until the file has the requested size.
find /usr/lib /usr/bin /usr/share/doc -type f -size +0 2>/dev/null | sort |
	xargs -d '\n' cat 2>/dev/null | head -c "$bytes" >"$tmp/seed" || true
seed_size=$(stat -c %s "$tmp/seed")
if [ "$seed_size" -eq 0 ]; then
	echo "nixref.sh: found no files to read under /usr" >&2
	exit 1
fi
while [ "$(stat -c %s "$data" 2>/dev/null || echo 0)" -lt "$bytes" ]; do
	cat "$tmp/seed" >>"$data"
done
truncate -s "$bytes" "$data"
cat "$data" >/dev/null # into the page cache, for both contenders

now() { date +%s%N; }
best=0
for _ in 1 2 3; do
	start=$(now)
	sha256sum "$data" >/dev/null
	end=$(now)
	ns=$((end - start))
	if [ "$best" -eq 0 ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
done
sha_gbs=$(awk -v b="$bytes" -v ns="$best" 'BEGIN { printf "%.2f", b / ns }')

out=$(NIXREF_BENCH_FILE=$data go test ./internal/nixref -run '^$' -bench '^BenchmarkScanFile$' -benchtime 5x -count 3)
scan_gbs=$(printf '%s\n' "$out" | awk '/^BenchmarkScanFile/ { for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s" && $i > best) best = $i } END { printf "%.2f", best / 1000 }')

printf 'content:          %d MiB of /usr/lib, /usr/bin, /usr/share/doc (%d MiB distinct)\n' "$size_mib" $((seed_size >> 20))
printf 'sha256sum:        %s GB/s\n' "$sha_gbs"
printf 'whittle nixref:   %s GB/s (%s x sha256sum)\n' "$scan_gbs" "$(awk -v a="$scan_gbs" -v b="$sha_gbs" 'BEGIN { printf "%.1f", a / b }')"
