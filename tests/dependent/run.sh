#!/usr/bin/env bash
# Builds nodews as a user's crate gets it and checks it against Node ws 8.23.0:
# the close-code matrix both ways and the idle memory per connection. Exits non-zero
# if any check fails. Installs ws into tests/dependent/node_modules if missing.
# IDLE_BYTES_PER_CONN_MAX (default 8192) bounds the idle memory per connection.
set -euo pipefail
cd "$(dirname "$0")"

# 2,000 connections need as many descriptors in the server (and in Node's clients).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  ulimit -n 4096 || { echo "cannot raise the open files limit to 4096" >&2; exit 1; }
fi

# Settings Cargo applies only at a workspace root would make this repository's builds
# (tests, benches, the README's figures) differ from what a dependent gets: none may be
# there.
root_only=$(grep -nE '^\[(patch|replace|profile)' ../../Cargo.toml || true)
if [ -n "$root_only" ] || ls ../../.cargo/config* >/dev/null 2>&1; then
  echo "nodews's Cargo.toml or .cargo/ has settings a dependent does not get:" >&2
  echo "$root_only" >&2
  exit 1
fi
echo "no root-only settings in nodews's Cargo.toml or .cargo/"

# Which tungstenite a user gets: crates.io's (no path shown).
echo "tungstenite as a dependent resolves it: $(cargo tree -q -e normal -i tungstenite --depth 0 2>/dev/null || echo '?')"

cargo build --release --quiet
exec target/release/nodews-dependent
