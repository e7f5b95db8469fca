//! The auditor's commands against the real binary: `seal` prints the head, `verify` tells each
//! day, `proof` writes a document that `proof --check` and the README's Python (with nothing
//! but hashlib) both accept and both refuse once changed, `policy` shows the archived texts;
//! the server archives the policy at start-up, seals finished days, and serves `/seals.json`.
#![cfg(feature = "ssr")]

mod common;

use common::{block_on, free_port, server_on, sqlite_url, start};
use leadistry::receipts::{Receipt, Store};
use std::process::{Command, Output};

const DAY: i64 = 86_400;

fn leadistry(args: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_leadistry"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn noon(days_ago: i64) -> i64 {
    let today = leadistry::date::now() as i64 / DAY;
    (today - days_ago) * DAY + DAY / 2
}

/// Receipts on four past days; the fifth replaces the second (a withdrawal); and awkward texts
/// in the choices, as JSON escapes them.
fn log_with_receipts(url: &str) {
    block_on(async {
        let store = Store::connect(url).await.unwrap();
        for n in 1..=12i64 {
            let choices = match n % 3 {
                0 => r#"{"analytics":"denied","essential":"granted"}"#.to_string(),
                1 => "quote \" backslash \\ tab \t ünïcödé ✓ \u{1f}".to_string(),
                _ => r#"{"analytics":"granted","essential":"granted"}"#.to_string(),
            };
            let receipt = Receipt {
                consent_id: format!("00000000-0000-4000-8000-{n:012}"),
                decided_at: noon(5 - n / 4) + n,
                policy_revision: 1,
                policy_fingerprint: leadistry::receipts::policy_fingerprint(),
                choices,
                method: "banner".into(),
                replaces: match n {
                    5 => "00000000-0000-4000-8000-000000000002".into(),
                    _ => String::new(),
                },
            };
            store.append(&receipt).await.unwrap();
        }
        store.close().await;
    });
}

/// The README's Python, run on `proof` against `head`.
fn readme_python(proof: &std::path::Path, head: &str) -> Output {
    let readme = include_str!("../README.md");
    let start = readme.find("```python\n").expect("the README's procedure") + 10;
    let code = &readme[start..start + readme[start..].find("```").unwrap()];
    Command::new("python3")
        .arg("-c")
        .arg(code)
        .arg(proof)
        .arg(head)
        .output()
        .expect("python3 runs")
}

#[test]
fn seal_verify_and_a_proof_an_auditor_checks_with_hashlib() {
    let database = sqlite_url("audit");
    log_with_receipts(&database);
    // The policy in force archived, as the server does at start.
    block_on(async {
        let store = Store::connect(&database).await.unwrap();
        let document = leadistry::receipts::policy_document();
        store.archive_policy(1, &document, noon(6)).await.unwrap();
        store.close().await;
    });

    let sealed = leadistry(&["seal"], &database);
    assert!(sealed.status.success(), "{}", text(&sealed.stderr));
    let head: serde_json::Value = serde_json::from_slice(&sealed.stdout).unwrap();
    let seal = head["seal"].as_str().unwrap().to_string();
    assert_eq!(head["day"], leadistry::date::utc_date(noon(1) as u64));
    let again = leadistry(&["seal", "--head"], &database);
    assert_eq!(
        text(&again.stdout),
        text(&sealed.stdout),
        "the head, sealed once"
    );

    let verified = leadistry(&["verify", "--head", &seal], &database);
    let lines = text(&verified.stdout);
    assert!(
        verified.status.success(),
        "{lines}{}",
        text(&verified.stderr)
    );
    assert_eq!(
        lines.lines().filter(|l| l.contains("  intact ")).count(),
        5,
        "{lines}"
    );

    // The withdrawal's proof: it and the decision it replaced.
    let id = "00000000-0000-4000-8000-000000000005";
    let proof = leadistry(&["proof", id], &database);
    assert!(proof.status.success(), "{}", text(&proof.stderr));
    let file = std::env::temp_dir().join(format!("leadistry-proof-{}.json", std::process::id()));
    std::fs::write(&file, &proof.stdout).unwrap();
    let document: serde_json::Value = serde_json::from_slice(&proof.stdout).unwrap();
    let ids: Vec<&str> = document["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["receipt"]["consent_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["00000000-0000-4000-8000-000000000002", id]);

    let file_text = file.to_str().unwrap();
    let checked = leadistry(
        &["proof", "--check", file_text, "--head", &seal],
        "sqlite::memory:",
    );
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    let python = readme_python(&file, &seal);
    assert!(python.status.success(), "{}", text(&python.stderr));
    assert!(text(&python.stdout).contains("the proof holds"));

    // One character of a receipt changed: both refuse it.
    let changed = text(&proof.stdout).replacen("\"banner\"", "\"settings\"", 1);
    std::fs::write(&file, changed).unwrap();
    let checked = leadistry(
        &["proof", "--check", file_text, "--head", &seal],
        "sqlite::memory:",
    );
    assert_eq!(checked.status.code(), Some(1), "{}", text(&checked.stdout));
    assert!(!readme_python(&file, &seal).status.success());

    // A choice changed in the log: verify names the day and the receipt, and fails.
    block_on(async {
        let pool = sqlx::AnyPool::connect(&database).await.unwrap();
        sqlx::query("UPDATE consent_receipts SET choices = 'x' WHERE consent_id = $1")
            .bind("00000000-0000-4000-8000-000000000007")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let verified = leadistry(&["verify"], &database);
    let lines = text(&verified.stdout);
    assert_eq!(verified.status.code(), Some(1), "{lines}");
    let day = leadistry::date::utc_date(noon(4) as u64);
    assert!(
        lines.contains(&format!("{day}  changed"))
            && lines.contains("receipt 00000000-0000-4000-8000-000000000007 altered"),
        "{lines}"
    );
    let _ = std::fs::remove_file(file);
}

#[test]
fn policy_prints_the_texts_in_force_and_the_archive() {
    let database = sqlite_url("audit-policy");
    log_with_receipts(&database);
    let fingerprint = leadistry::receipts::policy_fingerprint();
    let exact = leadistry(&["policy", "--exact"], &database);
    assert!(exact.status.success());
    assert_eq!(
        leadistry::receipts::fingerprint_of(&text(&exact.stdout)),
        fingerprint,
        "the exact document is what the fingerprint hashes"
    );
    let in_force = text(&leadistry(&["policy"], &database).stdout);
    assert!(in_force.contains("Cookie Notice") && in_force.contains("\"wording\""));

    let unknown = leadistry(&["policy", &fingerprint], &database);
    assert_eq!(unknown.status.code(), Some(1), "not archived yet");

    // A start of the server archives it.
    let port = free_port();
    drop(start(server_on(port, &database), port));
    let archived = leadistry(&["policy", &fingerprint, "--exact"], &database);
    assert!(archived.status.success(), "{}", text(&archived.stderr));
    assert_eq!(archived.stdout, exact.stdout);
    let listed = leadistry(&["policy", "--list", "--format", "json"], &database);
    let uses: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(uses[0]["fingerprint"], fingerprint.as_str());
    assert_eq!(uses[0]["revision"], 1);
    assert_eq!(uses[0]["receipts"], 12);
    let table = text(&leadistry(&["policy", "--list"], &database).stdout);
    assert!(
        table.contains(&fingerprint) && table.contains("receipts"),
        "{table}"
    );
}

#[test]
fn the_server_seals_finished_days_and_serves_them_on_the_operator_listener() {
    let database = sqlite_url("audit-server");
    log_with_receipts(&database);
    let (port, operator) = (free_port(), free_port());
    let mut command = server_on(port, &database);
    command.env("LEADISTRY_OPERATOR_ADDR", format!("127.0.0.1:{operator}"));
    let _server = start(command, port);
    // The server seals at start, one day after another: wait until yesterday is sealed (a
    // deadline, not a sleep).
    let yesterday = leadistry::date::utc_date(noon(1) as u64);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let seals = loop {
        let answer = ureq_get(operator, "/seals.json");
        let seals: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
        if seals[0]["day"] == yesterday.as_str() {
            break seals;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "yesterday not sealed in 20 s: {answer}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let seals = seals.as_array().unwrap();
    assert_eq!(seals.len(), 5, "5 days ago to yesterday: {seals:?}");
    assert_eq!(
        seals[4]["day"],
        leadistry::date::utc_date(noon(5) as u64),
        "newest first"
    );
    let stats = ureq_get(operator, "/stats");
    assert!(
        stats.contains(seals[0]["seal"].as_str().unwrap()),
        "the head on /stats"
    );
}

/// The body of a GET on the operator listener.
fn ureq_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let mut response = String::new();
    let _ = stream.write_all(request.as_bytes());
    let _ = stream.read_to_string(&mut response);
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}
