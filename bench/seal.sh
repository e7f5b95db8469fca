#!/usr/bin/env bash
# Seals at scale, on SQLite and PostgreSQL, with the release binary:
#   - a log of DAY_N receipts (default 1 million) all decided yesterday: `leadistry seal`
#     (one day) timed, with its peak memory;
#   - a log of N receipts (default 10 million) over DAYS days (default 400) up to two days ago:
#     `leadistry seal` (every day) and `leadistry verify` (every day) timed, with peak memory;
#   - saves at RATE a second (default 20) against the server on the one-day log, in rounds
#     A B A B …: A saves alone, B while `leadistry seal` seals that day again (its seal row
#     deleted first); p50, p99 and max of each round.
# Prints Markdown tables. BACKENDS ("sqlite postgres"), ROUNDS (pairs, default 3),
# BENCH_PORT, SKIP_BUILD=1 (reuse the release binary). PostgreSQL: Debian's cluster is
# started and a database leadistry_bench made in it (or BENCH_DATABASE_URL names an empty one).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
source bench/lib.sh
N=${N:-10000000}
DAYS=${DAYS:-400}
DAY_N=${DAY_N:-1000000}
RATE=${RATE:-20}
ROUNDS=${ROUNDS:-3}
A_SECONDS=${A_SECONDS:-8}
BACKENDS=${BACKENDS:-sqlite postgres}
ADDR=127.0.0.1:${BENCH_PORT:-3320}
bin=$CARGO_TARGET_DIR/release/leadistry

need() { command -v "$1" >/dev/null || { echo "installing $2 (Debian)" >&2; apt-get install -y -qq "$2" >/dev/null; }; }
need sqlite3 sqlite3
need curl curl
[ -x /usr/bin/time ] || { echo "installing time (Debian)" >&2; apt-get install -y -qq time >/dev/null; }
[ "${SKIP_BUILD:-}" = 1 ] || { scripts/setup.sh serve >/dev/null; cargo leptos build --release --precompress; }

work=$(mktemp -d /var/tmp/leadistry-seal.XXXXXX)
server=
cleanup() {
  [ -z "$server" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
touch "$work/scale.md" "$work/saves.md"
export LEADISTRY_CONSENT_KEY=${LEADISTRY_CONSENT_KEY:-$(head -c 32 /dev/urandom | base64)}

today=$(($(date +%s) / 86400))
fingerprint=$(printf '%064d' 0 | tr 0 f)
granted='{"analytics":"granted","essential":"granted"}'
denied='{"analytics":"denied","essential":"granted"}'

seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# `leadistry "$@"` under /usr/bin/time: sets wall (s) and peak (MiB).
timed() {
  /usr/bin/time -f '%e %M' -o "$work/time.txt" "$bin" "$@" >"$work/out.txt" 2>"$work/err.txt" ||
    { echo "leadistry $*: $(tail -3 "$work/err.txt")" >&2; exit 1; }
  read -r wall peak_kb <"$work/time.txt"
  peak=$((peak_kb / 1024))
}

# Receipts `count`, decided from day `first` on, spread evenly over `days` days.
sqlite_generate() {
  local file=$1 count=$2 first=$3 days=$4
  sqlite3 "$file" >/dev/null <<SQL
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $count)
INSERT INTO consent_receipts (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method)
SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a'
             || substr(h, 18, 3) || '-' || substr(h, 21, 12)),
       $first * 86400 + i * ($days * 86400) / $count, 1, '$fingerprint',
       CASE WHEN i % 3 = 0 THEN '$granted' ELSE '$denied' END,
       CASE i % 3 WHEN 0 THEN 'banner' WHEN 1 THEN 'settings' ELSE 'form' END
FROM (SELECT i, hex(randomblob(16)) AS h FROM n);
PRAGMA wal_checkpoint(TRUNCATE);
SQL
}

postgres_generate() {
  local url=$1 count=$2 first=$3 days=$4
  psql -q -v ON_ERROR_STOP=1 "$url" <<SQL
INSERT INTO consent_receipts (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method)
SELECT gen_random_uuid()::text, $first * 86400 + i * ($days * 86400) / $count, 1, '$fingerprint',
       CASE WHEN i % 3 = 0 THEN '$granted' ELSE '$denied' END,
       CASE i % 3 WHEN 0 THEN 'banner' WHEN 1 THEN 'settings' ELSE 'form' END
FROM generate_series(0::bigint, $count - 1) AS i;
VACUUM ANALYZE consent_receipts;
SQL
}

# A fresh, empty log of backend $1 named $2: its URL.
fresh_log() {
  local url
  case $1 in
    sqlite) url="sqlite://$work/$2.sqlite?mode=rwc" ;;
    postgres)
      url=${BENCH_DATABASE_URL:-$(bench_database_url)}
      psql -q "$url" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null ;;
  esac
  DATABASE_URL=$url "$bin" export --until 0 >/dev/null # makes the tables
  echo "$url"
}

# The file of a SQLite URL, without its query.
sqlite_file() { local file=${1#sqlite://}; echo "${file%%\?*}"; }

generate() { # backend url count first days
  case $1 in
    sqlite) sqlite_generate "$(sqlite_file "$2")" "$3" "$4" "$5" ;;
    postgres) postgres_generate "$2" "$3" "$4" "$5" ;;
  esac
}


run() {
  local backend=$1 name url
  name=$([ "$backend" = sqlite ] && echo SQLite || echo PostgreSQL)

  url=$(fresh_log "$backend" day)
  generate "$backend" "$url" "$DAY_N" $((today - 1)) 1
  DATABASE_URL=$url timed seal
  echo "| $name | seal one day of $DAY_N receipts | $wall s | $peak MiB |" >>"$work/scale.md"

  # Saves alone (A), then while the day is sealed again (B).
  LEPTOS_SITE_ADDR=$ADDR LEPTOS_HASH_FILES=false RUST_LOG=warn DATABASE_URL=$url \
    LEADISTRY_SAVES_PER_MINUTE=60000 LEADISTRY_SAVES_BURST=10000 "$bin" 2>>"$work/server.log" &
  server=$!
  for _ in $(seq 300); do curl -sf -o /dev/null "http://$ADDR/" && break; sleep 0.1; done
  local round
  for round in $(seq "$ROUNDS"); do
    rm -f "$work/stop" "$work/a.txt" "$work/b.txt"
    saves "$work/stop" "$work/a.txt" &
    sleep "$A_SECONDS"
    touch "$work/stop"; wait $!
    rm -f "$work/stop"
    case $backend in
      sqlite) sqlite3 "$(sqlite_file "$url")" 'DELETE FROM consent_seals' ;;
      postgres) psql -q "$url" -c 'DELETE FROM consent_seals' ;;
    esac
    saves "$work/stop" "$work/b.txt" &
    local t0 t1
    t0=$(seconds)
    DATABASE_URL=$url timed seal
    t1=$(seconds)
    touch "$work/stop"; wait $!
    read -r n p50 p99 max refused < <(latency "$work/a.txt")
    echo "| $name | $round A: saves alone, ${A_SECONDS} s | $n | $p50 | $p99 | $max | $refused |" >>"$work/saves.md"
    read -r n p50 p99 max refused < <(latency "$work/b.txt")
    echo "| $name | $round B: while seal ($(elapsed "$t0" "$t1") s) | $n | $p50 | $p99 | $max | $refused |" >>"$work/saves.md"
  done
  kill "$server"; wait "$server" 2>/dev/null || true; server=

  url=$(fresh_log "$backend" days)
  generate "$backend" "$url" "$N" $((today - 1 - DAYS)) "$DAYS"
  DATABASE_URL=$url timed seal
  echo "| $name | seal $DAYS days, $N receipts | $wall s | $peak MiB |" >>"$work/scale.md"
  DATABASE_URL=$url timed verify
  local intact
  intact=$(grep -c '  intact ' "$work/out.txt" || true)
  echo "| $name | verify $DAYS days, $N receipts ($intact days intact) | $wall s | $peak MiB |" >>"$work/scale.md"
}

for backend in $BACKENDS; do run "$backend"; done

echo "Seals at scale, $(nproc) cores, $(date -u +%Y-%m-%d)."
echo
echo "| log | command | time | peak memory |"
echo "|---|---|---:|---:|"
cat "$work/scale.md"
echo
echo "Saves at $RATE/s (ms), rounds A B A B:"
echo
echo "| log | round | saves | p50 | p99 | max | refused |"
echo "|---|---|---:|---:|---:|---:|---:|"
cat "$work/saves.md"
if grep -q panicked "$work/server.log"; then echo "server log has a panic" >&2; exit 1; fi
