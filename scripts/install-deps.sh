#!/usr/bin/env bash
# Installs what fairlabel needs and is missing: Debian packages (apt) and, for tests, the npm
# packages in package-lock.json. Does nothing when everything is present.
#   scripts/install-deps.sh build   # compiler, meson, libraries, npm packages (three.js is embedded)
#   scripts/install-deps.sh test    # plus PostgreSQL, Chromium, Node.js and npm packages
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-build}

pkgs=(gcc libc6-dev meson ninja-build pkg-config libevent-dev libjansson-dev libsodium-dev libsqlite3-dev libpq-dev
      libcurl4-openssl-dev libpng-dev libjpeg62-turbo-dev libwebp-dev libzip-dev zlib1g-dev)
if [ "$mode" = test ]; then
  pkgs+=(libcmocka-dev postgresql chromium ca-certificates)
  # clang and its libFuzzer runtime for the fuzz harnesses, valgrind for `make valgrind` (docs/fuzzing.md)
  pkgs+=(clang libclang-rt-14-dev valgrind)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm: the build embeds three.js from npm; the tests run on node.
if ! command -v node >/dev/null; then missing+=(nodejs); fi
if ! command -v npm >/dev/null; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if true; then
  # npm ci only when the lock file changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.fairlabel-lock; then
    npm ci --no-audit --no-fund
    cp package-lock.json node_modules/.fairlabel-lock
  fi
fi
