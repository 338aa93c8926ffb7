#!/usr/bin/env bash
# Times whittle build against crane append and tar | gzip -6 on the same
# tree: the Debian root of the tests (about 250 MB, 9,400 files), every
# file kept in one gzip layer written as an OCI layout. Then the whole
# trim of the Debian python3 image (open, closure, /etc, build, OCI
# layout), cold and with its layer cache warm.
# Needs: go, the fixtures (built by the tests), crane (installed here
# from the Go module proxy), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
export WHITTLE_FIXTURE_DIR="${WHITTLE_FIXTURE_DIR:-/tmp/whittle-bench-fixtures}"
work=$(mktemp -d -t whittle-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
go build -o "$work/whittle" ./cmd/whittle
GOBIN="$work" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
tarball=$(go run ./bench/mkdebian -rootfs)
root="$work/root"
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
tar -C "$root" -cf "$work/root.tar" .
bytes=$(du -sb "$root" | cut -f1)
files=$(find "$root" -type f | wc -l)
echo "tree: $files files, $bytes bytes"

run() { # name, command...
	local name=$1; shift
	local best=
	for i in 1 2 3; do
		local s e
		s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
		local t; t=$(echo "$e - $s" | bc)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	printf '%-40s %8.2f s  %8.1f MB/s\n' "$name" "$best" "$(echo "$bytes / $best / 1000000" | bc -l)"
}
run "whittle build dir: (index + build)" sh -c "rm -rf $work/o; $work/whittle build dir:$root --no-cache --keep '/**' -q -o oci:$work/o"
run "crane append (tar in, gzip layer)" "$work/crane" append -f "$work/root.tar" --oci-empty-base -t whittle.bench/x:1 -o "$work/crane.tar"
run "tar | gzip -6" sh -c "tar -C $root -c . | gzip -6 > /dev/null"

py="rootfs-tar:$tarball"
cache="$work/cache"
trim() { "$work/whittle" build "$py" --cache-dir "$cache" -q --root /usr/bin/python3 --entrypoint python3 \
	--etc-locales C.UTF-8 --etc-timezones UTC --etc-certificates all -o "oci:$work/py"; }
rm -rf "$cache"; s=$(date +%s.%N); trim >/dev/null; e=$(date +%s.%N)
printf '%-40s %8.2f s\n' "python3 trim, cold" "$(echo "$e - $s" | bc)"
s=$(date +%s.%N); trim >/dev/null; e=$(date +%s.%N)
printf '%-40s %8.2f s\n' "python3 trim, unchanged plan again" "$(echo "$e - $s" | bc)"
