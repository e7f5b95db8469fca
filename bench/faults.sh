#!/usr/bin/env bash
# Faults under load: saves at 200/s while each fault comes and goes (SQLite: a full disk, a
# file-size limit, the write lock held elsewhere, SIGKILL; PostgreSQL: connections killed, a
# restart, a refused COMMIT, read-only, SIGKILL). Prints a Markdown table: acknowledged,
# kept, lost (must be 0), refused, time to recover; exits 1 if any save was lost. As root
# (it mounts a tmpfs and restarts PostgreSQL). About 2 minutes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
[ "${SKIP_BUILD:-}" = 1 ] || { scripts/setup.sh >/dev/null; cargo leptos build --release --precompress; }
postgres=$(scripts/postgres.sh)
exec python3 bench/faults.py --server "$CARGO_TARGET_DIR/release/leadistry" --postgres "$postgres"
