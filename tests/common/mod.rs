//! What the tests of the running router share: building it, and sending it a request.
#![allow(dead_code)] // each test binary uses its own part

use axum::{
    body::{to_bytes, Body},
    http::{header, Request, Response},
    Router,
};
use leadistry::{
    config::{
        keys::{ConsentKeys, SecretKey},
        SiteSettings,
    },
    receipts::{ConsentLog, Store},
    server::router,
    state::AppState,
};
use leptos::config::LeptosOptions;
use std::{future::Future, path::PathBuf, sync::LazyLock};
use tower::ServiceExt;

/// One runtime for every test: Leptos's task spawner is global and must outlive each test.
pub static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
});

pub const HOST: &str = "127.0.0.1:3000";

/// The site's pages, and a path it does not have (its 404 page, inside the layout).
pub const EVERY_PAGE: [&str; 7] = [
    "/",
    "/cookie-notice",
    "/cookie-settings",
    "/privacy",
    "/terms",
    "/acceptable-use",
    "/no-such-page",
];
pub const SITE: &str = "http://127.0.0.1:3000";

pub fn content() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// The settings the tests' routers run with: Clarity configured, a parent cookie domain,
/// and a rate limit no test meets by accident.
pub fn settings(content_dir: PathBuf) -> SiteSettings {
    let mut site = SiteSettings::parse("", &|_| None).expect("defaults");
    site.clarity_project_id = Some("abcd1234".into());
    site.cookie_domain = Some("leadistry.com".into());
    site.content_dir = content_dir;
    site.saves_per_minute = 60_000;
    site.saves_burst = 10_000;
    site.receipt_queue = 10_000;
    site
}

/// The key the tests' routers sign with: 32 bytes of 0x01.
pub fn keys() -> ConsentKeys {
    ConsentKeys::new(SecretKey::from_base64("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE").unwrap())
}

/// A consent cookie as the tests' routers sign it, decided a minute ago by the clock.
pub fn signed_cookie(analytics: bool) -> String {
    signed_cookie_at(1, analytics)
}

/// The same, under policy revision `revision`.
pub fn signed_cookie_at(revision: u32, analytics: bool) -> String {
    use leadistry::consent::decision::{ConsentId, Decision, Method};
    let decision = Decision {
        revision,
        decided_at: leadistry::date::now() - 60,
        id: ConsentId(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
        analytics,
        method: Method::Banner,
    };
    format!(
        "lf_cookie_consent={}",
        leadistry::consent::server::cookie::sign(&decision, &keys())
    )
}

pub fn build_app(store: Store, site: SiteSettings) -> Router {
    let leptos = LeptosOptions::builder()
        .output_name("leadistry")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build();
    let queue = site.receipt_queue;
    router(AppState::new(
        leptos,
        site,
        keys(),
        ConsentLog::new(store, queue),
    ))
}

/// A fresh SQLite consent log in the temporary folder, removed when the test binary exits
/// (apps built on it live in statics).
pub async fn sqlite_log(name: &str) -> Store {
    Store::connect(&sqlite_url(name).until_exit())
        .await
        .expect("sqlite")
}

/// A consent log that is closed: every write fails.
pub async fn closed_log() -> Store {
    let closed = Store::connect("sqlite::memory:").await.expect("memory");
    closed.close().await;
    closed
}

/// A consent form post to the site, without an origin: each test says where it comes from.
pub fn post_consent() -> axum::http::request::Builder {
    Request::post("/api/consent")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

/// The `Set-Cookie` headers of a response.
pub fn set_cookies(response: &Response<Body>) -> Vec<String> {
    response
        .headers()
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// Whether a page shows the banner: its element, not the name (the island loader mentions it).
pub fn shows_banner(html: &str) -> bool {
    html.split("<section").skip(1).any(|tag| {
        tag.split('>')
            .next()
            .is_some_and(|tag| tag.contains("class=\"cookie-banner\""))
    })
}

pub async fn send_to(app: Router, request: Request<Body>) -> (Response<Body>, String) {
    let response = app.oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Response::from_parts(parts, Body::empty()), text)
}

pub fn block_on<F: Future>(future: F) -> F::Output {
    RUNTIME.block_on(future)
}

/// The server binary on `port`, with a consent log at `database` and no assets (a plain
/// `cargo build` has no hash.txt beside it). One client makes every request in these tests:
/// the rate limit is off unless a test sets it.
pub fn server_on(port: u16, database: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_leadistry"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", database)
        .env("LEPTOS_HASH_FILES", "false")
        .env("LEADISTRY_SAVES_PER_MINUTE", "60000")
        .env("LEADISTRY_SAVES_BURST", "10000")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// A consent log file of its own in the temporary folder, as a URL (it derefs to one): the
/// file and its journals are removed when the test ends, passed or failed, so that runs do not
/// fill the disk.
pub fn sqlite_url(name: &str) -> TempLog {
    let file = std::env::temp_dir().join(format!("leadistry-{name}-{}.sqlite", std::process::id()));
    let log = TempLog {
        url: format!("sqlite://{}?mode=rwc", file.display()),
        file,
    };
    log.remove();
    log
}

pub struct TempLog {
    url: String,
    file: std::path::PathBuf,
}

impl TempLog {
    /// Its URL, the file kept until the process exits (a static is never dropped).
    pub fn until_exit(self) -> String {
        static AT_EXIT: std::sync::Mutex<Vec<TempLog>> = std::sync::Mutex::new(Vec::new());
        extern "C" fn remove_all() {
            if let Ok(logs) = AT_EXIT.lock() {
                logs.iter().for_each(TempLog::remove);
            }
        }
        let url = self.url.clone();
        let mut logs = AT_EXIT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if logs.is_empty() {
            // SAFETY: registers a function without arguments to run when the process exits.
            unsafe { libc::atexit(remove_all) };
        }
        logs.push(self);
        url
    }

    fn remove(&self) {
        for journal in ["", "-wal", "-shm", "-journal"] {
            let mut file = self.file.clone().into_os_string();
            file.push(journal);
            let _ = std::fs::remove_file(file);
        }
    }
}

impl std::ops::Deref for TempLog {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Display for TempLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

impl Drop for TempLog {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A server process that is killed when the test ends, passed or not: no orphan keeps its
/// port for the next run.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now, and not one this test binary has had before (its tests run
/// side by side). Taken below the kernel's range for the local ports of outgoing connections
/// (`ip_local_port_range`, from 32768): a port picked in it (as port 0 picks) can be taken by
/// any test's client connection before the server binds it, and was, under a burst of saves.
/// Another process may still take it: `start` then fails rather than test another server.
pub fn free_port() -> u16 {
    const LOW: u16 = 20_000;
    const HIGH: u16 = 32_768;
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Each binary starts elsewhere, so that one left running does not meet the next.
    let first = LOW + (std::process::id() % u32::from(HIGH - LOW)) as u16;
    (0..HIGH - LOW)
        .map(|n| LOW + (first - LOW + n) % (HIGH - LOW))
        .find(|port| {
            !given.contains(port) && std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok()
        })
        .inspect(|port| given.push(*port))
        .expect("a free port below the ephemeral range")
}

/// Starts `command` and waits (at most 20 s) until it listens on `port`, and fails unless the
/// server answering there is this one: its own start-up line says it bound the port, and it
/// is still running when the port answers.
pub fn start(mut command: std::process::Command, port: u16) -> Running {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};
    // Something else answering there (a server left by another run) would pass for this one.
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} is taken before the server starts"
    );
    // The start-up line is logged at info; keep whatever else the test asked for.
    let filter = command
        .get_envs()
        .find(|(key, _)| *key == "RUST_LOG")
        .and_then(|(_, value)| value)
        .map_or_else(|| "error".to_string(), |v| v.to_string_lossy().into_owned());
    command
        .env("RUST_LOG", format!("{filter},leadistry=info"))
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("server starts");
    let (lines, received) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped");
    // Reads stderr to its end, so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let listening = format!("listening on http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut printed = String::new();
    loop {
        match received.recv_timeout(Duration::from_millis(50)) {
            Ok(line) if line.contains(&listening) => break,
            Ok(line) => {
                printed.push_str(&line);
                printed.push('\n');
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("exit status");
                panic!("the server exited ({status}) before it listened:\n{printed}");
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited ({status}) before it listened:\n{printed}");
        }
        assert!(
            Instant::now() < deadline,
            "server did not say it listens on {port}:\n{printed}"
        );
    }
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "the server exited after it listened:\n{printed}"
    );
    Running(child)
}

/// The PostgreSQL test database's URL (`TEST_DATABASE_URL`, which `scripts/test` sets), or
/// `None` when the run says it skips PostgreSQL (`LEADISTRY_TEST_SKIP_POSTGRES=1`). Neither
/// set is a failure: a PostgreSQL test never passes by testing nothing.
pub fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        return Some(url);
    }
    if std::env::var("LEADISTRY_TEST_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("LEADISTRY_TEST_SKIP_POSTGRES=1: PostgreSQL not tested in this run");
        return None;
    }
    panic!(
        "TEST_DATABASE_URL is not set: name a PostgreSQL database (scripts/test starts one), \
         or set LEADISTRY_TEST_SKIP_POSTGRES=1 to skip the PostgreSQL tests"
    );
}

/// Runs `command` to its exit, which must come within `within` (a server that should refuse
/// to start but starts would otherwise hang the test), and returns its output.
pub fn exits_within(
    mut command: std::process::Command,
    within: std::time::Duration,
) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    // Both pipes read to their ends on threads of their own, so that the child never blocks.
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + within;
    let status = loop {
        if let Some(status) = child.try_wait().expect("status") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let said = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
            panic!("still running after {within:?}, killed; it said:\n{said}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// A PostgreSQL schema of its own in the test database: the figures of other tests' saves
/// (the same day) stay out of this one's.
pub fn postgres_schema(name: &str) -> Option<String> {
    let url = postgres_url()?;
    let schema = format!("{name}_{}", std::process::id());
    block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("postgres");
        let statement = format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}");
        sqlx::raw_sql(&statement)
            .execute(&mut connection)
            .await
            .unwrap();
    });
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(format!(
        "{url}{separator}options=-c%20search_path%3D{schema}"
    ))
}
