#!/usr/bin/env bash
# The operator's statistics at scale: makes a consent log of N receipts (default 10 million)
# spread over DAYS days (default 400) up to now, a policy revision raised two thirds of the
# way, on SQLite and on PostgreSQL; fills the daily figures from those receipts with the
# migration's own backfill (what upgrading such a log runs once), timed; then times
# `leadistry stats` (JSON) by day, week, month, revision and method, and with the chart
# (`--svg`), each with its peak memory. Prints Markdown tables.
# N, DAYS, BACKENDS ("sqlite postgres"), SKIP_BUILD=1 (reuse the release binary), BIN.
# PostgreSQL: BENCH_DATABASE_URL names an empty database to use (it is emptied first), or
# Debian's cluster (scripts/setup.sh installs it) is started and a database leadistry_bench
# made in it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
N=${N:-10000000}
DAYS=${DAYS:-400}
BACKENDS=${BACKENDS:-sqlite postgres}
bin=${BIN:-$CARGO_TARGET_DIR/release/leadistry}

command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3 >/dev/null
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null
[ "${SKIP_BUILD:-}" = 1 ] || [ -n "${BIN:-}" ] || cargo build --release --features ssr --bin leadistry

work=$(mktemp -d /var/tmp/leadistry-stats.XXXXXX)
trap 'rm -rf "$work"' EXIT

now=$(date +%s)
span=$((DAYS * 86400))
start=$((now - span))
raised=$((start + span * 2 / 3))
fingerprint=$(printf '%064d' 0 | tr 0 f)
granted='{"analytics":"granted","essential":"granted"}'
denied='{"analytics":"denied","essential":"granted"}'
# The migration's backfill: the daily figures from the receipts, as an upgrade makes them.
backfill=$(sed -n '/^INSERT INTO consent_daily/,/;$/p' migrations/*_consent_history_and_figures.sql)
[ -n "$backfill" ] || { echo "the backfill is not in the migration" >&2; exit 1; }

seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Receipt i of N: decided at start + i × span / N; revision 2 after `raised`; analytics
# granted for about 3 in 5, more on some days than others; methods in turn.
receipt_columns() {
  cat <<SQL
$start + i * $span / $N,
CASE WHEN $start + i * $span / $N >= $raised THEN 2 ELSE 1 END,
'$fingerprint',
CASE WHEN (i * 7 + (i * $span / $N) / 86400) % 5 < 3 THEN '$granted' ELSE '$denied' END,
CASE i % 3 WHEN 0 THEN 'banner' WHEN 1 THEN 'settings' ELSE 'form' END
SQL
}

# Times `leadistry stats "$@"` on $url; prints a table row.
stats_row() {
  local name=$1 url=$2
  shift 2
  local out=$work/time.txt rows wall peak_kb
  rows=$(DATABASE_URL=$url RUST_LOG=error /usr/bin/time -f '%e %M' -o "$out" "$bin" stats "$@" \
    --format json | grep -c '"period"' || true)
  read -r wall peak_kb <"$out"
  echo "| $name | stats ${*/$work\/chart.svg/FILE} | $rows | $wall s | $((peak_kb / 1024)) MiB |"
}

stats_rows() {
  local name=$1 url=$2
  for by in day week month revision method; do
    stats_row "$name" "$url" --by "$by"
  done
  stats_row "$name" "$url" --by day --svg "$work/chart.svg"
  grep -q '<svg' "$work/chart.svg" || { echo "no chart was drawn" >&2; exit 1; }
}

run_sqlite() {
  local file=$work/receipts.sqlite url t0
  url="sqlite://$file?mode=rwc"
  DATABASE_URL=$url RUST_LOG=error "$bin" stats >/dev/null # makes the file and its tables
  t0=$(seconds)
  sqlite3 "$file" >/dev/null <<SQL
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $N)
INSERT INTO consent_receipts
  (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a'
             || substr(h, 18, 3) || '-' || substr(h, 21, 12)),
       $(receipt_columns)
FROM (SELECT i, hex(randomblob(16)) AS h FROM n);
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  echo "  SQLite: $N receipts made in $(elapsed "$t0" "$(seconds)") s" >&2
  t0=$(seconds)
  sqlite3 "$file" "DELETE FROM consent_daily; $backfill" >/dev/null
  echo "| SQLite | daily figures from $N receipts (the migration's backfill, once) | $(sqlite3 "$file" 'SELECT COUNT(*) FROM consent_daily') | $(elapsed "$t0" "$(seconds)") s | |"
  stats_rows SQLite "$url"
}

run_postgres() {
  local url=${BENCH_DATABASE_URL:-} t0
  [ -n "$url" ] || url=$(bench_database_url)
  DATABASE_URL=$url RUST_LOG=error "$bin" stats >/dev/null # makes the tables
  t0=$(seconds)
  psql -q -v ON_ERROR_STOP=1 "$url" <<SQL
TRUNCATE consent_receipts;
INSERT INTO consent_receipts
  (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method)
SELECT gen_random_uuid()::text, $(receipt_columns)
FROM generate_series(0::bigint, $N - 1) AS i;
VACUUM ANALYZE consent_receipts;
SQL
  echo "  PostgreSQL: $N receipts made in $(elapsed "$t0" "$(seconds)") s" >&2
  t0=$(seconds)
  psql -q -v ON_ERROR_STOP=1 "$url" -c "DELETE FROM consent_daily" -c "$backfill"
  echo "| PostgreSQL | daily figures from $N receipts (the migration's backfill, once) | $(psql -tA "$url" -c 'SELECT COUNT(*) FROM consent_daily') | $(elapsed "$t0" "$(seconds)") s | |"
  stats_rows PostgreSQL "$url"
}

{
  echo "Consent log of $N receipts over $DAYS days, $(nproc) cores, $(date -u +%Y-%m-%d)."
  echo
  echo "| log | command | rows | time | peak memory |"
  echo "|---|---|---|---|---|"
  for backend in $BACKENDS; do
    case $backend in
      sqlite) run_sqlite ;;
      postgres) run_postgres ;;
      *) echo "unknown backend $backend" >&2; exit 2 ;;
    esac
  done
}
