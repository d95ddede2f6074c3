#!/usr/bin/env bash
# Runs every test: C unit tests (cmocka; the store contract on SQLite and PostgreSQL), the generated
# docs check, the API suite on SQLite and on a throwaway PostgreSQL cluster, the short crash test on both,
# the unit and API suites again under AddressSanitizer/UBSan, the fuzz smoke pass, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
root=$(pwd)
failed=()

pgdir=$(mktemp -d /tmp/fairlabel-pg.XXXXXX)
cleanup() { scripts/pg-temp.sh stop "$pgdir" >/dev/null 2>&1 || true; }
trap cleanup EXIT
step() { printf '\n==== [%ds] %s\n' "$SECONDS" "$*"; }
# bg NAME CMD…: runs CMD in the background with its output in test-artifacts/NAME.log; fg NAME SUITE waits
# for it, prints the log and records SUITE as failed when CMD failed.
declare -A bg_pids
bg() { local name=$1; shift; "$@" >"test-artifacts/$name.log" 2>&1 & bg_pids[$name]=$!; }
fg() {
  local rc=0
  wait "${bg_pids[$1]}" || rc=$?
  step "$1 (test-artifacts/$1.log)"
  cat "test-artifacts/$1.log"
  [ "$rc" = 0 ] || failed+=("$2")
}
mkdir -p test-artifacts

step "PostgreSQL: starting a throwaway cluster"
pg_url=$(scripts/pg-temp.sh start "$pgdir")
echo "$pg_url"

step "unit tests (cmocka), store contract on SQLite and PostgreSQL"
FAIRLABEL_TEST_PG_URL="$pg_url" meson test -C "$build" --print-errorlogs || failed+=(unit)

step "generated docs are up to date"
if ./"$build"/fairlabel errors-doc | diff -u docs/errors.md - ; then echo "docs/errors.md ok"; else
  echo "docs/errors.md is stale: run ./$build/fairlabel errors-doc > docs/errors.md"; failed+=(docs); fi

# Suites that do not share a database run side by side (every test server has its own), each with its
# output kept in test-artifacts/ and printed when it ends, so CI on 2 cores stays near 15 minutes.
step "API tests on SQLite and on PostgreSQL side by side, while the ASan + UBSan build compiles"
bg api-sqlite env FAIRLABEL_BIN="$root/$build/fairlabel" node --test tests/api/
bg api-postgres env FAIRLABEL_BIN="$root/$build/fairlabel" FAIRLABEL_TEST_PG_URL="$pg_url" node --test tests/api/
bg build-asan scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fg api-sqlite api-sqlite
fg api-postgres api-postgres
fg build-asan build-asan

step "crash test (short) on SQLite and PostgreSQL"
crash_ok=1
FAIRLABEL_BIN="$root/$build/fairlabel" node --test tests/crash/crash.test.mjs || crash_ok=0
FAIRLABEL_BIN="$root/$build/fairlabel" FAIRLABEL_TEST_PG_URL="$pg_url" node --test tests/crash/crash.test.mjs || crash_ok=0
[ "$crash_ok" = 1 ] || failed+=(crash)

step "sanitizers: unit tests and the API suite on SQLite under ASan + UBSan, beside the browser tests"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
FAIRLABEL_TEST_PG_URL="$pg_url" meson test -C build-asan --print-errorlogs || failed+=(unit-asan)
bg api-asan env FAIRLABEL_BIN="$root/build-asan/fairlabel" node --test tests/api/
unset ASAN_OPTIONS UBSAN_OPTIONS
bg browser env FAIRLABEL_BIN="$root/$build/fairlabel" node --test tests/browser/
fg api-asan api-asan
fg browser browser

step "fuzz smoke: every libFuzzer harness over its seeds and regressions, then 5 s of fuzzing each"
scripts/fuzz.sh smoke 5 || failed+=(fuzz)

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
