#!/usr/bin/env bash
# Installs what the site needs, only what is missing, at pinned versions: `setup.sh serve`
# what building and serving it needs; `setup.sh test` that and what the tests need too
# (Chromium, PostgreSQL, Playwright). Idempotent: a second run prints what it found and
# changes nothing.
set -euo pipefail
PURPOSE=${1:-test}
case "$PURPOSE" in serve | test) ;; *) echo "usage: setup.sh [serve|test]" >&2; exit 2 ;; esac

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen version in Cargo.lock
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Builds a crate's binary from its published source with one dependency pinned lower,
# because its own lock file names a release that is yanked or needs a newer rustc.
install_crate_with_pin() {
  local crate=$1 version=$2 dep=$3 dep_version=$4; shift 4
  local work src
  work=$(mktemp -d)
  # `cargo info` downloads the published .crate into cargo's cache: no other client needed.
  cargo info --quiet "$crate@$version" >/dev/null
  src=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/cache" -name "$crate-$version.crate" | head -n 1)
  [ -n "$src" ] || { echo "setup: could not fetch $crate $version" >&2; exit 1; }
  tar -xzf "$src" -C "$work"
  (cd "$work/$crate-$version" &&
    cargo update --quiet -p "$dep" --precise "$dep_version" &&
    # A build tool's own speed hardly matters: no LTO and parallel codegen build it in a
    # fraction of the time its release profile (fat LTO, one codegen unit) takes.
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked --path . "$@" 2>&1 | progress "$crate")
  rm -rf "$work"
}

# Condenses cargo's output to a line at most every 15 s (cargo writes in bursts when its
# output is not a terminal), with the crates so far and the time; errors pass through.
progress() {
  awk -v name="$1" -v start="$(date +%s)" '
    /^ *Compiling / { n++; if (systime() - shown >= 15) { shown = systime(); printf "[setup]   %s: %d crates compiled (%ds)\n", name, n, shown - start; fflush() } next }
    /^ *(Downloaded|Downloading|Locking|Adding|Updating|Installing|Installed|Replacing|Replaced|Finished|Blocking) / { next }
    { print; fflush() }'
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
}

# A C compiler: the linker, and the C parts of SQLite and mimalloc.
if ! command -v cc >/dev/null 2>&1; then
  say "installing Debian's gcc"
  apt_install gcc libc6-dev
else
  say "C compiler: present"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
else
  say "wasm32-unknown-unknown target: present"
fi

if [ "$(cargo-leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (compiles from source: about 15 minutes on 2 cores)"
  # no_downloads: cargo-leptos must use the tools installed here, never fetch prebuilt ones.
  # Optimisation level 1: it only runs other tools, and builds a site as fast as at level 3.
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    install_crate_with_pin cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1 \
    --features no_downloads
else
  say "cargo-leptos $CARGO_LEPTOS_VERSION: present"
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (compiles from source: about 3 minutes)"
  # Without its default TLS (rustls, ring): the project never lets it download anything.
  install_crate_with_pin wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots 1.0.10 --no-default-features
else
  say "wasm-bindgen-cli $WASM_BINDGEN_VERSION: present"
fi

# The site's own crates download while the build tools compile.
(cd "$ROOT" && cargo fetch --quiet >/dev/null 2>&1 || true) &

if [ "$PURPOSE" = serve ]; then
  # binaryen's wasm-opt alone: the test tools wait for `setup.sh test`.
  if ! (cd "$ROOT/end2end" && npm ls --silent binaryen >/dev/null 2>&1); then
    say "installing binaryen (wasm-opt) from npm"
    (cd "$ROOT/end2end" && npm ci --omit=dev --no-audit --no-fund --loglevel=error)
  else
    say "binaryen (wasm-opt): present"
  fi
  wait
  say "done (serving needs no more; scripts/test installs the test tools)"
  exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium"
  apt_install chromium
else
  say "chromium: present ($(/usr/bin/chromium --version 2>/dev/null))"
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null)" ]; then
  say "installing Debian's postgresql (for the consent log tests on PostgreSQL)"
  apt_install postgresql
else
  say "postgresql: present"
fi

# The engines of Firefox and Safari, for the consent rules in end2end/engines/: Firefox ESR,
# and WebKitGTK's WebDriver with its MiniBrowser, which needs an X server (Xvfb).
engines_missing=()
[ -x /usr/bin/firefox-esr ] || engines_missing+=(firefox-esr)
[ -x /usr/bin/WebKitWebDriver ] || engines_missing+=(webkit2gtk-driver)
[ -x /usr/bin/Xvfb ] || engines_missing+=(xvfb)
if [ ${#engines_missing[@]} -gt 0 ]; then
  say "installing Debian's ${engines_missing[*]} (the consent rules in Firefox and WebKit)"
  apt_install "${engines_missing[@]}"
else
  say "firefox-esr, webkit2gtk-driver, xvfb: present ($(/usr/bin/firefox-esr --version 2>/dev/null))"
fi

# npm packages: Playwright and binaryen's wasm-opt, as locked in end2end/package-lock.json.
if ! (cd "$ROOT/end2end" && npm ls --silent >/dev/null 2>&1); then
  say "installing npm packages in end2end/ (npm ci)"
  (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
else
  say "end2end npm packages: present"
fi

if command -v wasm-opt >/dev/null 2>&1 && [ "$(command -v wasm-opt)" != "$ROOT/end2end/node_modules/.bin/wasm-opt" ]; then
  say "warning: $(command -v wasm-opt) is on PATH; scripts put binaryen's wasm-opt from npm first"
fi
wait
say "done"
