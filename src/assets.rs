//! The page's assets, found once at start-up: the stylesheet (inline, or linked while
//! `cargo leptos watch` serves it) and the island loader that names the bundle's JS and WASM.

use leptos::config::LeptosOptions;
use std::sync::Arc;

/// The project's island loader (in place of Leptos' `HydrationScripts`, which preloads the
/// whole bundle on every page): see the file for when it loads what.
const ISLAND_LOADER: &str = include_str!("islands.js");

/// The page's assets, read once at start-up: the stylesheet, and the island loader, which
/// names the bundle's JS and WASM (with their content hashes when `hash-files` is on).
#[derive(Clone)]
pub struct Assets {
    pub stylesheet: Stylesheet,
    pub loader: Arc<str>,
    /// `cargo leptos watch`'s live-reload socket (after a space), for the CSP while it
    /// serves the site.
    pub live_reload: Option<Arc<str>>,
}

/// The stylesheet is inlined: a request for it would hold the first paint back by a round
/// trip (the browser bench measures it: docs/benchmarks.md). While `cargo leptos watch`
/// serves the site it is linked, so that its live reload can swap it.
#[derive(Clone)]
pub enum Stylesheet {
    Inline(Arc<str>),
    Linked(Arc<str>),
}

impl Assets {
    /// `wasm_bytes`: what the WASM weighs on the wire, for the loader's guess of how long it
    /// takes to arrive.
    fn new(
        stylesheet: Stylesheet,
        js: &str,
        wasm: &str,
        wasm_bytes: u64,
        live_reload: Option<Arc<str>>,
    ) -> Self {
        // Whole-line comments and indentation are for readers of the file, not of every page.
        let loader: String = ISLAND_LOADER
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        Self {
            stylesheet,
            loader: format!("{loader}({js:?}, {wasm:?}, {wasm_bytes});").into(),
            live_reload,
        }
    }

    /// The assets of the build `options` describes, read once: Leptos' `HashedStylesheet` and
    /// `HydrationScripts` read hash.txt on every page; the names cannot change while the server
    /// runs.
    pub fn read(options: &LeptosOptions) -> Self {
        let hashes = options
            .hash_files
            .then(|| std::fs::read_to_string(hash_file(options).ok()?).ok())
            .flatten()
            .unwrap_or_default();
        let LeptosOptions {
            site_pkg_dir,
            output_name,
            ..
        } = options;
        let name = |kind: &str, extension: &str| {
            let hash = hashes
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(file, _)| file.trim() == kind)
                .map(|(_, hash)| format!(".{}", hash.trim()));
            // cargo-leptos names the WASM after the crate; a plain wasm-bindgen run adds `_bg`.
            let suffix = match (kind, &hash, option_env!("LEPTOS_OUTPUT_NAME")) {
                ("wasm", None, None) => "_bg",
                _ => "",
            };
            format!(
                "/{site_pkg_dir}/{output_name}{suffix}{}.{extension}",
                hash.unwrap_or_default()
            )
        };
        let watching = std::env::var("LEPTOS_WATCH").is_ok();
        let css = name("css", "css");
        let file = format!("{}{css}", options.site_root);
        let stylesheet = match std::fs::read_to_string(&file) {
            Ok(text) if !watching => Stylesheet::Inline(text.into()),
            Ok(_) => Stylesheet::Linked(css.into()),
            Err(error) => {
                tracing::warn!(%error, file, "stylesheet not found: pages link it instead");
                Stylesheet::Linked(css.into())
            }
        };
        let live_reload = watching.then(|| {
            let port = options.reload_port;
            format!(" ws://127.0.0.1:{port} ws://localhost:{port}").into()
        });
        let wasm = name("wasm", "wasm");
        // Compressed as most browsers get it; 0 when unknown (the loader then expects it soon).
        let wasm_bytes = ["br", "gz", ""]
            .iter()
            .find_map(|extension| {
                let file = format!("{}{wasm}.{extension}", options.site_root);
                std::fs::metadata(file.trim_end_matches('.')).ok()
            })
            .map_or(0, |metadata| metadata.len());
        Assets::new(
            stylesheet,
            &name("js", "js"),
            &wasm,
            wasm_bytes,
            live_reload,
        )
    }
}

/// With `hash-files`, Leptos reads asset names from a file beside the binary and would panic
/// on every page without it: refuse to start instead.
pub fn check_hash_file(options: &LeptosOptions) -> std::io::Result<()> {
    if !options.hash_files {
        return Ok(());
    }
    let file = hash_file(options)?;
    if file.is_file() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!(
            "hash-files is on but {} is missing: build with `cargo leptos build` \
             (or set LEPTOS_HASH_FILES=false)",
            file.display()
        ),
    ))
}

/// Where cargo-leptos writes the assets' hashes: beside the server binary.
fn hash_file(options: &LeptosOptions) -> std::io::Result<std::path::PathBuf> {
    Ok(std::env::current_exe()?.with_file_name(options.hash_file.as_ref()))
}
