#!/usr/bin/env bash
# Soak: an echo server (examples/echo.rs, release) through cycles of opening N
# connections, one echo on each, closing them all, for DURATION seconds. Prints the
# server's open file descriptors and RSS before, at each cycle's peak and after it;
# fails if descriptors do not come back or RSS keeps growing after the first cycle.
#
#   benches/soak.sh                          # 10,000 connections, 5 minutes
#   CONNS=2000 DURATION=30 benches/soak.sh   # the form .ci/run uses
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${CONNS:-10000}
DURATION=${DURATION:-300}
PORT=${PORT:-$((21000 + RANDOM % 1000))}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNS + 500)) ]; then
  echo "soak.sh: ulimit -n is $(ulimit -n), too low for $CONNS connections" >&2
  exit 2
fi

artifacts=$(cargo build --release --example echo --bench loadgen --message-format=json-render-diagnostics)
LOADGEN=$(node -e '
  for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    const m = JSON.parse(line);
    if (m.reason === "compiler-artifact" && m.executable && m.target.name === "loadgen") console.log(m.executable);
  }' <<<"$artifacts" | tail -n 1)
ECHO="$TARGET_DIR/release/examples/echo"

PORT=$PORT "$ECHO" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
"$LOADGEN" soak --url "ws://127.0.0.1:$PORT/" --pid "$SERVER" --conns "$CONNS" \
  --duration "$DURATION" --concurrency 256 --timeout 30
