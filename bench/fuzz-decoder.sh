#!/usr/bin/env bash
# A million hostile inputs per property against the consent cookie decoder (release build).
# `cargo test` runs the same properties with proptest's default 256 cases.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
PROPTEST_CASES=${PROPTEST_CASES:-1000000} cargo test --release --features ssr --lib properties -- --nocapture
