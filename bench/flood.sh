#!/usr/bin/env bash
# Flood bench: one client floods the consent endpoint with 256 connections while a second
# client saves a decision every 300 ms and loads pages. Both come through a trusted proxy
# (X-Forwarded-For on 127.0.0.1) so that the rate limit tells them apart. DURATION seconds
# (default 20) without the flood, then the same with it. Prints a Markdown table.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
DURATION=${DURATION:-20}
ADDR=127.0.0.1:${BENCH_PORT:-3330}
command -v wrk >/dev/null || { echo "installing wrk (Debian)"; apt-get install -y -qq wrk >/dev/null; }
[ "${SKIP_BUILD:-}" = 1 ] || { scripts/setup.sh >/dev/null; cargo leptos build --release --precompress; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
database="sqlite://$work/receipts.sqlite?mode=rwc"
LEPTOS_SITE_ADDR=$ADDR RUST_LOG=error DATABASE_URL=$database LEADISTRY_TRUSTED_PROXIES=127.0.0.1 \
  "$CARGO_TARGET_DIR/release/leadistry" &
for _ in $(seq 100); do curl -sf "http://$ADDR/" >/dev/null && break; sleep 0.1; done
limit=$(LEADISTRY_CONFIG=Leptos.toml awk -F' *= *' '/^saves-per-minute/ {print $2}' Leptos.toml)

# wrk scripts: a client's consent post, paced or not, and its page loads.
script() { # name client delay-ms method
  cat >"$work/$1.lua" <<LUA
wrk.method = "$4"
wrk.headers["X-Forwarded-For"] = "$2"
wrk.headers["Origin"] = "http://$ADDR"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "choice=reject&source=banner"
function delay() return $3 end
LUA
}
script flooder 203.0.113.1 0 POST
script saver 203.0.113.2 300 POST
script pages 203.0.113.2 20 GET
run() { wrk "$@" --latency; }
requests() { awk '/requests in/ {print $1}'; }
non2xx() { awk '/Non-2xx/ {print $5}' | grep . || echo 0; }
p99() { awk '$1=="99%" {print $2}'; }
count_receipts() { DATABASE_URL=$database "$CARGO_TARGET_DIR/release/leadistry" export --format jsonl 2>/dev/null | wc -l; }

quiet=$(run -t1 -c1 -d"${DURATION}s" -s "$work/pages.lua" "http://$ADDR/")
before=$(count_receipts)
run -t1 -c256 -d"${DURATION}s" -s "$work/flooder.lua" "http://$ADDR/api/consent" >"$work/flooder.out" &
run -t1 -c1 -d"${DURATION}s" -s "$work/saver.lua" "http://$ADDR/api/consent" >"$work/saver.out" &
loud=$(run -t1 -c1 -d"${DURATION}s" -s "$work/pages.lua" "http://$ADDR/")
wait %2 %3
after=$(count_receipts)

flood_total=$(requests <"$work/flooder.out")
flood_refused=$(non2xx <"$work/flooder.out")
saves=$(requests <"$work/saver.out")
saves_failed=$(non2xx <"$work/saver.out")
flood_saved=$((flood_total - flood_refused))
echo "| measure (${DURATION} s each) | value |"
echo "|---|---|"
echo "| flooder: requests / refused (429) / saved | $flood_total / $flood_refused / $flood_saved |"
echo "| flooder: receipts per second (limit $limit a minute, after a burst) | $(awk -v n="$flood_saved" -v d="$DURATION" 'BEGIN {printf "%.2f", n/d}') |"
echo "| second client: saves / failed, p99 | $saves / $saves_failed, $(p99 <"$work/saver.out") |"
echo "| second client: page p99 without / with the flood | $(p99 <<<"$quiet") / $(p99 <<<"$loud") |"
echo "| receipts written during the flood (both clients) | $((after - before)) |"
