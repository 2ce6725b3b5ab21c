#!/usr/bin/env bash
# Headless Chromium (Debian's chromium + npm playwright-core, never a browser download)
# against examples/chat.rs. Installs what it needs; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
deps="$target/browser-deps"

if ! command -v chromium >/dev/null; then
  echo "installing Debian's chromium"
  (apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)) >/dev/null
fi
if [ ! -f "$deps/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$deps"
  npm install --prefix "$deps" --no-audit --no-fund --silent playwright-core@1.64.1
fi

cargo build -q --example chat
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
PORT=$port "$target/debug/examples/chat" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do grep -q "chat on" "$log" && break; sleep 0.1; done

cp tests/browser/chat.mjs "$deps/chat.mjs" # so `import 'playwright-core'` resolves there
node "$deps/chat.mjs" "http://127.0.0.1:$port/"

# The server saw the browser's close code and reason.
for _ in $(seq 50); do grep -q "client left: 4001 bye from A" "$log" && break; sleep 0.1; done
grep -q "client left: 4001 bye from A" "$log" || { echo "server did not see 4001:"; cat "$log"; exit 1; }
echo "ok - the server saw close 4001 \"bye from A\""
echo "browser test: GREEN"
