#!/usr/bin/env bash
# Starts Debian's PostgreSQL (installed by setup.sh) and makes a fresh test database.
# Prints the URL to use; idempotent.
set -euo pipefail
export PGHOST=/var/run/postgresql
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q .; then
  pg_createcluster "$version" main >/dev/null
fi
read -r cluster_version cluster_name _ <<<"$(pg_lsclusters -h | head -n 1)"
pg_ctlcluster "$cluster_version" "$cluster_name" start >/dev/null 2>&1 || true
for _ in $(seq 50); do pg_isready -q && break; sleep 0.2; done
as_postgres() { su postgres -c "$*"; }
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'leadistry'\"" | grep -q 1; then
  as_postgres "psql -qc \"CREATE ROLE leadistry LOGIN PASSWORD 'leadistry'\""
fi
# The fault tests make a database of their own for each fault (tests/faults.rs).
as_postgres "psql -qc \"ALTER ROLE leadistry CREATEDB\""
as_postgres "dropdb --if-exists leadistry_test" 2>/dev/null
as_postgres "createdb -O leadistry leadistry_test"
port=$(pg_lsclusters -h | head -n 1 | awk '{print $3}')
echo "postgres://leadistry:leadistry@127.0.0.1:$port/leadistry_test"
