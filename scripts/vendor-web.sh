#!/usr/bin/env bash
# Copies the browser libraries the web UI imports from node_modules into web/static/vendor/, so the
# build embeds them (the folder is generated and git-ignored). Run by scripts/build.sh before meson.
# Idempotent: a file is only rewritten when its content changed, so ninja rebuilds nothing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/three/build
dest=web/static/vendor
if [ ! -f "$src/three.module.js" ]; then
  echo "vendor-web: $src/three.module.js is missing; run 'npm ci' in $(pwd) first" >&2
  exit 1
fi
mkdir -p "$dest"
# three.module.js plus every module it imports by relative path (three.core.js since r16x), transitively.
queue=(three.module.js)
seen=" "
while [ ${#queue[@]} -gt 0 ]; do
  f=${queue[0]}
  queue=("${queue[@]:1}")
  case "$seen" in *" $f "*) continue ;; esac
  seen="$seen$f "
  if [ ! -f "$src/$f" ]; then
    echo "vendor-web: $src/$f (imported by three) is missing; run 'npm ci'" >&2
    exit 1
  fi
  cmp -s "$src/$f" "$dest/$f" || cp "$src/$f" "$dest/$f"
  # import/export … from './x.js' and bare import './x.js' at any line position.
  while IFS= read -r dep; do
    case "$dep" in */*) echo "vendor-web: $f imports $dep from a sub-folder; not supported" >&2; exit 1 ;; esac
    queue+=("$dep")
  done < <(grep -oE "(from|import)[[:space:]]*['\"]\./[^'\"]+['\"]" "$src/$f" | sed -E "s/.*['\"]\.\/([^'\"]+)['\"]/\1/" | sort -u)
done
# Drop files a previous three version needed and this one does not.
for old in "$dest"/*; do
  [ -e "$old" ] || continue
  case "$seen" in *" $(basename "$old") "*) ;; *) rm -f "$old" ;; esac
done
