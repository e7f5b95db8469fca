//! The consent log at scale: export streams (memory flat whatever the size of the log, a
//! reader that stops early ends it quietly), prune deletes in batches that leave the log to
//! the saves in between, and can be stopped and run again. On SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` names one (`common::postgres_url`).
#![cfg(feature = "ssr")]

mod common;

use common::{block_on, server_on, sqlite_url};
use leadistry::{
    cli::export::{export_to, write, Format},
    receipts::{Receipt, Store},
};
use std::{
    io::{BufRead, BufReader, Read},
    process::Stdio,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, OnceLock,
    },
    time::{Duration, Instant},
};

/// Receipts in the big log, and the bytes of each one's choices: 120 MB of receipts, about
/// twice the memory export may use.
const BIG_RECEIPTS: i64 = 40_000;
const BIG_CHOICES: i64 = 3_000;
/// Peak memory allowed to `export` of the big log: the issue's target.
const EXPORT_MEMORY: u64 = 64 << 20;

/// Fills the log at `url` (migrated) with `count` receipts decided at `first`, `first + 1` …,
/// two a second, in one statement: a log this size would take minutes through `append`.
async fn fill(url: &str, count: i64, first: i64, choices_bytes: i64) {
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1) \
         INSERT INTO consent_receipts \
         (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method) \
         SELECT printf('00000000-0000-4000-8000-%012d', $2 + i), $2 + i / 2, 1, \
                'f' || hex(zeroblob(31)) || '0', \
                '{\"note\":\"' || substr(hex(randomblob($3 / 2 + 1)), 1, $3) || '\"}', 'form' \
         FROM n",
    )
    .bind(count)
    .bind(first)
    .bind(choices_bytes)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

/// A SQLite log of about 120 MB of receipts, made once for the tests that need one.
fn big_log() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let url = sqlite_url("log-scale-big").until_exit();
        block_on(async {
            Store::connect(&url).await.unwrap().close().await;
            fill(&url, BIG_RECEIPTS, 1_000_000, BIG_CHOICES).await;
        });
        url
    })
}

/// The peak resident memory of a running process, in bytes.
fn peak_memory(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn export_streams_a_log_larger_than_its_memory() {
    let url = big_log();
    for (format, lines) in [
        (Format::Csv, BIG_RECEIPTS + 1),
        (Format::JsonLines, BIG_RECEIPTS),
    ] {
        let mut child = server_on(3196, url)
            .args([
                "export",
                "--format",
                if format == Format::Csv {
                    "csv"
                } else {
                    "jsonl"
                },
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut stdout = child.stdout.take().unwrap();
        let (mut bytes, mut newlines, mut peak) = (0u64, 0i64, 0u64);
        let mut buffer = vec![0; 1 << 16];
        loop {
            let n = stdout.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            bytes += n as u64;
            newlines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as i64;
            // The child cannot finish before its output is read: it is still there.
            peak = peak.max(peak_memory(pid).unwrap_or(0));
        }
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(newlines, lines, "{format:?}");
        assert!(
            bytes > EXPORT_MEMORY,
            "{format:?}: the log ({bytes} bytes) is larger than the memory allowed"
        );
        assert!(peak > 0, "{format:?}: the export's memory was read");
        eprintln!(
            "{format:?}: {bytes} bytes exported, peak memory {} MiB",
            peak >> 20
        );
        assert!(
            peak < EXPORT_MEMORY,
            "{format:?}: {bytes} bytes exported with a peak of {} MiB",
            peak >> 20
        );
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_export_quietly() {
    let url = big_log();
    for format in ["csv", "jsonl"] {
        let mut child = server_on(3197, url)
            .args(["export", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // As `| head -n 2` does: two lines, then the pipe is closed.
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        for _ in 0..2 {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            assert!(line.ends_with('\n'), "{format}: {line}");
        }
        drop(stdout);
        let started = Instant::now();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{format}: {stderr}");
        assert!(stderr.is_empty(), "{format}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{format}: it stopped when the reader did"
        );
    }
}

/// Receipts with awkward choices, decided at `first`, `first + 1` ….
fn awkward(first: i64) -> Vec<Receipt> {
    [
        r#"{"analytics":"denied","essential":"granted"}"#,
        "a,b",
        r#"say "hi", then
leave"#,
        "ünïcödé ✓",
        "",
    ]
    .iter()
    .enumerate()
    .map(|(i, choices)| Receipt {
        consent_id: format!("00000000-0000-4000-9000-{:012}", first + i as i64),
        decided_at: first + i as i64 / 2,
        policy_revision: 3,
        policy_fingerprint: "ab".repeat(32),
        choices: choices.to_string(),
        method: "settings".into(),
        replaces: String::new(),
    })
    .collect()
}

/// What `export` writes is what the collected receipts written at once give, in order.
async fn streamed_export_is_the_collected_one(store: &Store, first: i64) {
    let receipts = awkward(first);
    for receipt in &receipts {
        store.append(receipt).await.unwrap();
    }
    let until = first + receipts.len() as i64;
    assert_eq!(store.export(first, until).await.unwrap(), receipts);
    for format in [Format::Csv, Format::JsonLines] {
        let mut collected = Vec::new();
        write(&receipts, &format, &mut collected).unwrap();
        let mut streamed = Vec::new();
        let written = export_to(store, first, until, format, &mut streamed)
            .await
            .unwrap();
        assert_eq!(written, receipts.len() as u64);
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(collected).unwrap()
        );
    }
}

/// Prune in batches of at most 50 over 800 receipts to delete (two a second) and 200 to keep: it says
/// how far it got after each batch; stopped after three batches and run again, it finishes.
async fn prune_in_batches_stops_and_goes_on(store: &Store, url: &str, first: i64) {
    // Nothing older than these receipts: the batches are theirs.
    store.prune(first).await.unwrap();
    if url.starts_with("sqlite:") {
        fill(url, 1000, first, 10).await;
    } else {
        for i in 0..1000 {
            let mut receipt = awkward(0)[0].clone();
            receipt.consent_id = format!("00000000-0000-4000-a000-{:012}", first + i);
            receipt.decided_at = first + i / 2;
            store.append(&receipt).await.unwrap();
        }
    }
    let before = first + 400;
    let end = first + 500;
    let count = |since, until| async move { store.export(since, until).await.unwrap().len() };
    assert_eq!(count(first, before).await, 800);

    // Stopped (the future dropped, as a killed process) once three batches are done.
    let stop = tokio::sync::Notify::new();
    let mut said = Vec::new();
    tokio::select! {
        _ = store.prune_in_batches(before, 50, |deleted| {
            said.push(deleted);
            if said.len() == 3 {
                stop.notify_one();
            }
        }) => panic!("stopped before the end"),
        _ = stop.notified() => {}
    }
    // At most 50 a batch, and the other receipt of the last batch's second.
    let steps = |said: &[u64]| said.windows(2).all(|w| w[1] - w[0] <= 51) && said[0] <= 51;
    assert_eq!(said.len(), 3);
    assert!(steps(&said), "{said:?}");
    let left = 800 - said[2] as usize;
    assert_eq!(count(first, before).await, left);
    assert_eq!(count(before, end).await, 200);

    let mut said = Vec::new();
    let deleted = store
        .prune_in_batches(before, 50, |deleted| said.push(deleted))
        .await
        .unwrap();
    assert_eq!(deleted as usize, left);
    assert!(said.len() > left / 51, "{said:?}");
    assert!(steps(&said), "{said:?}");
    assert_eq!(said.last(), Some(&deleted));
    assert_eq!(count(first, before).await, 0);
    assert_eq!(count(before, end).await, 200);
    // Nothing left: one look, nothing deleted.
    assert_eq!(store.prune(before).await.unwrap(), 0);
}

#[test]
fn export_streams_and_prune_goes_in_batches_on_sqlite() {
    block_on(async {
        let url = sqlite_url("log-scale");
        let store = Store::connect(&url).await.unwrap();
        streamed_export_is_the_collected_one(&store, 5_000).await;
        prune_in_batches_stops_and_goes_on(&store, &url, 10_000).await;
        store.close().await;
    })
}

#[test]
fn export_streams_and_prune_goes_in_batches_on_postgres() {
    let Some(url) = common::postgres_url() else {
        return;
    };
    block_on(async {
        let store = Store::connect(&url).await.unwrap();
        // Times of their own, far below any real receipt's: prune deletes all that is older.
        let first = 100_000 + i64::from(std::process::id() % 1000) * 10_000;
        store.prune(first + 5_000).await.unwrap();
        streamed_export_is_the_collected_one(&store, first).await;
        prune_in_batches_stops_and_goes_on(&store, &url, first + 1_000).await;
        store.prune(first + 5_000).await.unwrap();
        store.close().await;
    })
}

/// Saves from another connection (the server's, in production) while a prune of 100,000
/// receipts runs: they go on, and none waits for the whole prune.
#[test]
fn saves_go_on_while_prune_runs_on_sqlite() {
    block_on(async {
        let url = sqlite_url("log-scale-saves");
        let pruner = Store::connect(&url).await.unwrap();
        fill(&url, 200_000, 1_000_000, 40).await;
        let server = Store::connect(&url).await.unwrap();
        let running = Arc::new(AtomicBool::new(true));
        let saves = tokio::spawn({
            let running = running.clone();
            async move {
                let mut waits = Vec::new();
                let mut n = 0;
                while running.load(Ordering::Relaxed) {
                    n += 1;
                    let mut receipt = awkward(0)[0].clone();
                    receipt.consent_id = format!("00000000-0000-4000-b000-{n:012}");
                    receipt.decided_at = 2_000_000;
                    let started = Instant::now();
                    server.append(&receipt).await.unwrap();
                    waits.push(started.elapsed());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                server.close().await;
                waits
            }
        });
        let started = Instant::now();
        assert_eq!(pruner.prune(1_100_000).await.unwrap(), 200_000);
        let pruning = started.elapsed();
        running.store(false, Ordering::Relaxed);
        let waits = saves.await.unwrap();
        let longest = waits.iter().max().unwrap();
        eprintln!(
            "prune: {pruning:?}; {} saves meanwhile, the longest {longest:?}",
            waits.len()
        );
        assert!(waits.len() >= 5, "{} saves in {pruning:?}", waits.len());
        assert!(
            *longest < Duration::from_secs(1) && *longest < pruning / 2,
            "a save waited {longest:?} during a prune of {pruning:?}"
        );
        pruner.close().await;
    })
}
