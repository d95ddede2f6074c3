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
step() { printf '\n==== %s\n' "$*"; }

step "PostgreSQL: starting a throwaway cluster"
pg_url=$(scripts/pg-temp.sh start "$pgdir")
echo "$pg_url"

step "unit tests (cmocka), store contract on SQLite and PostgreSQL"
FAIRLABEL_TEST_PG_URL="$pg_url" meson test -C "$build" --print-errorlogs || failed+=(unit)

step "generated docs are up to date"
if ./"$build"/fairlabel errors-doc | diff -u docs/errors.md - ; then echo "docs/errors.md ok"; else
  echo "docs/errors.md is stale: run ./$build/fairlabel errors-doc > docs/errors.md"; failed+=(docs); fi

# The two backends' API suites run side by side (each test server has its own database); their output is
# kept apart in test-artifacts/ and printed after.
step "API tests on SQLite and on PostgreSQL, side by side"
mkdir -p test-artifacts
FAIRLABEL_BIN="$root/$build/fairlabel" node --test tests/api/ >test-artifacts/api-sqlite.log 2>&1 &
sqlite_pid=$!
FAIRLABEL_BIN="$root/$build/fairlabel" FAIRLABEL_TEST_PG_URL="$pg_url" node --test tests/api/ \
  >test-artifacts/api-postgres.log 2>&1 &
pg_pid=$!
wait "$sqlite_pid" || failed+=(api-sqlite)
wait "$pg_pid" || failed+=(api-postgres)
step "API tests on SQLite (test-artifacts/api-sqlite.log)"
cat test-artifacts/api-sqlite.log
step "API tests on PostgreSQL (test-artifacts/api-postgres.log)"
cat test-artifacts/api-postgres.log

step "crash test (short) on SQLite and PostgreSQL"
crash_ok=1
FAIRLABEL_BIN="$root/$build/fairlabel" node --test tests/crash/crash.test.mjs || crash_ok=0
FAIRLABEL_BIN="$root/$build/fairlabel" FAIRLABEL_TEST_PG_URL="$pg_url" node --test tests/crash/crash.test.mjs || crash_ok=0
[ "$crash_ok" = 1 ] || failed+=(crash)

step "sanitizers: ASan + UBSan build, unit tests and the API suite on SQLite"
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
FAIRLABEL_TEST_PG_URL="$pg_url" meson test -C build-asan --print-errorlogs || failed+=(unit-asan)
FAIRLABEL_BIN="$root/build-asan/fairlabel" node --test tests/api/ || failed+=(api-asan)
unset ASAN_OPTIONS UBSAN_OPTIONS

step "fuzz smoke: every libFuzzer harness over its seeds and regressions, then 5 s of fuzzing each"
scripts/fuzz.sh smoke 5 || failed+=(fuzz)

step "browser test (playwright-core + Debian chromium)"
FAIRLABEL_BIN="$root/$build/fairlabel" node --test tests/browser/ || failed+=(browser)

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
