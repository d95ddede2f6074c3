#!/usr/bin/env bash
# Configures (once, or again when the embedded file set changed) and builds with meson + ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
scripts/vendor-web.sh
files=$( (find web src -type f; ls tests/unit) | sort | sha1sum | cut -c1-40)
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@" >/dev/null
elif [ "$(cat "$dir/.embedded-files" 2>/dev/null)" != "$files" ]; then
  meson setup --reconfigure "$dir" "$@" >/dev/null
fi
echo "$files" > "$dir/.embedded-files"
ninja -C "$dir" | grep -v '^\[' || true
test -x "$dir/fairlabel"
