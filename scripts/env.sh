# Shared environment for the build and test scripts; sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# One warm target directory outside the clone, so fresh clones (and CI) reuse compiled crates.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/leadistry-target}
# Incremental caches only grow in a shared directory and do not speed up one-off CI builds.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
# binaryen's wasm-opt from npm first: Debian's older wasm-opt breaks hydration.
export PATH="$ROOT/end2end/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
cd "$ROOT"

# A decision the server at $1 (host:port) signed, as a Cookie header pair, for the benches'
# returning visitors: a hand-made one would be no decision.
consent_cookie() {
  curl -s -o /dev/null -D - -X POST "http://$1/api/consent" -H "Origin: http://$1" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data 'choice=reject&source=banner' |
    sed -n 's/^set-cookie: \(lf_cookie_consent=[^;]*\).*/\1/ip' | head -n 1
}

# An empty database leadistry_bench in Debian's PostgreSQL cluster (started if need be), as a
# URL, for the benches of the consent log.
bench_database_url() {
  local version cluster port
  export PGHOST=/var/run/postgresql
  read -r version cluster port _ <<<"$(pg_lsclusters -h | head -n 1)"
  pg_ctlcluster "$version" "$cluster" start >/dev/null 2>&1 || true
  for _ in $(seq 50); do pg_isready -q && break; sleep 0.2; done
  su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'leadistry'\"" | grep -q 1 ||
    su postgres -c "psql -qc \"CREATE ROLE leadistry LOGIN PASSWORD 'leadistry'\""
  su postgres -c "dropdb --if-exists leadistry_bench && createdb -O leadistry leadistry_bench"
  echo "postgres://leadistry:leadistry@127.0.0.1:$port/leadistry_bench"
}
