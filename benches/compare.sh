#!/usr/bin/env bash
# nodews side by side with Node `ws` 8.23.0 (without and with bufferutil), Bun 1.4.4
# and a plain async-tungstenite server (benches/plain_echo.rs), all driven by the same
# Rust load generator (benches/loadgen.rs). Prints markdown tables of medians.
#
#   benches/compare.sh                 # 3 rounds of 5 s per run (about 25 minutes)
#   QUICK=1 benches/compare.sh         # 1 s runs, 0.3 s warm-up (about 8 minutes)
#
# Environment:
#   ROUNDS=3 DURATION=5 WARMUP=1   rounds, measured seconds and warm-up seconds per run
#   QUICK=1                        DURATION=1 WARMUP=0.3 unless set
#   SERVERS="nodews plain node node-bu bun nodews-2c"   which servers (that order)
#   SCENARIOS="echo64_d1 echo64_d16 bin16k bin1m bcast1000 idle10k latency"
#   IDLE_CONNS=10000               connections of the idle scenario
#   RESULTS=path.tsv               where the per-run records go (appended)
#   CARGO_TARGET_DIR               honoured; default: the crate's target/
#   NODEWS_BEFORE=dir              a folder with `echo` and `broadcast` built from an
#                                  earlier commit: adds server "nodews-before" and a
#                                  before/after table (same run)
#
# Every scenario runs against every server in alternation (A B C D A B C D ...), each
# run with a fresh server process. Servers run on core 0 (taskset -c 0), the generator
# on core 1; "nodews-2c" is nodews allowed on both cores (the second table). A run
# whose generator finds a wrong echo, a lost message or a dropped connection is
# reported as FAIL and makes this script exit 1.
#
# Needs: cargo, node + npm (the npm packages install into benches/node_modules), taskset.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if [ "${QUICK:-0}" = 1 ]; then
  DURATION=${DURATION:-1}
  WARMUP=${WARMUP:-0.3}
else
  DURATION=${DURATION:-5}
  WARMUP=${WARMUP:-1}
fi
ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-"nodews plain node node-bu bun nodews-2c"}
if [ -n "${NODEWS_BEFORE:-}" ] && [[ " $SERVERS " != *" nodews-before "* ]]; then
  SERVERS="$SERVERS nodews-before"
fi
SCENARIOS=${SCENARIOS:-"echo64_d1 echo64_d16 bin16k bin1m bcast1000 idle10k latency"}
IDLE_CONNS=${IDLE_CONNS:-10000}
RESULTS_DIR="$TARGET_DIR/bench-results"
mkdir -p "$RESULTS_DIR"
RESULTS=${RESULTS:-"$RESULTS_DIR/results-$(date +%Y%m%d-%H%M%S).tsv"}
LOGS="${RESULTS%.tsv}-logs"
mkdir -p "$LOGS"

for tool in cargo node npm taskset; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is needed" >&2; exit 2; }
done
if [ "$(nproc --all)" -lt 2 ]; then
  echo "compare.sh: needs 2 cores (server on 0, generator on 1)" >&2
  exit 2
fi

# 10,000 connections need as many descriptors on each side, plus some.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((IDLE_CONNS + 1000)) ]; then
  echo "compare.sh: ulimit -n is $(ulimit -n), too low for $IDLE_CONNS connections" >&2
  exit 2
fi

echo "== building (release, target dir $TARGET_DIR)"
# The JSON messages say where cargo put each executable (bench binaries get a hash).
artifacts=$(cargo build --release --example echo --example broadcast \
  --bench loadgen --bench plain_echo --message-format=json-render-diagnostics)
exe() {
  node -e '
    const want = process.argv[1];
    for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const m = JSON.parse(line);
      if (m.reason === "compiler-artifact" && m.executable && m.target.name === want) {
        console.log(m.executable);
      }
    }' "$1" <<<"$artifacts" | tail -n 1
}
LOADGEN=$(exe loadgen)
PLAIN=$(exe plain_echo)
ECHO=$(exe echo)
BROADCAST=$(exe broadcast)
for b in "$LOADGEN" "$PLAIN" "$ECHO" "$BROADCAST"; do
  [ -x "$b" ] || { echo "compare.sh: build did not produce an executable ($b)" >&2; exit 2; }
done

echo "== npm packages (benches/package.json: ws 8.23.0, bufferutil, @oven/bun-linux-x64 1.4.4)"
(cd benches && npm install --no-audit --no-fund --no-package-lock --loglevel=error)
BUN="$ROOT/benches/node_modules/@oven/bun-linux-x64/bin/bun"
[ -x "$BUN" ] || { echo "compare.sh: $BUN missing" >&2; exit 2; }

# start_server NAME MODE PORT: starts it in the background, sets SERVER_PID.
start_server() {
  local name=$1 mode=$2 port=$3 log=$4
  case $name in
    nodews)
      local bin=$ECHO; [ "$mode" = broadcast ] && bin=$BROADCAST
      taskset -c 0 env PORT="$port" "$bin" >"$log" 2>&1 &
      ;;
    nodews-before)
      local bin=$NODEWS_BEFORE/echo; [ "$mode" = broadcast ] && bin=$NODEWS_BEFORE/broadcast
      taskset -c 0 env PORT="$port" "$bin" >"$log" 2>&1 &
      ;;
    nodews-2c)
      local bin=$ECHO; [ "$mode" = broadcast ] && bin=$BROADCAST
      taskset -c 0,1 env PORT="$port" "$bin" >"$log" 2>&1 &
      ;;
    plain)
      taskset -c 0 env PORT="$port" MODE="$mode" "$PLAIN" --serve >"$log" 2>&1 &
      ;;
    node)
      taskset -c 0 env WS_NO_BUFFER_UTIL=1 PORT="$port" MODE="$mode" \
        node benches/node_server.js >"$log" 2>&1 &
      ;;
    node-bu)
      taskset -c 0 env -u WS_NO_BUFFER_UTIL PORT="$port" MODE="$mode" \
        node benches/node_server.js >"$log" 2>&1 &
      ;;
    bun)
      taskset -c 0 env PORT="$port" MODE="$mode" "$BUN" benches/bun_server.js >"$log" 2>&1 &
      ;;
    *)
      echo "compare.sh: unknown server $name" >&2
      exit 2
      ;;
  esac
  SERVER_PID=$!
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
trap 'stop_server 2>/dev/null || true' EXIT
SERVER_PID=

# generator arguments of each scenario
scenario_args() {
  case $1 in
    echo64_d1) echo "echo --conns 100 --depth 1 --size 64 --kind text" ;;
    echo64_d16) echo "echo --conns 100 --depth 16 --size 64 --kind text" ;;
    bin16k) echo "echo --conns 10 --depth 1 --size 16384 --kind binary" ;;
    bin1m) echo "echo --conns 4 --depth 1 --size 1048576 --kind binary" ;;
    bcast1000) echo "broadcast --clients 1000 --depth 8 --size 64 --kind text" ;;
    idle10k) echo "connect --conns $IDLE_CONNS" ;;
    latency) echo "echo --conns 1 --depth 1 --size 64 --kind text" ;;
    *) echo "compare.sh: unknown scenario $1" >&2; exit 2 ;;
  esac
}

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc --all) cores, $(uname -r)"
echo "== versions: $(rustc --version), node $(node --version), ws $(node -p 'require("./benches/node_modules/ws/package.json").version'), bun $("$BUN" --version)"
echo "== ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP IDLE_CONNS=$IDLE_CONNS"
echo "== servers: $SERVERS"
echo "== records: $RESULTS"

port=19000
failures=0
for round in $(seq "$ROUNDS"); do
  for scenario in $SCENARIOS; do
    mode=echo
    [ "$scenario" = bcast1000 ] && mode=broadcast
    for server in $SERVERS; do
      port=$((port + 1))
      log="$LOGS/$server-$scenario-$round.log"
      start_server "$server" "$mode" "$port" "$log"
      tags="server=$server scenario=$scenario round=$round"
      # shellcheck disable=SC2046
      if ! taskset -c 1 "$LOADGEN" $(scenario_args "$scenario") \
        --url "ws://127.0.0.1:$port/" --pid "$SERVER_PID" \
        --duration "$DURATION" --warmup "$WARMUP" \
        --record "$RESULTS" --tags "$tags" 2>>"$log.gen"; then
        failures=$((failures + 1))
        echo "!! FAIL: $tags (generator: $log.gen, server: $log)"
        tail -n 3 "$log.gen" "$log" | sed 's/^/   /'
      fi
      stop_server
    done
  done
done

"$LOADGEN" report "$RESULTS"
echo
echo "Command: ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP${QUICK:+ QUICK=$QUICK} benches/compare.sh"
if [ "$failures" -gt 0 ]; then
  echo "compare.sh: $failures run(s) FAILED (see above)" >&2
  exit 1
fi
