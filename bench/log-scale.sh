#!/usr/bin/env bash
# The consent log at scale: makes a log of N receipts (default 10 million) spread over
# 2 × RETENTION days up to now, on SQLite and on PostgreSQL, then with the release binary
#   - times `export --format csv` and `export --format jsonl --since <half>` and their peak memory,
#   - runs the release server on the same log, sends RATE saves a second (default 20) and
#     records each one's time, first alone (the baseline), then while `prune` deletes the
#     older half of the log, timed with its peak memory,
#   - on SQLite, the file's size before the prune, after it, and after as many receipts are
#     saved again (space freed by the prune is reused: the file does not grow).
# Prints Markdown tables. N, RATE, RETENTION (days, at least consent-lifetime-days: 182),
# BACKENDS ("sqlite postgres"), BENCH_PORT, SKIP_BUILD=1 (reuse the release binary), BIN.
# PRUNE_ONLY=1 with BENCH_DATABASE_URL: no log made and no export, only saves while `prune`
# (with RETENTION) runs on the PostgreSQL log that is there (e.g. a second prune, once the
# database has settled after the bulk insert).
# PostgreSQL: BENCH_DATABASE_URL names an empty database to use (it is emptied first), or
# Debian's cluster (scripts/setup.sh installs it) is started and a database leadistry_bench
# made in it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
source bench/lib.sh
N=${N:-10000000}
RATE=${RATE:-20}
RETENTION=${RETENTION:-200}
BACKENDS=${BACKENDS:-sqlite postgres}
ADDR=127.0.0.1:${BENCH_PORT:-3310}
BASELINE_SECONDS=${BASELINE_SECONDS:-10}
# BIN: the binary to measure (the shared target directory may be rebuilt meanwhile).
bin=${BIN:-$CARGO_TARGET_DIR/release/leadistry}

need() { command -v "$1" >/dev/null || { echo "installing $2 (Debian)" >&2; apt-get install -y -qq "$2" >/dev/null; }; }
need sqlite3 sqlite3
need curl curl
[ -x /usr/bin/time ] || { echo "installing time (Debian)" >&2; apt-get install -y -qq time >/dev/null; }
[ "${SKIP_BUILD:-}" = 1 ] || [ -n "${BIN:-}" ] || cargo build --release --features ssr --bin leadistry

work=$(mktemp -d /var/tmp/leadistry-log-scale.XXXXXX)
server=
cleanup() {
  [ -z "$server" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
touch "$work/export.md" "$work/prune.md"

now=$(date +%s)
span=$((2 * RETENTION * 86400))
start=$((now - span))
# The i-th receipt (0-based) of N is decided at start + i × span / N: one every span / N seconds.
half=$((now - RETENTION * 86400))
# A policy fingerprint as the server stores it (64 hex digits).
fingerprint=$(printf '%064d' 0 | tr 0 f)
choices_denied='{"analytics":"denied","essential":"granted"}'
choices_granted='{"analytics":"granted","essential":"granted"}'

seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
size_mib() {
  local bytes=0 file
  for file in "$@"; do
    if [ -e "$file" ]; then bytes=$((bytes + $(stat -c %s "$file"))); fi
  done
  echo $((bytes / 1048576))
}

# `leadistry "$@"` under /usr/bin/time; stdout counted. Sets rows, wall (s) and peak (MiB).
timed() {
  local out=$work/time.txt
  rows=$(/usr/bin/time -f '%e %M' -o "$out" "$bin" "$@" 2>"$work/stderr.txt" | wc -l)
  read -r wall peak_kb <"$out"
  peak=$(mib "$peak_kb")
}


start_server() {
  LEPTOS_SITE_ADDR=$ADDR LEPTOS_HASH_FILES=false RUST_LOG=warn DATABASE_URL=$1 \
    LEADISTRY_SAVES_PER_MINUTE=60000 LEADISTRY_SAVES_BURST=10000 \
    LEADISTRY_CONSENT_KEY=${LEADISTRY_CONSENT_KEY:-$(head -c 32 /dev/urandom | base64)} \
    "$bin" 2>>"$work/server.log" &
  server=$!
  for _ in $(seq 300); do curl -sf -o /dev/null "http://$ADDR/" && return; sleep 0.1; done
  echo "the server did not start: $(cat "$work/server.log")" >&2
  exit 1
}

stop_server() {
  kill "$server" && wait "$server" 2>/dev/null || true
  server=
}

# Saves alone for BASELINE_SECONDS, then while `prune` runs. Prints the table rows.
prune_under_saves() {
  local url=$1 name=$2
  start_server "$url"
  rm -f "$work/stop" "$work/baseline.txt" "$work/during.txt"
  saves "$work/stop" "$work/baseline.txt" &
  local saver=$!
  sleep "$BASELINE_SECONDS"
  touch "$work/stop" && wait $saver
  rm -f "$work/stop"
  saves "$work/stop" "$work/during.txt" &
  saver=$!
  local t0 t1
  t0=$(seconds)
  LEADISTRY_RECEIPT_RETENTION_DAYS=$RETENTION DATABASE_URL=$url timed prune
  t1=$(seconds)
  touch "$work/stop" && wait $saver
  stop_server
  pruned=$(grep -o 'pruned [0-9]*' "$work/stderr.txt" | awk '{print $2}')
  progress=$(grep -c 'pruning:' "$work/stderr.txt" || true)
  read -r n p50 p99 max refused < <(latency "$work/baseline.txt")
  echo "| $name | saves alone, ${BASELINE_SECONDS} s | | | $n | $p50 | $p99 | $max | $refused |"
  read -r n p50 p99 max refused < <(latency "$work/during.txt")
  echo "| $name | prune of $pruned receipts | $(elapsed "$t0" "$t1") s | $peak MiB | $n | $p50 | $p99 | $max | $refused |"
  [ "$progress" = 0 ] || echo "  (prune reported its progress $progress times on stderr)" >&2
}

export_rows() {
  local url=$1 name=$2
  DATABASE_URL=$url timed export --format csv
  echo "| $name | export --format csv | $((rows - 1)) | $wall s | $peak MiB |"
  DATABASE_URL=$url timed export --format jsonl --since "$half"
  echo "| $name | export --format jsonl --since (half) | $rows | $wall s | $peak MiB |"
}

sqlite_generate() {
  local file=$1 from=$2 count=$3 t0
  t0=$(seconds)
  sqlite3 "$file" >/dev/null <<SQL
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
WITH RECURSIVE n(i) AS (SELECT $from UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $from + $count)
INSERT INTO consent_receipts
  (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a'
             || substr(h, 18, 3) || '-' || substr(h, 21, 12)),
       $start + i * $span / $N, 1, '$fingerprint',
       CASE WHEN i % 3 = 0 THEN '$choices_granted' ELSE '$choices_denied' END,
       CASE i % 3 WHEN 0 THEN 'banner' WHEN 1 THEN 'settings' ELSE 'form' END
FROM (SELECT i, hex(randomblob(16)) AS h FROM n);
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  echo "  SQLite: $count receipts made in $(elapsed "$t0" "$(seconds)") s" >&2
}

run_sqlite() {
  local file=$work/receipts.sqlite url
  url="sqlite://$file?mode=rwc"
  DATABASE_URL=$url "$bin" export --until 0 >/dev/null # makes the file and its tables
  sqlite_generate "$file" 0 "$N"
  local made
  made=$(size_mib "$file" "$file-wal")
  export_rows "$url" SQLite >>"$work/export.md"
  prune_under_saves "$url" SQLite >>"$work/prune.md"
  sqlite3 "$file" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  local pruned_size free page
  pruned_size=$(size_mib "$file" "$file-wal")
  free=$(sqlite3 "$file" 'PRAGMA freelist_count;')
  page=$(sqlite3 "$file" 'PRAGMA page_size;')
  # As many receipts again, decided after the ones kept: the log back at N.
  sqlite_generate "$file" "$N" "$pruned"
  sqlite3 "$file" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
  echo "| $N receipts | $made MiB |" >>"$work/size.md"
  echo "| after prune of $pruned (free pages: $((free * page / 1048576)) MiB) | $pruned_size MiB |" >>"$work/size.md"
  echo "| $pruned receipts added again | $(size_mib "$file" "$file-wal") MiB |" >>"$work/size.md"
}

run_postgres() {
  local url=${BENCH_DATABASE_URL:-}
  [ -n "$url" ] || url=$(bench_database_url)
  if [ "${PRUNE_ONLY:-}" = 1 ]; then
    prune_under_saves "$url" PostgreSQL >>"$work/prune.md"
    return
  fi
  DATABASE_URL=$url "$bin" export --until 0 >/dev/null # makes the tables
  local t0
  t0=$(seconds)
  psql -q -v ON_ERROR_STOP=1 "$url" <<SQL
TRUNCATE consent_receipts;
INSERT INTO consent_receipts
  (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method)
SELECT gen_random_uuid()::text, $start + i * $span / $N, 1, '$fingerprint',
       CASE WHEN i % 3 = 0 THEN '$choices_granted' ELSE '$choices_denied' END,
       CASE i % 3 WHEN 0 THEN 'banner' WHEN 1 THEN 'settings' ELSE 'form' END
FROM generate_series(0::bigint, $N - 1) AS i;
VACUUM ANALYZE consent_receipts;
SQL
  echo "  PostgreSQL: $N receipts made in $(elapsed "$t0" "$(seconds)") s" >&2
  export_rows "$url" PostgreSQL >>"$work/export.md"
  prune_under_saves "$url" PostgreSQL >>"$work/prune.md"
}

for backend in $BACKENDS; do
  case $backend in
    sqlite) run_sqlite ;;
    postgres) run_postgres ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
done

echo "Consent log of $N receipts, $(nproc) cores, $(date -u +%Y-%m-%d)."
echo
echo "| log | command | rows | time | peak memory |"
echo "|---|---|---|---|---|"
cat "$work/export.md"
echo
echo "Saves at $RATE/s (ms):"
echo
echo "| log | while | prune time | prune peak memory | saves | p50 | p99 | max | refused |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$work/prune.md"
if [ -s "$work/size.md" ]; then
  echo
  echo "| SQLite file (with its WAL) | size |"
  echo "|---|---|"
  cat "$work/size.md"
fi
if grep -q panicked "$work/server.log"; then echo "server log has a panic" >&2; exit 1; fi
