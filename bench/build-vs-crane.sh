#!/usr/bin/env bash
# Times whittle build against crane append and tar | gzip -6 on the same
# tree: the Debian root of the tests (about 250 MB, 9,400 files), every
# file kept in one gzip layer written as an OCI layout. Reports each
# one's best wall time and CPU time (user + system) of three runs and its
# peak RSS (GNU time -v), and whittle's ratios to crane (targets: at most
# 1.0x crane's wall time, at most 128 MiB; on a busy machine the CPU time
# is the steadier figure). Then the whole trim of the Debian python3 image
# (open, closure, /etc, build, OCI layout), cold and with its layer cache
# warm.
# Needs: go, the fixtures (built by the tests), GNU time (/usr/bin/time),
# crane (on PATH, or installed here from the Go module proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
export WHITTLE_FIXTURE_DIR="${WHITTLE_FIXTURE_DIR:-/tmp/whittle-bench-fixtures}"
work=$(mktemp -d -t whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/whittle" ./cmd/whittle
crane=$(command -v crane || true)
if [ -z "$crane" ]; then
	GOBIN="$work" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
	crane="$work/crane"
fi
tarball=$(go run ./bench/mkdebian -rootfs)
root="$work/root"
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
tar -C "$root" -cf "$work/root.tar" .
bytes=$(du -sb "$root" | cut -f1)
files=$(find "$root" -type f | wc -l)
echo "tree: $files files, $bytes bytes"

# run NAME COMMAND...: best wall time of three runs and the peak RSS of
# the runs (GNU time -v's "Maximum resident set size"); sets last_s and
# last_mib for the ratios.
run() {
	local name=$1; shift
	local best= cpu= peak=0
	for i in 1 2 3; do
		/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>&1
		local t c m
		t=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; print s}' "$work/time")
		c=$(awk -F': ' '/(User|System) time \(seconds\)/ {s += $2} END {print s}' "$work/time")
		m=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
		if [ -z "$cpu" ] || [ "$(echo "$c < $cpu" | bc)" = 1 ]; then cpu=$c; fi
		if [ "$m" -gt "$peak" ]; then peak=$m; fi
	done
	last_s=$best last_cpu=$cpu
	last_mib=$(echo "scale=1; $peak / 1024" | bc)
	printf '%-40s %8.2f s  %8.1f MB/s  %6.2f s CPU  %8.1f MiB peak\n' "$name" "$best" "$(echo "$bytes / $best / 1000000" | bc -l)" "$cpu" "$last_mib"
}
run "whittle build dir: (index + build)" sh -c "rm -rf $work/o; $work/whittle build dir:$root --no-cache --keep '/**' -q -o oci:$work/o"
w_s=$last_s w_cpu=$last_cpu w_mib=$last_mib
run "crane append (tar in, gzip layer)" "$crane" append -f "$work/root.tar" --oci-empty-base -t whittle.bench/x:1 -o "$work/crane.tar"
c_s=$last_s c_cpu=$last_cpu c_mib=$last_mib
run "tar | gzip -6" sh -c "tar -C $root -c . | gzip -6 > /dev/null"
printf '%-40s %8.2fx time  %6.2fx CPU  %8.2fx peak memory\n' "whittle build / crane append" "$(echo "$w_s / $c_s" | bc -l)" "$(echo "$w_cpu / $c_cpu" | bc -l)" "$(echo "$w_mib / $c_mib" | bc -l)"

py="rootfs-tar:$tarball"
cache="$work/cache"
trim() { "$work/whittle" build "$py" --cache-dir "$cache" -q --root /usr/bin/python3 --entrypoint python3 \
	--etc-locales C.UTF-8 --etc-timezones UTC --etc-certificates all -o "oci:$work/py"; }
rm -rf "$cache"; s=$(date +%s.%N); trim >/dev/null; e=$(date +%s.%N)
printf '%-40s %8.2f s\n' "python3 trim, cold" "$(echo "$e - $s" | bc)"
s=$(date +%s.%N); trim >/dev/null; e=$(date +%s.%N)
printf '%-40s %8.2f s\n' "python3 trim, unchanged plan again" "$(echo "$e - $s" | bc)"
