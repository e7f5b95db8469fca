#!/usr/bin/env bash
# Slow-client bench: 1,000 connections (HELD) that each sent half a request stay open while
# pages load one at a time; then SIGTERM, timed until the process exits. Prints a Markdown
# table. The half-sent requests would be cut off after header-read-timeout-secs; the bench
# raises it so that they are all still open at SIGTERM.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ADDR=127.0.0.1:${BENCH_PORT:-3340}
SHUTDOWN=${SHUTDOWN:-10}
[ "${SKIP_BUILD:-}" = 1 ] || { scripts/setup.sh >/dev/null; cargo leptos build --release --precompress; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
LEPTOS_SITE_ADDR=$ADDR RUST_LOG=error DATABASE_URL="sqlite://$work/receipts.sqlite?mode=rwc" \
  LEADISTRY_HEADER_READ_TIMEOUT_SECS=120 LEADISTRY_SHUTDOWN_TIMEOUT_SECS=$SHUTDOWN \
  "$CARGO_TARGET_DIR/release/leadistry" &
server=$!
for _ in $(seq 100); do curl -sf "http://$ADDR/" >/dev/null && break; sleep 0.1; done
ADDR=$ADDR PID=$server SHUTDOWN=$SHUTDOWN node bench/slow.mjs
