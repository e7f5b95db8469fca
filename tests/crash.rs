//! The server killed with SIGKILL during a burst of decisions: every decision a visitor was
//! told was saved is in the consent log after a restart.
#![cfg(feature = "ssr")]

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

const PORT: u16 = 3177;
const WARN_PORT: u16 = 3178;

fn server(database: &str) -> Command {
    server_on(PORT, database)
}

fn server_on(port: u16, database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_leadistry"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database)
        // A plain `cargo build` binary has no hash.txt beside it; these tests need no assets.
        .env("LEPTOS_HASH_FILES", "false")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn start(database: &str) -> Child {
    let child = server(database).spawn().expect("server starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", PORT)).is_err() {
        assert!(Instant::now() < deadline, "server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// One decision over a plain HTTP/1.1 connection; the id when the server said it was saved.
fn decide() -> Option<String> {
    let body = "choice=accept&source=banner";
    let mut stream = TcpStream::connect(("127.0.0.1", PORT)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "POST /api/consent HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nOrigin: http://127.0.0.1:{PORT}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    if !response.starts_with("HTTP/1.1 200") {
        return None;
    }
    let start = response.find("\"id\":\"")? + 6;
    Some(response[start..start + 36].to_string())
}

#[test]
fn every_decision_a_visitor_saw_saved_survives_sigkill() {
    let file = std::env::temp_dir().join(format!("leadistry-crash-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let database = format!("sqlite://{}?mode=rwc", file.display());
    let mut child = start(&database);

    let saved = Arc::new(Mutex::new(Vec::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let saved = saved.clone();
            let answered = answered.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    match decide() {
                        Some(id) => {
                            saved.lock().unwrap().push(id);
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        None => break, // the server is gone
                    }
                }
            })
        })
        .collect();
    while answered.load(Ordering::SeqCst) < 200 {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    child.wait().unwrap();
    for worker in workers {
        worker.join().unwrap();
    }
    let saved = saved.lock().unwrap().clone();
    assert!(saved.len() >= 200);

    // The log after a restart, through the operator's export command.
    let mut restarted = start(&database);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    let export = server(&database)
        .args(["export", "--format", "jsonl"])
        .stdout(Stdio::piped())
        .output()
        .expect("export runs");
    assert!(export.status.success());
    let exported = String::from_utf8(export.stdout).unwrap();
    let missing: Vec<&String> = saved
        .iter()
        .filter(|id| !exported.contains(id.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} saved decisions lost",
        missing.len(),
        saved.len()
    );
    let _ = std::fs::remove_file(PathBuf::from(&file));
}

#[test]
fn the_server_warns_when_the_policy_changed_but_its_revision_did_not() {
    let file =
        std::env::temp_dir().join(format!("leadistry-revision-{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let database = format!("sqlite://{}?mode=rwc", file.display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = leadistry::receipts::Store::connect(&database)
            .await
            .unwrap();
        let receipt = leadistry::receipts::Receipt {
            consent_id: "00000000-0000-4000-8000-000000000001".into(),
            decided_at: 1,
            policy_revision: 1, // the revision Leptos.toml names
            policy_fingerprint: "0".repeat(64),
            choices: "{}".into(),
            method: "banner".into(),
        };
        store.append(&receipt).await.unwrap();
        store.close().await;
    });
    let mut child = server_on(WARN_PORT, &database)
        .env("RUST_LOG", "warn")
        .env("LEADISTRY_POLICY_REVISION", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", WARN_PORT)).is_err() {
        assert!(Instant::now() < deadline, "server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("policy-revision did not"), "{log}");
    let _ = std::fs::remove_file(&file);
}
