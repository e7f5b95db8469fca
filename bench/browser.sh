#!/usr/bin/env bash
# Browser bench against a release build and the reference page (vanilla-cookieconsent),
# side by side in one run: paint, banner, layout shift, bytes, Accept → Clarity, a decided
# visitor's "Cookie Settings", and the JavaScript-off path. RUNS fresh visits (default 31:
# with 15, the paint ratios moved by up to 0.3 from one run to the next).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
SITE=127.0.0.1:3320
REFERENCE=127.0.0.1:3321
if [ "${SKIP_BUILD:-}" != 1 ]; then
  scripts/setup.sh >/dev/null
  cargo leptos build --release --precompress
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
LEPTOS_SITE_ADDR=$SITE RUST_LOG=warn LEADISTRY_CLARITY_PROJECT_ID=bench1234 \
  DATABASE_URL="sqlite://$work/receipts.sqlite?mode=rwc" "$CARGO_TARGET_DIR/release/leadistry" &
node bench/reference/serve.mjs "${REFERENCE#*:}" >/dev/null &
for _ in $(seq 100); do curl -sf "http://$SITE/" >/dev/null && curl -sf "http://$REFERENCE/" >/dev/null && break; sleep 0.1; done
# A decision the site signed, for the returning visitor.
decision=$(consent_cookie "$SITE")
SITE="http://$SITE" REFERENCE="http://$REFERENCE" DECISION=${decision#lf_cookie_consent=} node bench/browser.mjs
