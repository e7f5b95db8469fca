#!/usr/bin/env bash
# Load benchmark: wrk, 64 connections, DURATION seconds (default 60) each on `/`,
# `/cookie-notice` and the consent endpoint, against a release build on 127.0.0.1.
# Prints a Markdown table (requests/s, p50/p99 latency, errors, server RSS before/after).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
DURATION=${DURATION:-60}
ADDR=127.0.0.1:${BENCH_PORT:-3300}
command -v wrk >/dev/null || { echo "installing wrk (Debian)"; apt-get install -y -qq wrk >/dev/null; }
[ "${SKIP_BUILD:-}" = 1 ] || { scripts/setup.sh >/dev/null; cargo leptos build --release --precompress; }

# A consent log of its own: the benchmark's receipts must not land in the site's real one.
# The saves come from many visitors, as on a real site (each request names one through the
# trusted-proxy header): this measures the server, and bench/flood.sh measures the limiter.
work=$(mktemp -d)
LEADISTRY_TRUSTED_PROXIES=127.0.0.1 \
LEPTOS_SITE_ADDR=$ADDR RUST_LOG=warn DATABASE_URL="sqlite://$work/receipts.sqlite?mode=rwc" \
  "$CARGO_TARGET_DIR/release/leadistry" 2>/tmp/leadistry-bench.log &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://$ADDR/" >/dev/null && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$server/status"; }
post=$(mktemp --suffix=.lua)
cat >"$post" <<LUA
wrk.method = "POST"
wrk.body = "choice=reject&source=banner"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "http://$ADDR"
-- Each wrk thread runs its own Lua state: the thread's number keeps their visitors apart.
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
local visitor = 0
request = function()
  visitor = visitor + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d",
    id * 64 + math.floor(visitor / 65536) % 64, math.floor(visitor / 256) % 256, visitor % 256)
  return wrk.format(nil, nil, headers)
end
LUA

# Warm-up, so "before" is the RSS of a server that has served requests.
wrk -t2 -c64 -d5s "http://$ADDR/" >/dev/null
echo "| target | requests/s | p50 | p99 | errors (socket / non-2xx) | RSS before → after (MiB) |"
echo "|---|---|---|---|---|---|"
for target in "/" "/cookie-notice" "POST /api/consent"; do
  before=$(rss)
  if [[ $target == POST* ]]; then
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency -s "$post" "http://$ADDR/api/consent")
  else
    out=$(wrk -t2 -c64 -d"${DURATION}s" --latency "http://$ADDR$target")
  fi
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  socket=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "| $target | $rps | $p50 | $p99 | ${socket:-0} / ${non2xx:-0} | $before → $(rss) |"
done
# Size of the log per receipt, for the worst-case growth in the README: the server stops first,
# so that SQLite folds its write-ahead log into the file.
kill $server && wait $server 2>/dev/null || true
receipts=$(DATABASE_URL="sqlite://$work/receipts.sqlite" "$CARGO_TARGET_DIR/release/leadistry" export --format jsonl | wc -l)
bytes=$(cat "$work"/receipts.sqlite* | wc -c)
echo
echo "Consent log: $receipts receipts in $bytes bytes on disk (SQLite, indexes included): $((bytes / (receipts > 0 ? receipts : 1))) bytes per receipt."
if grep -q panicked /tmp/leadistry-bench.log; then echo "server log has a panic" >&2; exit 1; fi
