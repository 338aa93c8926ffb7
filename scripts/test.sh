#!/usr/bin/env bash
# Runs whittle's whole test suite: the Debian tools the end-to-end tests
# drive are installed first when missing, expensive fixtures (a Debian root
# file system, a Nix store) are built once into a fresh directory shared by
# every test package, and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package providing it
declare -A tools=(
  [mmdebstrap]=mmdebstrap [nix-build]=nix-bin [skopeo]=skopeo [umoci]=umoci
  [docker-registry]=docker-registry [bwrap]=bubblewrap [tmux]=tmux [podman]=podman
  [localedef]=libc-bin [openssl]=openssl [tar]=tar [busybox]=busybox-static [cc]=gcc [patchelf]=patchelf
  [javac]=openjdk-17-jdk-headless [npm]=npm [strace]=strace [setpriv]=util-linux
)
missing=()
for cmd in "${!tools[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${tools[$cmd]}")
done
if ((${#missing[@]})); then
  echo "installing test tools: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A fixture directory the caller names is theirs to keep; one made here is
# removed at the end unless KEEP_FIXTURES is set.
if [ -z "${WHITTLE_FIXTURE_DIR:-}" ]; then
  WHITTLE_FIXTURE_DIR=$(mktemp -d -t whittle-fixtures.XXXXXX)
  cleanup() { [ -n "${KEEP_FIXTURES:-}" ] || rm -rf "$WHITTLE_FIXTURE_DIR"; }
  trap cleanup EXIT
fi
export WHITTLE_FIXTURE_DIR

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 -timeout 25m "$@" ./...
