//! Every other file here tests the server, built with `--features ssr`; without it they
//! compile to nothing, and a plain `cargo test` would pass having run none of them.
#[cfg(not(feature = "ssr"))]
compile_error!(
    "the integration tests need the server build: run `cargo test --features ssr` \
     (scripts/test does)"
);
