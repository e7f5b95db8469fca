//! The server killed with SIGKILL during a burst of decisions: every decision a visitor was
//! told was saved is in the consent log after a restart.
#![cfg(feature = "ssr")]

use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Stdio,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

mod common;

use common::{free_port, server_on, sqlite_url, start};

/// One decision over a plain HTTP/1.1 connection; the id when the server said it was saved.
fn decide(port: u16) -> Option<String> {
    let body = "choice=accept&source=banner";
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "POST /api/consent HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
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
    let database = sqlite_url("crash");
    let port = free_port();
    let mut child = start(server_on(port, &database), port);

    let saved = Arc::new(Mutex::new(Vec::new()));
    let answered = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let saved = saved.clone();
            let answered = answered.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    match decide(port) {
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
    let deadline = Instant::now() + Duration::from_secs(60);
    while answered.load(Ordering::SeqCst) < 200 {
        assert!(
            Instant::now() < deadline,
            "only {} decisions were saved in 60 s",
            answered.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.0.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    child.0.wait().unwrap();
    for worker in workers {
        worker.join().unwrap();
    }
    let saved = saved.lock().unwrap().clone();
    assert!(saved.len() >= 200);

    // The log after a restart, through the operator's export command.
    drop(start(server_on(port, &database), port));
    let export = server_on(port, &database)
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
}
