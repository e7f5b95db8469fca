//! What the server binary says and does at start-up, and its `prune` command: the README's
//! promises about them, held against the real process.
#![cfg(feature = "ssr")]

mod common;

use common::{block_on, exits_within, free_port, server_on, sqlite_url};
use leadistry::receipts::{Receipt, Store};
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Runs `command` until it prints a line containing `until` (or exits, or 20 s pass) and
/// returns what it printed on stderr so far.
fn stderr_until(mut command: Command, until: &str) -> String {
    let mut child = command
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = String::new();
    while let Ok(line) = received.recv_timeout(Duration::from_secs(20)) {
        printed.push_str(&line);
        printed.push('\n');
        if line.contains(until) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    printed
}

/// A receipt of revision 1 (the one Leptos.toml names) under a fingerprint no policy has.
fn receipt(n: i64, decided_at: i64) -> Receipt {
    Receipt {
        consent_id: format!("00000000-0000-4000-8000-{n:012}"),
        decided_at,
        policy_revision: 1,
        policy_fingerprint: "f".repeat(64),
        choices: "{}".into(),
        method: "form".into(),
        replaces: String::new(),
    }
}

/// A consent log at `url` holding `receipts`.
fn log_with(url: &str, receipts: &[Receipt]) {
    block_on(async {
        let store = Store::connect(url).await.unwrap();
        for receipt in receipts {
            store.append(receipt).await.unwrap();
        }
        store.close().await;
    });
}

#[test]
fn hash_files_without_hash_txt_refuses_to_start_and_says_why() {
    let database = sqlite_url("startup-hash");
    let mut command = server_on(free_port(), &database);
    // A name no build writes: a hash.txt that `cargo leptos watch` left beside the test
    // binary must not make this server start.
    let missing = format!("hash-{}-missing.txt", std::process::id());
    command
        .env("LEPTOS_HASH_FILES", "true")
        .env("LEPTOS_HASH_FILE", &missing)
        .env("LEPTOS_HASH_FILE_NAME", &missing);
    // All it says, to its exit: a server that warned and started anyway fails here.
    command.env("RUST_LOG", "info");
    let output = exits_within(command, Duration::from_secs(20));
    let printed = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{printed}");
    assert!(
        printed.contains("hash-files is on but")
            && printed.contains(&missing)
            && printed.contains("LEPTOS_HASH_FILES=false"),
        "{printed}"
    );
    assert!(!printed.contains("listening on"), "{printed}");
}

#[test]
fn without_a_clarity_project_the_server_says_clarity_will_not_be_loaded() {
    let database = sqlite_url("startup-clarity");
    let mut command = server_on(free_port(), &database);
    command.env("LEADISTRY_CLARITY_PROJECT_ID", "");
    let printed = stderr_until(command, "listening on");
    assert!(printed.contains("Clarity will not be loaded"), "{printed}");
    assert!(printed.contains("listening on"), "{printed}");

    let database = sqlite_url("startup-clarity-set");

    let mut command = server_on(free_port(), &database);
    command.env("LEADISTRY_CLARITY_PROJECT_ID", "abcd1234");
    let printed = stderr_until(command, "listening on");
    assert!(printed.contains("listening on"), "{printed}");
    assert!(!printed.contains("Clarity will not be loaded"), "{printed}");
}

#[test]
fn a_connection_cap_above_the_descriptor_limit_is_lowered_and_the_server_still_starts() {
    // A hard limit of 256 descriptors, which the server cannot raise.
    let mut command = Command::new("sh");
    command
        .args(["-c", "ulimit -n 256 && exec \"$0\""])
        .arg(env!("CARGO_BIN_EXE_leadistry"));
    let database = sqlite_url("startup-fds");
    for (key, value) in server_on(free_port(), &database).get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEADISTRY_MAX_CONNECTIONS", "100000");
    let printed = stderr_until(command, "listening on");
    assert!(
        printed.contains("max-connections is above what the file descriptor limit allows"),
        "{printed}"
    );
    assert!(printed.contains("listening on"), "{printed}");
}

#[test]
fn prune_deletes_receipts_older_than_the_retention_and_keeps_the_rest() {
    let url = sqlite_url("startup-prune");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let day = 86_400;
    // Retention 200 days, decisions live 182: one on each side of the retention.
    log_with(
        &url,
        &[receipt(1, now - 210 * day), receipt(2, now - 190 * day)],
    );

    let mut command = server_on(free_port(), &url);
    command
        .arg("prune")
        .env("LEADISTRY_RECEIPT_RETENTION_DAYS", "200");
    let output = command.stderr(Stdio::piped()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("pruned 1 receipts"), "{stderr}");

    let left = block_on(async {
        let store = Store::connect(&url).await.unwrap();
        let left = store.export(0, now + 1).await.unwrap();
        store.close().await;
        left
    });
    assert_eq!(
        left.iter()
            .map(|r| r.consent_id.as_str())
            .collect::<Vec<_>>(),
        ["00000000-0000-4000-8000-000000000002"]
    );
}

#[test]
fn the_server_warns_when_the_policy_changed_but_its_revision_did_not() {
    let url = sqlite_url("startup-revision");
    log_with(&url, &[receipt(1, 1)]);
    let mut command = server_on(free_port(), &url);
    command.env("LEADISTRY_POLICY_REVISION", "1");
    let printed = stderr_until(command, "listening on");
    assert!(printed.contains("policy-revision did not"), "{printed}");
}
