#!/usr/bin/env bash
# What a fresh release build pays for figment, the crate STYLE.md names for a layered loader,
# on top of the crates the site builds anyway. Two scratch crates in a temporary directory,
# each reading `[leadistry]` from a file with the LEADISTRY_* variables over it and printing
# where each value came from: "by-hand" with toml (what src/config does), "with-figment" with
# Toml::file(..).nested().merge(Env::prefixed(..)). Both also build the crates figment would
# share with the site's build, at the versions in Cargo.lock (syn 2 with the features the
# site's release build gives it: `cargo tree -e features -i syn@2 --features ssr`), so that
# the difference is what figment would add to it. Each run builds one crate from nothing in
# its own target directory, the two in turn (A B A B ...), RUNS pairs (default 5); prints a
# Markdown table of the medians (wall seconds, and CPU: user + system) and the crates
# figment adds. Needs crates.io once (cargo fetch), then builds offline. About 12 minutes on
# 2 cores, more while other builds share the machine.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
RUNS=${RUNS:-5}
[ -x /usr/bin/time ] || apt-get install -y -qq time >/dev/null

work=$(mktemp -d /var/tmp/leadistry-figment.XXXXXX)
trap 'rm -rf "$work"' EXIT

# $1: crate name, $2: its extra dependency lines; main.rs from stdin.
scratch() {
  mkdir -p "$work/$1/src"
  cat >"$work/$1/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2021"

[dependencies]
serde = { version = "1", features = ["derive"] }
syn = { version = "2", features = ["full", "extra-traits", "visit-mut"] }
toml = "0.8"
version_check = "0.9"
$2
EOF
  cat >"$work/$1/src/main.rs"
  # The site's lock file pins the crates both share; cargo drops the entries it does not use.
  cp Cargo.lock "$work/$1/Cargo.lock"
  cargo fetch --quiet --manifest-path "$work/$1/Cargo.toml"
}

scratch by-hand '' <<'EOF'
use std::collections::BTreeMap;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "Leptos.toml".into());
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut file: toml::Table = text.parse().expect("TOML");
    let table = match file.remove("leadistry") {
        Some(toml::Value::Table(table)) => table,
        _ => toml::Table::new(),
    };
    let mut settings: BTreeMap<String, (String, String)> = table
        .into_iter()
        .map(|(key, value)| (key, (value.to_string(), path.clone())))
        .collect();
    for (name, value) in std::env::vars() {
        if let Some(key) = name.strip_prefix("LEADISTRY_") {
            let key = key.to_ascii_lowercase().replace('_', "-");
            settings.insert(key, (value, name));
        }
    }
    for (key, (value, source)) in settings {
        println!("{key} = {value} # {source}");
    }
}
EOF

scratch with-figment 'figment = { version = "=0.10.19", features = ["toml", "env"] }' <<'EOF'
use figment::{
    providers::{Env, Format, Toml},
    value::Value,
    Figment,
};
use std::collections::BTreeMap;

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "Leptos.toml".into());
    let env = Env::prefixed("LEADISTRY_")
        .map(|key| key.as_str().replace('_', "-").into())
        .profile("leadistry");
    let figment = Figment::new()
        .merge(Toml::file(&path).nested())
        .merge(env)
        .select("leadistry");
    let settings: BTreeMap<String, Value> = figment.extract().expect("configuration");
    for (key, value) in settings {
        let source = figment.find_metadata(&key).map(|m| m.name.to_string());
        println!("{key} = {value:?} # {}", source.unwrap_or_default());
    }
}
EOF

# One build from nothing; appends "wall cpu" to $work/$1.times.
build() {
  rm -rf "$work/$1/target"
  /usr/bin/time -f '%e %U %S' -o "$work/time" \
    cargo build --release --offline --quiet --manifest-path "$work/$1/Cargo.toml" \
    --target-dir "$work/$1/target"
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$work/time" >>"$work/$1.times"
}

build by-hand && build with-figment # warm-up: not counted
rm -f "$work"/*.times
for _ in $(seq "$RUNS"); do
  build by-hand
  build with-figment
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
column() { cut -d' ' -f"$2" "$work/$1.times" | median; }
crates() {
  cargo tree --offline --quiet --manifest-path "$work/$1/Cargo.toml" --prefix none \
    -e normal,build | tail -n +2 | sed 's/ (\*)$//' | sort -u
}

echo "| crate | wall (s) | CPU (s) | crates |"
echo "|---|---:|---:|---:|"
for crate in by-hand with-figment; do
  echo "| $crate | $(column "$crate" 1) | $(column "$crate" 2) | $(crates "$crate" | wc -l) |"
done
echo
echo "figment adds: $(comm -13 <(crates by-hand) <(crates with-figment) | cut -d' ' -f1,2 | paste -sd, | sed 's/,/, /g')"
