# Shared shell helpers of bench/claim_scale and bench/import (sourced): logging, a fairlabel server in a temp
# dir on SQLite, logins, task upload through POST /api/v1/projects/{id}/tasks, and the server's memory.
# The caller sets ROOT, TMP and PASSWORD, and calls fl_stop_server from its exit trap.

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

fl_bin() { # sets BIN: FAIRLABEL_BIN, or builds build/ with scripts/build.sh
    if [ -n "${FAIRLABEL_BIN:-}" ]; then BIN=$FAIRLABEL_BIN; else BIN=$ROOT/build/fairlabel; scripts/build.sh build >&2; fi
    [ -x "$BIN" ] || die "no fairlabel binary at $BIN"
}

SERVER_PID=
fl_stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# fl_start_server DB THREADS: starts `fairlabel serve` and sets SERVER_PID, BASE, SERVER_HOST, SERVER_PORT
fl_start_server() {
    FAIRLABEL_LOG=off "$BIN" serve --db "$1" --listen 127.0.0.1:0 --threads "$2" --data-dir "$TMP/data" \
        >"$TMP/server.out" 2>"$TMP/server.log" &
    SERVER_PID=$!
    BASE=
    for _ in $(seq 600); do
        BASE=$(sed -n 's|.*fairlabel: listening on \(http://[^ ]*\).*|\1|p' "$TMP/server.log" | head -n 1)
        [ -n "$BASE" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || die "fairlabel exited before listening: $(tail -n 5 "$TMP/server.log")"
        sleep 0.1
    done
    [ -n "$BASE" ] || die "fairlabel did not listen within 60 s"
    local hp=${BASE#http://}
    hp=${hp%%/*}
    SERVER_HOST=${hp%:*}
    SERVER_PORT=${hp##*:}
}

fl_api() { # fl_api METHOD PATH TOKEN [curl args...] -> body; fails on HTTP >= 400
    local method=$1 path=$2 token=$3
    shift 3
    curl -sS --fail-with-body -X "$method" -H "Authorization: Bearer $token" "$@" "$BASE$path"
}
fl_login() {
    curl -sS --fail-with-body -X POST -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/auth/login" | jq -er .token
}

# fl_users DB WORKERS: one requester (10^9 USD of escrow) and WORKERS workers, made with the CLI
fl_users() {
    "$BIN" user add --db "$1" --email bench-requester@example.org --role requester --country DE \
        --name 'Bench Requester' --password "$PASSWORD" >/dev/null
    "$BIN" escrow deposit --db "$1" --email bench-requester@example.org --amount 1000000000000000 --currency USD \
        --reference bench >/dev/null
    local pids=() i
    for i in $(seq "$2"); do
        "$BIN" user add --db "$1" --email "bench-worker-$i@example.org" --role worker --country KE \
            --name "Bench Worker $i" --password "$PASSWORD" >/dev/null &
        pids+=($!)
        if [ "${#pids[@]}" -ge 4 ]; then wait "${pids[0]}" || die "user add failed"; pids=("${pids[@]:1}"); fi
    done
    for i in "${pids[@]}"; do wait "$i" || die "user add failed"; done
}

# fl_tokens WORKERS FILE: logs the workers in, one bearer token per line
fl_tokens() {
    : >"$2"
    local i
    for i in $(seq "$1"); do fl_login "bench-worker-$i@example.org" >>"$2" || die "login of worker $i failed"; done
}

fl_project() { # fl_project TOKEN NAME -> id of a text_classification project (overlap 1)
    fl_api POST /api/v1/projects "$1" -H 'Content-Type: application/json' -d '{
        "name": "'"$2"'", "instructions": "Is the review positive, negative or neutral?",
        "kind": "text_classification", "labels": ["positive", "negative", "neutral"],
        "reward_micros": 20000, "currency": "USD", "estimated_seconds": 10,
        "overlap": 1, "lease_seconds": 600}' | jq -er .id
}

# fl_ndjson FIRST N FILE: N task lines (about 110 B each) numbered from FIRST
fl_ndjson() {
    awk -v s="$1" -v n="$2" 'BEGIN { for (i = s; i < s + n; i++)
        printf "{\"external_id\":\"b%d\",\"data\":{\"text\":\"Review %d: the parcel came two days late but the kettle works fine and boils quickly.\"}}\n", i, i }' >"$3"
}

# fl_upload TOKEN PROJECT FILE: one POST of the NDJSON file; prints "imported seconds"
fl_upload() {
    local out
    out=$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $1" -H 'Content-Type: application/x-ndjson' \
        --data-binary "@$3" -o "$TMP/upload.json" -w '%{time_total}' "$BASE/api/v1/projects/$2/tasks") ||
        die "upload failed: $(cat "$TMP/upload.json" 2>/dev/null)"
    echo "$(jq -er .imported "$TMP/upload.json") $out"
}

fl_rss_kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$SERVER_PID/status"; } # VmRSS or VmHWM

fl_cpu_s() { # CPU seconds (user + system) the server has used so far
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$SERVER_PID/stat"
}
