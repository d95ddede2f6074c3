#!/usr/bin/env bash
# Builds and runs the libFuzzer harnesses of fuzz/ (docs/fuzzing.md) in build-fuzz (clang, ASan+UBSan).
#   scripts/fuzz.sh build                    # configure (once) and build every harness
#   scripts/fuzz.sh smoke [SECONDS]          # every committed seed and regression, then SECONDS (5) of fuzzing each
#   scripts/fuzz.sh run [SECONDS] [TARGET…]  # SECONDS (FUZZ_SECONDS, 60) of fuzzing each target, one at a time
#   scripts/fuzz.sh repro TARGET FILE…       # runs the harness on those inputs only
# A crash fails the command and leaves the input in test-artifacts/fuzz/; keep it as a regression with
#   cp test-artifacts/fuzz/TARGET-crash-… fuzz/regressions/TARGET/
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-fuzz
targets=(fuzz_jsonl_import fuzz_csv_import fuzz_pcd fuzz_kitti fuzz_image_header fuzz_zip_manifest
         fuzz_labelstudio_import fuzz_coco_import fuzz_routes)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

build() {
  mkdir -p test-artifacts/fuzz
  scripts/vendor-web.sh
  local files
  files=$( (find web src fuzz -type f; ls tests/unit) | sort | sha1sum | cut -c1-40)
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
      -Dbuildtype=debugoptimized -Dwerror=false >/dev/null
  elif [ "$(cat "$dir/.embedded-files" 2>/dev/null)" != "$files" ]; then
    meson setup --reconfigure "$dir" >/dev/null
  fi
  echo "$files" > "$dir/.embedded-files"
  ninja -C "$dir" "${targets[@]}" >test-artifacts/fuzz/ninja.log 2>&1 || { cat test-artifacts/fuzz/ninja.log; return 1; }
  for t in "${targets[@]}"; do test -x "$dir/$t"; done
}

# fuzz TARGET SECONDS: one process replays the committed seeds and regressions, then fuzzes until
# SECONDS have passed since it started; new inputs go to a scratch corpus (test-artifacts/fuzz/corpus/
# TARGET, kept between runs of `run`; a temporary one for `smoke`), never into the committed one.
fuzz() {
  local t=$1 secs=$2 scratch=${scratch_root:-test-artifacts/fuzz/corpus}/$1 log=test-artifacts/fuzz/$1.log
  mkdir -p "$scratch" fuzz/regressions/"$t"
  echo "== $t: $(ls fuzz/corpus/"$t" | wc -l) seeds, $(ls fuzz/regressions/"$t" | wc -l) regressions, ${secs}s"
  local rc=0 extra=()
  # The server harnesses skip libFuzzer's per-input leak check (a full LSan scan after each input
  # took them from ~45 to ~2 inputs/s here); LeakSanitizer still runs when the process exits.
  case "$t" in fuzz_routes|fuzz_zip_manifest) extra+=(-detect_leaks=0) ;; esac
  ./"$dir"/"$t" "${extra[@]}" -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix=test-artifacts/fuzz/"$t"- "$scratch" fuzz/corpus/"$t" fuzz/regressions/"$t" >"$log" 2>&1 || rc=$?
  grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Test unit written|fuzz: )' "$log" || true
  [ "$rc" -eq 0 ] || { tail -n 40 "$log"; return 1; }
}

cmd=${1:-smoke}
shift || true
case "$cmd" in
  build) build ;;
  smoke|run)
    secs=${1:-$([ "$cmd" = smoke ] && echo 5 || echo "${FUZZ_SECONDS:-60}")}
    shift || true
    [ $# -gt 0 ] && targets=("$@")
    build
    # The smoke pass starts from the committed inputs only, so its time does not grow with past runs.
    if [ "$cmd" = smoke ]; then scratch_root=$(mktemp -d /tmp/fairlabel-fuzz-smoke.XXXXXX); fi
    failed=()
    for t in "${targets[@]}"; do fuzz "$t" "$secs" || failed+=("$t"); done
    [ "$cmd" = smoke ] && rm -rf "$scratch_root"
    if [ ${#failed[@]} -gt 0 ]; then
      echo "fuzz: crashes in ${failed[*]} (inputs in test-artifacts/fuzz/)"
      exit 1
    fi
    echo "fuzz: no crash in ${targets[*]}" ;;
  repro)
    t=$1
    shift
    build
    ./"$dir"/"$t" -runs=1 "$@" ;;
  *) echo "usage: scripts/fuzz.sh build | smoke [SECONDS] | run [SECONDS] [TARGET…] | repro TARGET FILE…" >&2; exit 2 ;;
esac
