#!/usr/bin/env bash
# Instructions per message of a Rust server under test, from valgrind's callgrind:
# stable on a noisy machine, where msgs/s and CPU times are not.
#
#   benches/callgrind.sh nodews bin1m          # or plain; any scenario of compare.sh
#   SHORT=3 LONG=9 benches/callgrind.sh plain echo64_d16
#
# The server runs twice under callgrind, driven for SHORT then LONG seconds;
# (Ir_long - Ir_short) / (messages_long - messages_short) cancels start-up and
# handshakes. The long run's profile stays in $OUT (callgrind_annotate it).
# Build first (benches/compare.sh does; or the same cargo build it runs).
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:?usage: callgrind.sh nodews|plain SCENARIO}
scenario=${2:?usage: callgrind.sh nodews|plain SCENARIO}
SHORT=${SHORT:-3}
LONG=${LONG:-9}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
OUT=${OUT:-$TARGET_DIR/bench-results/callgrind}
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

newest() { ls -t "$TARGET_DIR"/release/deps/"$1"-* 2>/dev/null | grep -v '\.d$' | head -n 1; }
LOADGEN=$(newest loadgen)
PLAIN=$(newest plain_echo)
mode=echo
[ "$scenario" = bcast1000 ] && mode=broadcast
case $server in
  nodews) cmd=("$TARGET_DIR/release/examples/$mode") ;;
  plain) cmd=("$PLAIN" --serve) ;;
  *) echo "callgrind.sh: nodews or plain" >&2; exit 2 ;;
esac
case $scenario in
  echo64_d1) args="echo --conns 100 --depth 1 --size 64 --kind text" ;;
  echo64_d16) args="echo --conns 100 --depth 16 --size 64 --kind text" ;;
  bin16k) args="echo --conns 10 --depth 1 --size 16384 --kind binary" ;;
  bin1m) args="echo --conns 4 --depth 1 --size 1048576 --kind binary" ;;
  bcast1000) args="broadcast --clients 1000 --depth 8 --size 64 --kind text" ;;
  latency) args="echo --conns 1 --depth 1 --size 64 --kind text" ;;
  *) echo "callgrind.sh: unknown scenario $scenario" >&2; exit 2 ;;
esac

run() { # seconds -> "Ir messages"
  local secs=$1 port=$((29000 + RANDOM % 1000)) file="$OUT/$server-$scenario-$1s.out"
  taskset -c 0 env PORT="$port" MODE="$mode" valgrind --tool=callgrind \
    --callgrind-out-file="$file" "${cmd[@]}" >"$file.log" 2>&1 &
  local pid=$!
  # shellcheck disable=SC2086
  local line
  line=$(taskset -c 1 "$LOADGEN" $args --url "ws://127.0.0.1:$port/" \
    --duration "$secs" --warmup 0 --timeout 60)
  kill "$pid"
  wait "$pid" || true
  local msgs ir
  msgs=$(grep -oE 'total_(messages|deliveries)=[0-9]+' <<<"$line" | cut -d= -f2)
  ir=$(grep -E '^(summary|totals):' "$file" | head -n 1 | awk '{print $2}')
  echo "$ir $msgs"
}

read -r ir1 m1 < <(run "$SHORT")
read -r ir2 m2 < <(run "$LONG")
awk -v s="$server" -v sc="$scenario" -v i1="$ir1" -v i2="$ir2" -v m1="$m1" -v m2="$m2" 'BEGIN {
  printf "%s %s: %.0f instructions per message (%d vs %d messages; %.3g vs %.3g Ir)\n",
    s, sc, (i2 - i1) / (m2 - m1), m1, m2, i1, i2 }'
echo "profile: callgrind_annotate $OUT/$server-$scenario-${LONG}s.out"
