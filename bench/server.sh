#!/usr/bin/env bash
# Server bench: wrk, 64 connections, DURATION seconds (default 30) on `/` without a cookie
# and with a valid decision, against an axum route serving the same HTML bytes from memory,
# in one run; then both again as a browser asks (Accept-Encoding: gzip, deflate, br, zstd;
# wrk asks for none). Prints a Markdown table with the ratio to the static route.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
DURATION=${DURATION:-30}
SSR=127.0.0.1:3310
STATIC=127.0.0.1:3311
command -v wrk >/dev/null || { echo "installing wrk (Debian)"; apt-get install -y -qq wrk >/dev/null; }
if [ "${SKIP_BUILD:-}" != 1 ]; then
  scripts/setup.sh >/dev/null
  cargo leptos build --release --precompress
fi
cargo build --quiet --release --features ssr --example static_html

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
LEPTOS_SITE_ADDR=$SSR RUST_LOG=warn DATABASE_URL="sqlite://$work/receipts.sqlite?mode=rwc" \
  "$CARGO_TARGET_DIR/release/leadistry" &
ssr_pid=$!
for _ in $(seq 100); do curl -sf "http://$SSR/" -o "$work/page.html" && break; sleep 0.1; done
"$CARGO_TARGET_DIR/release/examples/static_html" "$work/page.html" "$STATIC" &
for _ in $(seq 100); do curl -sf "http://$STATIC/" >/dev/null && break; sleep 0.1; done

decided=$(consent_cookie "$SSR")
[ -n "$decided" ] || { echo "no decision from the server" >&2; exit 1; }
page=$(curl -sf -H "Cookie: $decided" "http://$SSR/")
if grep -q 'class="cookie-banner"' <<<"$page"; then echo "the decided page still shows the banner" >&2; exit 1; fi
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$ssr_pid/status"; }
run() { wrk -t2 -c64 -d"${DURATION}s" --latency "$@"; }
field() { awk -v k="$1" '$1==k {print $2}'; }

wrk -t2 -c64 -d3s "http://$SSR/" >/dev/null # warm-up
declare -A rps p50 p99
BROWSER='Accept-Encoding: gzip, deflate, br, zstd'
routes=(static ssr ssr-decided ssr-browser ssr-decided-browser)
for name in "${routes[@]}"; do
  case $name in
    static) out=$(run "http://$STATIC/") ;;
    ssr) out=$(run "http://$SSR/") ;;
    ssr-decided) out=$(run -H "Cookie: $decided" "http://$SSR/") ;;
    ssr-browser) out=$(run -H "$BROWSER" "http://$SSR/") ;;
    ssr-decided-browser) out=$(run -H "$BROWSER" -H "Cookie: $decided" "http://$SSR/") ;;
  esac
  rps[$name]=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50[$name]=$(field 50% <<<"$out")
  p99[$name]=$(field 99% <<<"$out")
done
echo "| route | requests/s | vs static | p50 | p99 |"
echo "|---|---|---|---|---|"
for name in "${routes[@]}"; do
  ratio=$(awk -v a="${rps[$name]}" -v b="${rps[static]}" 'BEGIN {printf "%.0f%%", 100*a/b}')
  echo "| $name | ${rps[$name]} | $ratio | ${p50[$name]} | ${p99[$name]} |"
done
echo
echo "Server RSS after the run: $(rss) MiB. Page: $(wc -c <"$work/page.html") bytes of HTML."
