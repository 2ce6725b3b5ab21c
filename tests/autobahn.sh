#!/usr/bin/env bash
# Autobahn TestSuite conformance run for nodews, both sides, via kosoku (PyPI):
# a Rust/PyO3 runner that drives Autobahn's own case files from Python 3.
#
#   server side: target/release/examples/echo  <-  kosoku -m fuzzingclient
#   client side: kosoku -m fuzzingserver       <-  target/release/examples/autobahn_client
#
# Usage: tests/autobahn.sh [all|server|client]        (default: all)
#
# Then prints, per side, a table per section with counts of OK / NON-STRICT /
# INFORMATIONAL / UNIMPLEMENTED / FAILED (tests/autobahn_report.py), and exits
# non-zero if any case FAILED, or any case of sections 1-10 is NON-STRICT.
# Sections 12-13 (permessage-deflate) are UNIMPLEMENTED: nodews does not
# negotiate the extension yet.
#
# Environment:
#   CARGO_TARGET_DIR            respected (binaries, venv, reports live under it)
#   AUTOBAHN_ECHO_EXAMPLE       echo server example to test (default: echo)
#   AUTOBAHN_CASES              kosoku case selection, e.g. "1.* 6.4.*" (default: all)
#   AUTOBAHN_ALLOW_NON_STRICT   NON-STRICT case ids that do not fail the run (default: none)
#   AUTOBAHN_TIMEOUT            seconds allowed per side (default: 1800)
#
# Reports (JSON + HTML, Autobahn's format) go to <target>/autobahn/{server,client}/.
# Only 127.0.0.1 is used. Servers started here are stopped on exit.
set -euo pipefail

KOSOKU_VERSION=0.1.0
MODE=${1:-all}
case "$MODE" in all | server | client) ;; *)
    echo "usage: $0 [all|server|client]" >&2
    exit 2
    ;;
esac
ECHO_EXAMPLE=${AUTOBAHN_ECHO_EXAMPLE:-echo}
SIDE_TIMEOUT=${AUTOBAHN_TIMEOUT:-1800}
read -r -a CASES <<<"${AUTOBAHN_CASES:-}"
SELECT=()
for c in "${CASES[@]}"; do SELECT+=(-i "$c"); done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# The target dir cargo really uses (CARGO_TARGET_DIR, relative or not, or config).
TARGET=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
VENV="$TARGET/autobahn-venv"
OUT="$TARGET/autobahn"
BIN="$TARGET/release/examples"

log() { printf '\n### %s\n' "$*"; }

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
forget() { # a reaped pid may be reused: never signal it again
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

# ---- kosoku, pinned, in its own venv ----
if [[ ! -x "$VENV/bin/kosoku" ]] ||
    [[ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("kosoku"))' 2>/dev/null)" != "$KOSOKU_VERSION" ]]; then
    log "installing kosoku==$KOSOKU_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "kosoku==$KOSOKU_VERSION"
fi
KOSOKU="$VENV/bin/kosoku"
PY="$VENV/bin/python"

# ---- build ----
log "building examples $ECHO_EXAMPLE and autobahn_client (release)"
cargo build --release --example "$ECHO_EXAMPLE" --example autobahn_client

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() { # port pid: until something accepts on 127.0.0.1:port
    for _ in $(seq 1 100); do
        if "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$1" 2>/dev/null; then
            return 0
        fi
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

REPORT_ARGS=()
DURATIONS=()
FAILED_TO_RUN=0

# ---- (a) server side: kosoku fuzzingclient -> nodews echo server ----
run_server_side() {
    local port pid start rc=0
    port=$(free_port)
    rm -rf "$OUT/server"
    mkdir -p "$OUT/server"
    log "server side: $ECHO_EXAMPLE on 127.0.0.1:$port <- kosoku fuzzingclient"
    PORT=$port "$BIN/$ECHO_EXAMPLE" >"$OUT/server/echo.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    if ! wait_port "$port" "$pid"; then
        echo "echo server did not start; its output:" >&2
        cat "$OUT/server/echo.log" >&2
        FAILED_TO_RUN=1
        return
    fi
    start=$(now)
    timeout "$SIDE_TIMEOUT" "$KOSOKU" -m fuzzingclient "${SELECT[@]}" -o "$OUT/server" \
        "127.0.0.1:$port" >"$OUT/server/kosoku.log" 2>&1 || rc=$?
    DURATIONS+=("server side (kosoku fuzzingclient -> $ECHO_EXAMPLE): $(elapsed "$start" "$(now)") s")
    # kosoku exits 1 when a case did not pass (UNIMPLEMENTED included): the report decides.
    if [[ $rc -ne 0 && $rc -ne 1 ]]; then
        echo "kosoku fuzzingclient exited with $rc; last lines:" >&2
        tail -n 20 "$OUT/server/kosoku.log" >&2
        FAILED_TO_RUN=1
    fi
    kill "$pid" 2>/dev/null || true
    REPORT_ARGS+=("server=$OUT/server")
}

# ---- (b) client side: nodews autobahn_client -> kosoku fuzzingserver ----
run_client_side() {
    local port pid start rc=0 kosoku_rc=0
    rm -rf "$OUT/client"
    mkdir -p "$OUT/client"
    log "client side: autobahn_client -> kosoku fuzzingserver"
    # Port 0: kosoku binds a free port itself and prints it, so no race.
    "$KOSOKU" -m fuzzingserver "${SELECT[@]}" -o "$OUT/client" "127.0.0.1:0" \
        >"$OUT/client/kosoku.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    port=
    for _ in $(seq 1 100); do
        port=$(sed -n 's|.*fuzzingserver listening on ws://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$OUT/client/kosoku.log")
        [[ -n "$port" ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$port" ]]; then
        echo "kosoku fuzzingserver did not start; its output:" >&2
        cat "$OUT/client/kosoku.log" >&2
        FAILED_TO_RUN=1
        return
    fi
    echo "kosoku fuzzingserver on 127.0.0.1:$port"
    start=$(now)
    timeout "$SIDE_TIMEOUT" "$BIN/autobahn_client" "ws://127.0.0.1:$port" nodews \
        >"$OUT/client/autobahn_client.log" 2>&1 || rc=$?
    tail -n 2 "$OUT/client/autobahn_client.log"
    if [[ $rc -ne 0 ]]; then
        echo "autobahn_client exited with $rc; last lines:" >&2
        tail -n 20 "$OUT/client/autobahn_client.log" >&2
        FAILED_TO_RUN=1
    fi
    # /updateReports ends kosoku's run: it writes the reports and exits by itself
    # (no point waiting when the client never got that far).
    local waits=600
    [[ $rc -eq 0 ]] || waits=0
    for _ in $(seq 1 "$waits"); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "kosoku fuzzingserver did not finish after the client; stopping it" >&2
        kill "$pid" 2>/dev/null || true
        FAILED_TO_RUN=1
    fi
    wait "$pid" 2>/dev/null || kosoku_rc=$?
    forget "$pid"
    DURATIONS+=("client side (autobahn_client -> kosoku fuzzingserver): $(elapsed "$start" "$(now)") s")
    if [[ $kosoku_rc -ne 0 && $kosoku_rc -ne 1 ]]; then
        echo "kosoku fuzzingserver exited with $kosoku_rc; last lines:" >&2
        tail -n 20 "$OUT/client/kosoku.log" >&2
        FAILED_TO_RUN=1
    fi
    REPORT_ARGS+=("client=$OUT/client")
}

[[ $MODE == all || $MODE == server ]] && run_server_side
[[ $MODE == all || $MODE == client ]] && run_client_side

log "results (reports: $OUT/{server,client}/index.html)"
report_rc=0
if [[ ${#CASES[@]} -gt 0 ]]; then
    # A case selection: don't count the cases left out as missing.
    AUTOBAHN_NO_CASE_LIST=1 "$PY" tests/autobahn_report.py "${REPORT_ARGS[@]}" || report_rc=$?
else
    "$PY" tests/autobahn_report.py "${REPORT_ARGS[@]}" || report_rc=$?
fi

echo
for d in "${DURATIONS[@]}"; do echo "duration: $d"; done
if [[ $FAILED_TO_RUN -ne 0 ]]; then
    echo "autobahn: RED (a side did not run to completion, see above)"
    exit 1
fi
if [[ $report_rc -ne 0 ]]; then
    echo "autobahn: RED"
    exit 1
fi
echo "autobahn: GREEN"
