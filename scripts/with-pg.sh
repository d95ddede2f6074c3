#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster (scripts/pg-temp.sh) in a fresh temporary folder:
#
#   scripts/with-pg.sh CMD…   # CMD sees the cluster's URL in FAIRLABEL_TEST_PG_URL
#
# The cluster is stopped and its folder removed when CMD ends, however it ends; exits with CMD's status.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: scripts/with-pg.sh CMD…" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
pgdir=$(mktemp -d /tmp/fairlabel-pg.XXXXXX)
trap '"$here/pg-temp.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
FAIRLABEL_TEST_PG_URL=$("$here/pg-temp.sh" start "$pgdir")
export FAIRLABEL_TEST_PG_URL
rc=0
"$@" || rc=$?
exit "$rc"
