#!/usr/bin/env bash
# Builds nodews as a user's crate gets it and checks it against Node ws 8.23.0:
# the close-code matrix both ways and the idle memory per connection. Exits non-zero
# if any check fails. Installs ws into tests/dependent/node_modules if missing.
# IDLE_BYTES_PER_CONN_MAX (default 16384) bounds the idle memory per connection.
set -euo pipefail
cd "$(dirname "$0")"

# 2,000 connections need as many descriptors in the server (and in Node's clients).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  ulimit -n 4096 || { echo "cannot raise the open files limit to 4096" >&2; exit 1; }
fi

# Which tungstenite a user gets: crates.io's (no path shown), not nodews's vendored
# copy, since the root's [patch] does not reach a dependent.
echo "tungstenite as a dependent resolves it: $(cargo tree -q -e normal -i tungstenite --depth 0 2>/dev/null || echo '?')"

cargo build --release --quiet
exec target/release/nodews-dependent
