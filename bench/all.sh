#!/usr/bin/env bash
# Every benchmark in one run: browser (beside the reference page), server against static
# bytes, load, flood and slow clients. About 20 minutes.
# The decoder fuzzing (bench/fuzz-decoder.sh) is separate: it is a test, not a measurement.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bench/browser.sh
echo
SKIP_BUILD=1 bench/server.sh
echo
SKIP_BUILD=1 bench/load.sh
echo
SKIP_BUILD=1 bench/flood.sh
echo
SKIP_BUILD=1 bench/slow.sh
