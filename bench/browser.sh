#!/usr/bin/env bash
# Browser bench against a release build: banner − FCP, CLS, bytes by kind, Accept → Clarity,
# and the JavaScript-off path. RUNS fresh visits (default 9); medians.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ADDR=127.0.0.1:3320
if [ "${SKIP_BUILD:-}" != 1 ]; then
  scripts/setup.sh >/dev/null
  cargo leptos build --release --precompress
fi
work=$(mktemp -d)
LEPTOS_SITE_ADDR=$ADDR RUST_LOG=warn LEADISTRY_CLARITY_PROJECT_ID=bench1234 \
  DATABASE_URL="sqlite://$work/receipts.sqlite?mode=rwc" "$CARGO_TARGET_DIR/release/leadistry" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://$ADDR/" >/dev/null && break; sleep 0.1; done
BASE_URL="http://$ADDR" node bench/browser.mjs
