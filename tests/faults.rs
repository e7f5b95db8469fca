//! Faults injected under a running server while visitors save decisions: every save it
//! acknowledged is in the consent log after a restart (by consent id, read by
//! `leadistry export`), every refusal set no consent cookie, and saves made after the fault
//! clears are kept without a restart.
#![cfg(feature = "ssr")]

use std::{
    collections::HashSet,
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

mod common;

use common::{free_port, server_on, start, Running};

/// The server on `port` with its log at `database`; one key for every run, as instances
/// that share a PostgreSQL log must have.
fn server(port: u16, database: &str) -> Command {
    let mut command = server_on(port, database);
    command.env(
        "LEADISTRY_CONSENT_KEY",
        "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI",
    );
    command
}

/// What one save got.
#[derive(Debug)]
enum Saved {
    /// 200 with a consent cookie: the visitor was told it is saved.
    Acknowledged(String),
    /// Any other answer; whether it set a consent cookie anyway.
    Refused { status: u16, set_cookie: bool },
    /// No answer at all (the server was gone).
    Unanswered,
}

/// One decision over a fresh HTTP/1.1 connection, as a browser with JavaScript posts it.
fn save(port: u16) -> Saved {
    let body = "choice=accept&source=banner";
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return Saved::Unanswered;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let request = format!(
        "POST /api/consent HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut response = String::new();
    if stream.write_all(request.as_bytes()).is_err()
        || stream.read_to_string(&mut response).is_err()
    {
        return Saved::Unanswered;
    }
    let Some(status) = response
        .get(9..12)
        .and_then(|code| code.parse::<u16>().ok())
    else {
        return Saved::Unanswered;
    };
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let set_cookie = head.lines().any(|line| {
        line.to_ascii_lowercase()
            .starts_with("set-cookie: lf_cookie_consent=")
    });
    let id = body
        .find("\"id\":\"")
        .and_then(|at| body.get(at + 6..at + 42))
        .map(str::to_string);
    match (status, set_cookie, id) {
        (200, true, Some(id)) => Saved::Acknowledged(id),
        _ => Saved::Refused { status, set_cookie },
    }
}

/// What a run of saves got, added up; a refusal that set a consent cookie fails at once.
#[derive(Default)]
struct Tally {
    acknowledged: Vec<String>,
    refused: usize,
    unanswered: usize,
    /// Every answer's status in order (0: none), for the failure message.
    statuses: Vec<u16>,
}

impl std::fmt::Debug for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let statuses: Vec<String> = self.statuses.iter().map(u16::to_string).collect();
        write!(
            f,
            "{} acknowledged, {} refused, {} unanswered; in order: {}",
            self.acknowledged.len(),
            self.refused,
            self.unanswered,
            statuses.join(" ")
        )
    }
}

impl Tally {
    fn add(&mut self, saved: Saved) -> bool {
        self.statuses.push(match &saved {
            Saved::Acknowledged(_) => 200,
            Saved::Refused { status, .. } => *status,
            Saved::Unanswered => 0,
        });
        match saved {
            Saved::Acknowledged(id) => {
                self.acknowledged.push(id);
                true
            }
            Saved::Refused { status, set_cookie } => {
                assert!(
                    !set_cookie,
                    "a refused save ({status}) set a consent cookie"
                );
                self.refused += 1;
                false
            }
            Saved::Unanswered => {
                self.unanswered += 1;
                false
            }
        }
    }

    /// `count` saves one after another.
    fn saves(&mut self, port: u16, count: usize) -> usize {
        (0..count).filter(|_| self.add(save(port))).count()
    }
}

/// The consent ids `leadistry export` finds in the log at `database`.
fn exported(database: &str) -> HashSet<String> {
    let export = server(0, database)
        .args(["export", "--format", "jsonl"])
        .stdout(Stdio::piped())
        .output()
        .expect("export runs");
    assert!(export.status.success(), "export failed: {export:?}");
    String::from_utf8(export.stdout)
        .expect("UTF-8")
        .lines()
        .map(|line| {
            let receipt: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            receipt["consent_id"].as_str().expect("an id").to_string()
        })
        .collect()
}

/// Stops the server as an operator does (SIGTERM) and waits for its exit.
fn stop(mut server: Running) {
    let pid = server.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
    let status = server.0.wait().expect("exit status");
    assert!(
        status.success(),
        "the server exited with {status} at SIGTERM"
    );
}

/// Every acknowledged save of `tally` is in the log at `database`, after a clean restart.
fn every_acknowledged_save_is_kept(database: &str, port: u16, tally: &Tally) {
    drop(start(server(port, database), port));
    let kept = exported(database);
    let lost: Vec<&String> = tally
        .acknowledged
        .iter()
        .filter(|id| !kept.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged saves are not in the log ({} refused): {:?}",
        lost.len(),
        tally.acknowledged.len(),
        tally.refused,
        &lost[..lost.len().min(5)]
    );
}

/// Visitors saving one decision after another on several connections at once, until stopped.
struct Burst {
    tally: Arc<Mutex<Tally>>,
    stop: Arc<AtomicBool>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Burst {
    fn start(port: u16, visitors: usize) -> Self {
        let tally = Arc::new(Mutex::new(Tally::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..visitors)
            .map(|_| {
                let (tally, stop) = (tally.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let saved = save(port);
                        if matches!(saved, Saved::Unanswered) {
                            // A server gone: no busy loop while the test notices.
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        tally.lock().unwrap().add(saved);
                    }
                })
            })
            .collect();
        Self {
            tally,
            stop,
            workers,
        }
    }

    fn acknowledged(&self) -> usize {
        self.tally.lock().unwrap().acknowledged.len()
    }

    fn refused(&self) -> usize {
        let tally = self.tally.lock().unwrap();
        tally.refused + tally.unanswered
    }

    /// Waits (at most 30 s) until `done` holds of the burst so far.
    fn until(&self, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "not within 30 s: {what}; {:?}",
                self.tally.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until `more` saves are acknowledged beyond those so far.
    fn more_acknowledged(&self, more: usize, what: &str) {
        let target = self.acknowledged() + more;
        self.until(what, |burst| burst.acknowledged() >= target);
    }

    fn finish(self) -> Tally {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            worker
                .join()
                .expect("a visitor's thread (a refusal set a cookie?)");
        }
        std::mem::take(&mut *self.tally.lock().unwrap())
    }
}

/// After a fault has cleared, with no restart: `count` saves in a row are all acknowledged.
fn saves_after_the_fault_are_kept(port: u16, tally: &mut Tally, count: usize) {
    let before = tally.acknowledged.len();
    let acknowledged = tally.saves(port, count);
    assert_eq!(
        acknowledged, count,
        "saves after the fault cleared, without a restart: {tally:?}"
    );
    assert_eq!(tally.acknowledged.len(), before + count);
}

/// A file system of its own, unmounted when the test ends.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(name: &str, kib: u32) -> Self {
        let dir = std::env::temp_dir().join(format!("leadistry-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mount point");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&dir)
            .status();
        assert!(
            mounted.is_ok_and(|s| s.success()),
            "could not mount a tmpfs at {}: the fault tests run as root, as CI does",
            dir.display()
        );
        Self(dir)
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.join("log.sqlite").display())
    }

    /// Fills what is left with a file of its own; returns it.
    fn fill(&self) -> PathBuf {
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = [0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// How many visitors save at once in a burst: more than SQLite's one writer, fewer than
/// PostgreSQL's pool of ten.
const VISITORS: usize = 6;

/// SQLite's disk fills under the server (`SQLITE_FULL`), then has room again.
#[test]
fn sqlite_disk_full_then_space_back() {
    let disk = Tmpfs::mount("disk-full", 16 * 1024);
    let database = disk.url();
    let port = free_port();
    let server = start(server(port, &database), port);
    let burst = Burst::start(port, VISITORS);
    burst.more_acknowledged(50, "saves before the fault");

    let filler = disk.fill();
    burst.until("a save refused on the full disk", |b| b.refused() > 0);
    std::fs::remove_file(&filler).expect("space back");
    burst.more_acknowledged(50, "saves once the disk has room again");
    let mut tally = burst.finish();
    saves_after_the_fault_are_kept(port, &mut tally, 20);
    stop(server);
    every_acknowledged_save_is_kept(&database, port, &tally);
}

/// The same without a mount: the server may not grow a file past a size (`RLIMIT_FSIZE`);
/// writes fail with EFBIG, an I/O error to SQLite (`SQLITE_IOERR_WRITE`). A read-only
/// remount, the other way to make one, is refused while the server has the log open.
#[test]
fn sqlite_file_size_limit_then_lifted() {
    let database = common::sqlite_url("faults-fsize");
    let port = free_port();
    let server = start(server(port, &database), port);
    let pid = server.0.id() as i32;
    let burst = Burst::start(port, VISITORS);
    burst.more_acknowledged(50, "saves before the fault");

    // Every file the server writes is past this size already.
    rlimit::prlimit(pid, rlimit::Resource::FSIZE, Some((4096, u64::MAX)), None)
        .expect("the server's file-size limit lowered");
    burst.until("a save refused at the file-size limit", |b| b.refused() > 0);
    rlimit::prlimit(
        pid,
        rlimit::Resource::FSIZE,
        Some((u64::MAX, u64::MAX)),
        None,
    )
    .expect("the limit lifted");
    burst.more_acknowledged(50, "saves once the limit is lifted");
    let mut tally = burst.finish();
    saves_after_the_fault_are_kept(port, &mut tally, 20);
    stop(server);
    every_acknowledged_save_is_kept(&database, port, &tally);
}

/// Another process holds SQLite's write lock for longer than the server waits for it
/// (`SQLITE_BUSY`), then lets go. In WAL mode the lock is taken by a transaction's first
/// write, not at `COMMIT`, so that is where the server meets it.
#[test]
fn sqlite_busy_then_free() {
    let database = common::sqlite_url("faults-busy");
    let port = free_port();
    let server = start(server(port, &database), port);
    let burst = Burst::start(port, VISITORS);
    burst.more_acknowledged(50, "saves before the fault");

    let file = database
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc");
    let holder = rusqlite::Connection::open(file).expect("the log, from another connection");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("the write lock");
    burst.until("a save refused while the lock is held", |b| b.refused() > 0);
    holder.execute_batch("ROLLBACK").expect("the lock let go");
    drop(holder);
    burst.more_acknowledged(50, "saves once the lock is free");
    let mut tally = burst.finish();
    saves_after_the_fault_are_kept(port, &mut tally, 20);
    stop(server);
    every_acknowledged_save_is_kept(&database, port, &tally);
}

/// SIGKILL during a burst: every save acknowledged before it is in the log after a restart.
fn sigkill_mid_burst(database: &str) {
    let port = free_port();
    let mut server = start(server(port, database), port);
    let burst = Burst::start(port, 16);
    burst.more_acknowledged(200, "saves before the crash");
    server.0.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    server.0.wait().unwrap();
    let tally = burst.finish();
    every_acknowledged_save_is_kept(database, port, &tally);
}

#[test]
fn sqlite_sigkill_mid_burst() {
    sigkill_mid_burst(&common::sqlite_url("faults-sigkill"));
}

/// One PostgreSQL fault test at a time: restarting the server cuts every test's connections.
static POSTGRES: Mutex<()> = Mutex::new(());

/// A database of its own on the test cluster (the test role may create databases), made
/// anew for one test.
struct Postgres {
    /// The test database's URL, to make and change this one from.
    admin: String,
    name: String,
    url: String,
}

impl Postgres {
    fn new(name: &str) -> Option<Self> {
        let admin = common::postgres_url()?;
        let name = format!("leadistry_{name}_{}", std::process::id());
        let (base, _) = admin.rsplit_once('/').expect("a database URL");
        let url = format!("{base}/{name}");
        let database = Self { admin, name, url };
        database.admin(&format!(
            "DROP DATABASE IF EXISTS {0} WITH (FORCE)",
            database.name
        ));
        database.admin(&format!("CREATE DATABASE {0}", database.name));
        Some(database)
    }

    fn admin(&self, sql: &str) {
        run_sql(&self.admin, sql);
    }

    /// Runs `sql` on a connection to this database.
    fn sql(&self, sql: &str) {
        run_sql(&self.url, sql);
    }

    /// Ends every connection the server has to this database.
    fn terminate_connections(&self) {
        self.admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            self.name
        ));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            self.admin(&format!(
                "DROP DATABASE IF EXISTS {0} WITH (FORCE)",
                self.name
            ))
        });
    }
}

fn run_sql(url: &str, sql: &str) {
    use sqlx::{Connection, Executor};
    common::block_on(async {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
        connection
            .execute(sql)
            .await
            .unwrap_or_else(|error| panic!("{sql}: {error}"));
        connection.close().await.ok();
    });
}

/// The server on `database`, a burst of saves, `fault` injected once 50 are acknowledged,
/// `clear` once it made a save fail (when `refuses`) or 50 more were acknowledged; then 50
/// more, 20 in a row without the burst, a clean restart, and every acknowledged save kept.
fn postgres_fault(database: &Postgres, refuses: bool, fault: impl FnOnce(), clear: impl FnOnce()) {
    let port = free_port();
    let server = start(server(port, &database.url), port);
    let burst = Burst::start(port, VISITORS);
    burst.more_acknowledged(50, "saves before the fault");
    fault();
    match refuses {
        true => burst.until("a save refused during the fault", |b| b.refused() > 0),
        false => burst.more_acknowledged(50, "saves during the fault"),
    }
    clear();
    burst.more_acknowledged(50, "saves after the fault");
    let mut tally = burst.finish();
    saves_after_the_fault_are_kept(port, &mut tally, 20);
    stop(server);
    every_acknowledged_save_is_kept(&database.url, port, &tally);
}

/// The server's connections killed mid-transaction, six times during a burst.
#[test]
fn postgres_connections_killed() {
    let _one = POSTGRES.lock().unwrap_or_else(|e| e.into_inner());
    let Some(database) = Postgres::new("faults_killed") else {
        return;
    };
    postgres_fault(
        &database,
        false,
        || {
            for _ in 0..6 {
                database.terminate_connections();
                std::thread::sleep(Duration::from_millis(100));
            }
        },
        || {},
    );
}

/// PostgreSQL restarted during a burst.
#[test]
fn postgres_restarted() {
    let _one = POSTGRES.lock().unwrap_or_else(|e| e.into_inner());
    let Some(database) = Postgres::new("faults_restarted") else {
        return;
    };
    let restart = || {
        let clusters = Command::new("pg_lsclusters")
            .arg("-h")
            .output()
            .expect("pg_lsclusters");
        let clusters = String::from_utf8(clusters.stdout).unwrap();
        let mut cluster = clusters.split_whitespace();
        let (version, name) = (cluster.next().unwrap(), cluster.next().unwrap());
        let restarted = Command::new("pg_ctlcluster")
            .args([version, name, "restart", "-m", "fast"])
            .status();
        assert!(
            restarted.is_ok_and(|s| s.success()),
            "pg_ctlcluster restart (as root)"
        );
    };
    postgres_fault(&database, false, restart, || {});
}

/// A `COMMIT` that fails: a deferred constraint trigger refuses every receipt at commit time
/// while a switch is on.
#[test]
fn postgres_commit_fails() {
    let _one = POSTGRES.lock().unwrap_or_else(|e| e.into_inner());
    let Some(database) = Postgres::new("faults_commit") else {
        return;
    };
    // The log's tables first, as the server makes them.
    common::block_on(async {
        let store = leadistry::receipts::Store::connect(&database.url).await;
        store.expect("migrated").close().await;
    });
    database.sql(
        "CREATE TABLE fault (refuse BOOLEAN NOT NULL); INSERT INTO fault VALUES (false); \
         CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF (SELECT refuse FROM fault) THEN RAISE EXCEPTION 'refused at commit'; END IF; \
         RETURN NULL; END $$; \
         CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON consent_receipts \
         DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()",
    );
    postgres_fault(
        &database,
        true,
        || database.sql("UPDATE fault SET refuse = true"),
        || database.sql("UPDATE fault SET refuse = false"),
    );
}

/// The database refuses writes (as a replica promoted the wrong way round would): new
/// sessions are read-only and the server's connections are cut; then writable again, with
/// nothing cut: the connections that met the fault must not be reused.
#[test]
fn postgres_read_only_then_writable() {
    let _one = POSTGRES.lock().unwrap_or_else(|e| e.into_inner());
    let Some(database) = Postgres::new("faults_read_only") else {
        return;
    };
    postgres_fault(
        &database,
        true,
        || {
            database.admin(&format!(
                "ALTER DATABASE {} SET default_transaction_read_only = on",
                database.name
            ));
            database.terminate_connections();
        },
        || {
            database.admin(&format!(
                "ALTER DATABASE {} RESET default_transaction_read_only",
                database.name
            ))
        },
    );
}

#[test]
fn postgres_sigkill_mid_burst() {
    let _one = POSTGRES.lock().unwrap_or_else(|e| e.into_inner());
    let Some(database) = Postgres::new("faults_sigkill") else {
        return;
    };
    sigkill_mid_burst(&database.url);
}
