//! The server binary's command line, held against the real process: what `--help` prints,
//! and the exit codes an operator's script can tell apart (0 done, 1 failed, 2 bad usage or
//! configuration).
#![cfg(feature = "ssr")]

use std::process::{Command, Output};

/// The binary with `args`, in the checkout (its Leptos.toml) and with a consent log of its
/// own at `database`, run to its end.
fn leadistry(args: &[&str], database: &str, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadistry"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "error")
        .envs(env.iter().copied())
        .output()
        .expect("runs")
}

/// A SQLite file in the temporary folder that does not exist yet.
fn no_file(name: &str) -> std::path::PathBuf {
    let file = std::env::temp_dir().join(format!(
        "leadistry-cli-{name}-{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    file
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_the_commands_and_export_its_options() {
    let database = format!("sqlite://{}?mode=rwc", no_file("help").display());
    let top = leadistry(&["--help"], &database, &[]);
    let stdout = text(&top.stdout);
    assert_eq!(top.status.code(), Some(0), "{}", text(&top.stderr));
    for command in ["serve", "export", "prune", "stats", "config"] {
        assert!(stdout.contains(command), "{command} in {stdout}");
    }

    let export = leadistry(&["export", "--help"], &database, &[]);
    let stdout = text(&export.stdout);
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    for option in [
        "--since <T>",
        "--until <T>",
        "--format <FORMAT>",
        "YYYY-MM-DD",
    ] {
        assert!(stdout.contains(option), "{option} in {stdout}");
    }
}

#[test]
fn bad_usage_exits_with_2_and_says_why_on_stderr() {
    let file = no_file("usage");
    let database = format!("sqlite://{}?mode=rwc", file.display());
    for args in [
        &["purge"][..],
        &["export", "--format", "xml"],
        &["export", "--since", "yesterday"],
        &["prune", "now"],
    ] {
        let output = leadistry(args, &database, &[]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains("--help"),
            "{args:?}: {stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    assert!(!file.exists(), "bad usage opens no consent log");
}

#[test]
fn an_invalid_setting_exits_with_2_and_a_log_that_cannot_be_opened_with_1() {
    let file = no_file("invalid");
    let database = format!("sqlite://{}?mode=rwc", file.display());
    let output = leadistry(
        &["export"],
        &database,
        &[("LEADISTRY_RECEIPT_RETENTION_DAYS", "forever")],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("leadistry: "), "{stderr}");
    assert!(stderr.contains("receipt-retention-days"), "{stderr}");
    assert!(
        !file.exists(),
        "an invalid configuration opens no consent log"
    );

    // No `mode=rwc`: SQLite does not create the missing file.
    let missing = format!("sqlite://{}", no_file("missing").display());
    let output = leadistry(&["export"], &missing, &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("leadistry: "), "{stderr}");
}

#[test]
fn config_prints_the_settings_without_the_key_and_touches_no_log() {
    let file = no_file("config");
    let database = format!("sqlite://{}?mode=rwc", file.display());
    // 32 bytes, base64.
    let key = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I";
    let output = leadistry(&["config"], &database, &[("LEADISTRY_CONSENT_KEY", key)]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        stdout.contains("receipt_retention_days") || stdout.contains("receipt-retention-days"),
        "{stdout}"
    );
    assert!(!stdout.contains(key), "{stdout}");
    assert!(!file.exists(), "config opens no consent log");
}
