#!/usr/bin/env bash
# Does the operator listener cost the pages anything? Two release servers side by side, one
# plain, one with the operator listener on (metrics recorded per request) and its /metrics
# scraped every second; wrk (64 connections, ROUND seconds, default 10) on `/` of each in
# turn, A B A B, ROUNDS times (default 4). Prints a Markdown table and the medians.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
ROUND=${ROUND:-10}
ROUNDS=${ROUNDS:-4}
bin=${BIN:-$CARGO_TARGET_DIR/release/leadistry}
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
[ "${SKIP_BUILD:-}" = 1 ] || [ -n "${BIN:-}" ] || cargo leptos build --release --precompress
PLAIN=127.0.0.1:3410
METRICS=127.0.0.1:3412
OPERATOR=127.0.0.1:3413
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
LEPTOS_SITE_ADDR=$PLAIN RUST_LOG=warn DATABASE_URL="sqlite://$work/a.sqlite?mode=rwc" "$bin" &
LEPTOS_SITE_ADDR=$METRICS LEADISTRY_OPERATOR_ADDR=$OPERATOR RUST_LOG=warn \
  DATABASE_URL="sqlite://$work/b.sqlite?mode=rwc" "$bin" &
for addr in $PLAIN $METRICS; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://$addr/" && break; sleep 0.1; done
done
(while :; do curl -sf -o /dev/null "http://$OPERATOR/metrics"; sleep 1; done) &
for addr in $PLAIN $METRICS; do wrk -t2 -c64 -d3s "http://$addr/" >/dev/null; done # warm-up
echo "| round | server | requests/s | p50 | p99 |"
echo "|---|---|---|---|---|"
for round in $(seq "$ROUNDS"); do
  for addr in $PLAIN $METRICS; do
    out=$(wrk -t2 -c64 -d"${ROUND}s" --latency "http://$addr/")
    name=plain
    [ "$addr" = "$PLAIN" ] || name="metrics, scraped"
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "| $round | $name | $rps | $p50 | $p99 |"
    echo "$name $p99" >>"$work/p99"
  done
done
curl -sf "http://$OPERATOR/metrics" | grep -q 'leadistry_http_requests_total{route="/",status="200"}' ||
  { echo "the metrics did not count the runs" >&2; exit 1; }
echo
for name in plain "metrics, scraped"; do
  grep "^$name [0-9]" "$work/p99" | awk '{print $NF}' | sed 's/ms$//' | sort -n |
    awk -v n="$name" '{ v[NR] = $1 } END { printf "median p99, %s: %.2f ms\n", n, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
done
