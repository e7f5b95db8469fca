//! Slow and idle clients against the server process: they cannot hold it open, crowd out a
//! visitor, or keep it from stopping.
#![cfg(feature = "ssr")]

mod common;

use common::{free_port, server_on, sqlite_url, start, Running};
use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Command,
    time::{Duration, Instant},
};

/// Opens a connection and sends a request's head without its final blank line.
fn half_sent(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream
        .write_all(format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: 1\r\n").as_bytes())
        .unwrap();
    stream
}

/// Sends `request` on a fresh connection: the status line of the answer, and how long it
/// took from connecting to the server's close.
fn exchange(port: u16, request: &str, timeout: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    (
        text.lines().next().unwrap_or_default().to_string(),
        started.elapsed(),
    )
}

/// A whole page request on a fresh connection: its status line, and how long it took.
fn page(port: u16, timeout: Duration) -> (String, Duration) {
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    exchange(port, &request, timeout)
}

/// True once the server has closed the connection (the read sees its end).
fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue, // a response (408, or the answer) before the close
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

fn terminate(Running(child): &Running) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the process to exit; how long that took.
fn exit_time(Running(child): &mut Running, limit: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return started.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("still running {limit:?} after SIGTERM");
}

#[test]
fn a_thousand_half_sent_requests_neither_block_a_visitor_nor_the_shutdown() {
    let port = free_port();
    let database = sqlite_url("slow-thousand");
    let mut command = server_on(port, &database);
    command
        .env("LEADISTRY_SHUTDOWN_TIMEOUT_SECS", "3")
        .env("LEADISTRY_HEADER_READ_TIMEOUT_SECS", "60");
    let mut server = start(command, port);
    let held: Vec<TcpStream> = (0..1000).map(|_| half_sent(port)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let (status, took) = page(port, Duration::from_secs(5));
    assert!(status.starts_with("HTTP/1.1 200"), "{status:?}");
    assert!(took < Duration::from_secs(1), "a page took {took:?}");
    terminate(&server);
    let took = exit_time(&mut server, Duration::from_secs(8));
    assert!(
        took <= Duration::from_secs(4),
        "exited {took:?} after SIGTERM; the deadline is 3 s"
    );
    drop(held);
}

#[test]
fn a_request_head_that_does_not_arrive_in_time_is_cut_off() {
    let port = free_port();
    let database = sqlite_url("slow-head");
    let mut command = server_on(port, &database);
    command
        .env("LEADISTRY_HEADER_READ_TIMEOUT_SECS", "2")
        .env("LEADISTRY_KEEP_ALIVE_TIMEOUT_SECS", "60");
    let server = start(command, port);
    let mut slow = half_sent(port);
    // A byte a second keeps the connection busy, but the head's deadline still holds.
    let started = Instant::now();
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(700));
        if slow.write_all(b"X").is_err() {
            break;
        }
    }
    assert!(closed_by_server(&mut slow, Duration::from_secs(3)));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "cut off after {took:?}");
    drop(server);
}

#[test]
fn an_idle_connection_is_closed_after_the_keep_alive_timeout() {
    let port = free_port();
    let database = sqlite_url("slow-idle");
    let mut command = server_on(port, &database);
    command.env("LEADISTRY_KEEP_ALIVE_TIMEOUT_SECS", "1");
    let server = start(command, port);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(format!("GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 "), "answered: {first:?}");
    let started = Instant::now();
    assert!(closed_by_server(&mut stream, Duration::from_secs(4)));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(3),
        "closed after {took:?}"
    );
    // A connection that never sends anything is closed too.
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(closed_by_server(&mut silent, Duration::from_secs(4)));
    drop(server);
}

#[test]
fn a_kept_alive_connection_idle_past_the_header_read_timeout_is_closed_by_it() {
    // Hyper starts its header-read timer again when a kept-alive connection goes idle: with
    // a keep-alive timeout longer than that, it is the timer that closes the connection. The
    // listener counts on it (no connection idles longer than the header-read timeout).
    let port = free_port();
    let database = sqlite_url("slow-idle-head");
    let mut command = server_on(port, &database);
    command
        .env("LEADISTRY_HEADER_READ_TIMEOUT_SECS", "1")
        .env("LEADISTRY_KEEP_ALIVE_TIMEOUT_SECS", "60");
    let server = start(command, port);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .write_all(format!("GET /robots.txt HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n").as_bytes())
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 "), "answered: {first:?}");
    let started = Instant::now();
    assert!(closed_by_server(&mut stream, Duration::from_secs(4)));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(3),
        "closed after {took:?}"
    );
    drop(server);
}

#[test]
fn connections_over_the_cap_wait_until_one_closes() {
    let port = free_port();
    let database = sqlite_url("slow-cap");
    let mut command = server_on(port, &database);
    command
        .env("LEADISTRY_MAX_CONNECTIONS", "20")
        .env("LEADISTRY_HEADER_READ_TIMEOUT_SECS", "60");
    let server = start(command, port);
    // `start` made one connection to see the server listen; it is closed by now.
    std::thread::sleep(Duration::from_millis(200));
    let mut held: Vec<TcpStream> = (0..20).map(|_| half_sent(port)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let waiting = std::thread::spawn(move || page(port, Duration::from_secs(30)));
    std::thread::sleep(Duration::from_millis(1000));
    if waiting.is_finished() {
        panic!("answered over the cap: {:?}", waiting.join());
    }
    held.pop();
    let (status, took) = waiting.join().unwrap();
    assert!(
        status.starts_with("HTTP/1.1 200"),
        "{status:?} after {took:?}"
    );
    assert!(took >= Duration::from_millis(900), "{took:?}");
    drop(server);
}

/// Sends a consent post's head and the first bytes of a body that never completes; returns
/// the status line the server answers with, and when.
fn post_with_a_body_that_stalls(port: u16) -> (String, Duration) {
    let request = format!(
        "POST /api/consent HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Origin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 60\r\n\r\nchoice=acc"
    );
    exchange(port, &request, Duration::from_secs(10))
}

/// Starts a server with these two timeouts, stalls a consent post's body, and checks the
/// status it answers with, about a second after the body stalled.
fn stalled_body_is_answered_with(body_secs: &str, request_secs: &str, status: &str) {
    let port = free_port();
    let database = sqlite_url(&format!("slow-body-{status}"));
    let mut command = server_on(port, &database);
    command
        .env("LEADISTRY_BODY_READ_TIMEOUT_SECS", body_secs)
        .env("LEADISTRY_REQUEST_TIMEOUT_SECS", request_secs);
    let server = start(command, port);
    let (line, took) = post_with_a_body_that_stalls(port);
    assert!(line.starts_with(&format!("HTTP/1.1 {status}")), "{line:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "answered after {took:?}"
    );
    drop(server);
}

#[test]
fn a_consent_form_whose_body_stalls_gets_408_after_the_body_timeout() {
    stalled_body_is_answered_with("1", "30", "408");
}

#[test]
fn a_request_that_takes_longer_than_the_request_timeout_gets_503() {
    stalled_body_is_answered_with("30", "1", "503");
}
