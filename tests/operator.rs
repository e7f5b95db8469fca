//! The operator's view, held against the real server process: the consent figures of a known
//! sequence of visits in `leadistry stats` and `/stats.json` (SQLite and PostgreSQL), counters
//! of two instances adding up, the operator listener's paths and token, and `/readyz` when
//! the consent log cannot be written.
#![cfg(feature = "ssr")]

mod common;

use common::{block_on, exits_within, free_port, server_on, sqlite_url, start, Running};
use serde_json::{json, Value};
use std::{
    io::{Read, Write},
    net::TcpStream,
    process::Command,
    time::{Duration, Instant},
};

/// An answer: status, head (as sent, and lower-cased to look for a header) and body.
struct Answer {
    status: u16,
    raw_head: String,
    head: String,
    body: String,
}

/// One request over its own HTTP/1.1 connection: `head_lines` are extra header lines.
fn http(port: u16, method: &str, path: &str, head_lines: &[&str], body: &str) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for line in head_lines {
        request.push_str(line);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head[9..12].parse().expect("a status");
    Answer {
        status,
        raw_head: head.to_string(),
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    }
}

fn get(port: u16, path: &str, head_lines: &[&str]) -> Answer {
    http(port, "GET", path, head_lines, "")
}

/// A consent form posted as the site's own script posts it (or, with `Accept: text/html`
/// among `head_lines`, as a browser without JavaScript does).
fn save(port: u16, form: &str, head_lines: &[&str]) -> Answer {
    let origin = format!("Origin: http://127.0.0.1:{port}");
    let mut lines = vec![
        origin.as_str(),
        "Content-Type: application/x-www-form-urlencoded",
    ];
    lines.extend_from_slice(head_lines);
    http(port, "POST", "/api/consent", &lines, form)
}

/// The consent cookie an answer set, as a `Cookie` header sends it back.
fn cookie_of(answer: &Answer) -> String {
    let start = answer
        .head
        .find("set-cookie: lf_cookie_consent=")
        .expect("a consent cookie");
    let value = &answer.raw_head[start + "set-cookie: ".len()..];
    value.split(';').next().unwrap().to_string()
}

/// The id of the decision an answer saved.
fn saved_id(answer: &Answer) -> String {
    let body: Value = serde_json::from_str(&answer.body).expect("JSON");
    body["id"].as_str().unwrap().to_string()
}

/// The binary with `args` on the consent log at `database`, run to its end; its stdout.
fn leadistry(args: &[&str], database: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_leadistry"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("DATABASE_URL", database)
        .env("RUST_LOG", "error")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A server on `database` with an operator listener on a port of its own; its ports.
fn operator_server(database: &str, env: &[(&str, &str)]) -> (Running, u16, u16) {
    let (port, operator) = (free_port(), free_port());
    let mut command = server_on(port, database);
    command.env("LEADISTRY_OPERATOR_ADDR", format!("127.0.0.1:{operator}"));
    command.envs(env.iter().copied());
    (start(command, port), port, operator)
}

/// SIGTERM, and the exit that follows it (the counters are flushed on the way out).
fn stop(mut server: Running) {
    let pid = server.0.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.0.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The headers of a browser's navigation to a page.
const DOCUMENT: &str = "Sec-Fetch-Dest: document";

/// The known sequence: 3 Accept and 2 Reject from the banner, a custom save from the settings
/// with analytics off, an Accept without JavaScript, a withdrawal of an earlier Accept and a
/// new Accept after it (settings), 4 pages where GPC decided, 10 banner pages to a browser's
/// navigation and 5 to anything else, and pages to decided visitors (not counted). Returns
/// the ids of the first Accept, the withdrawal and the new Accept.
fn known_sequence(port: u16) -> [String; 3] {
    let mut accepts = Vec::new();
    for _ in 0..3 {
        let answer = save(port, "choice=accept&source=banner", &[]);
        assert_eq!(answer.status, 200, "{}", answer.body);
        accepts.push(answer);
    }
    for _ in 0..2 {
        assert_eq!(save(port, "choice=reject&source=banner", &[]).status, 200);
    }
    assert_eq!(save(port, "choice=save&source=settings", &[]).status, 200);
    let plain = save(port, "choice=accept&source=banner", &["Accept: text/html"]);
    assert_eq!(plain.status, 303, "{}", plain.body);

    let cookie = format!("Cookie: {}", cookie_of(&accepts[0]));
    let withdrawal = save(port, "choice=reject&source=settings", &[&cookie]);
    assert_eq!(withdrawal.status, 200, "{}", withdrawal.body);
    let cookie = format!("Cookie: {}", cookie_of(&withdrawal));
    let again = save(port, "choice=accept&source=settings", &[&cookie]);
    assert_eq!(again.status, 200, "{}", again.body);

    for _ in 0..4 {
        assert_eq!(get(port, "/", &[DOCUMENT, "Sec-GPC: 1"]).status, 200);
    }
    for _ in 0..10 {
        assert_eq!(get(port, "/", &[DOCUMENT]).status, 200);
    }
    for _ in 0..5 {
        assert_eq!(get(port, "/", &[]).status, 200);
    }
    // A decided visitor's pages, with and without the signal: the banner does not ask.
    assert_eq!(get(port, "/", &[DOCUMENT, &cookie]).status, 200);
    assert_eq!(
        get(port, "/", &[DOCUMENT, "Sec-GPC: 1", &cookie]).status,
        200
    );
    [
        saved_id(&accepts[0]),
        saved_id(&withdrawal),
        saved_id(&again),
    ]
}

/// What the known sequence gives.
fn expected_total() -> Value {
    json!({
        "decisions": 9, "granted": 5, "denied": 4,
        "banner": 5, "settings": 3, "form": 1,
        "opt_in_rate": 0.5556,
        "impressions": 10, "interaction_rate": 0.9,
        "gpc_pages": 4,
        "withdrawn": 1, "regranted": 1,
        "refused": { "rate_limit": 0, "queue_full": 0, "store_failure": 0 }
    })
}

/// The key the servers of one database share (PostgreSQL asks for it).
const KEY: [(&str, &str); 1] = [(
    "LEADISTRY_CONSENT_KEY",
    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
)];

fn the_known_sequence_gives_the_expected_figures(database: &str) {
    let (server, port, operator) = operator_server(database, &KEY);
    let [first, withdrawal, again] = known_sequence(port);

    let live = get(operator, "/stats.json", &[]);
    assert_eq!(live.status, 200, "{}", live.body);
    let live: Value = serde_json::from_str(&live.body).unwrap();
    assert_eq!(live["by"], "day");
    assert_eq!(live["total"], expected_total(), "{live:#}");

    // The days the decisions fell on, from their receipts (no second reading of the clock:
    // a run may cross midnight UTC), hold all nine.
    let export = leadistry(&["export", "--format", "jsonl"], database);
    let receipts: Vec<Value> = export
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let mut days: Vec<String> = receipts
        .iter()
        .map(|r| leadistry::date::utc_date(r["decided_at"].as_u64().unwrap()))
        .collect();
    days.sort();
    days.dedup();
    let rows: Vec<&Value> = live["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| days.contains(&row["period"].as_str().unwrap().to_string()))
        .collect();
    let decisions: i64 = rows
        .iter()
        .map(|row| row["decisions"].as_i64().unwrap())
        .sum();
    assert_eq!(decisions, 9, "{live:#}");

    stop(server);
    let stats: Value =
        serde_json::from_str(&leadistry(&["stats", "--format", "json"], database)).expect("JSON");
    assert_eq!(stats["total"], expected_total(), "{stats:#}");
    assert_eq!(stats["since"], Value::Null);
    let periods: Vec<&str> = stats["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, days, "{stats:#}");
    assert_eq!(
        stats["rows"].as_array().unwrap().iter().collect::<Vec<_>>(),
        rows
    );

    // The history: each later decision names the one it replaced.
    assert_eq!(receipts.len(), 9);
    let replaced = |id: &str| {
        let receipt = receipts.iter().find(|r| r["consent_id"] == id).unwrap();
        receipt["replaces"].as_str().unwrap().to_string()
    };
    assert_eq!(replaced(&withdrawal), first);
    assert_eq!(replaced(&again), withdrawal);
    assert_eq!(replaced(&first), "");
    let firsts = receipts.iter().filter(|r| r["replaces"] == "").count();
    assert_eq!(firsts, 7, "only the two later decisions replace one");
}

#[test]
fn the_known_sequence_gives_the_expected_figures_on_sqlite() {
    the_known_sequence_gives_the_expected_figures(&sqlite_url("operator-sequence"));
}

#[test]
fn the_known_sequence_gives_the_expected_figures_on_postgres() {
    let Some(database) = common::postgres_schema("operator_sequence") else {
        return;
    };
    the_known_sequence_gives_the_expected_figures(&database);
}

#[test]
fn two_instances_on_one_postgres_add_up_their_counters() {
    let Some(database) = common::postgres_schema("operator_two") else {
        return;
    };
    let (one, one_port, _) = operator_server(&database, &KEY);
    let (two, two_port, _) = operator_server(&database, &KEY);
    for _ in 0..3 {
        get(one_port, "/", &[DOCUMENT]);
    }
    for _ in 0..4 {
        get(two_port, "/", &[DOCUMENT]);
        get(two_port, "/", &[DOCUMENT, "Sec-GPC: 1"]);
    }
    stop(one);
    stop(two);
    let stats: Value =
        serde_json::from_str(&leadistry(&["stats", "--format", "json"], &database)).unwrap();
    assert_eq!(stats["total"]["impressions"], 7, "{stats:#}");
    assert_eq!(stats["total"]["gpc_pages"], 4, "{stats:#}");
    assert_eq!(stats["total"]["decisions"], 0);
    assert_eq!(stats["total"]["opt_in_rate"], Value::Null, "no NaN");
}

const OPERATOR_PATHS: [&str; 5] = ["/metrics", "/healthz", "/readyz", "/stats", "/stats.json"];

#[test]
fn the_operator_paths_answer_on_the_operator_address_only() {
    let database = sqlite_url("operator-paths");
    let (_server, port, operator) = operator_server(&database, &[]);
    assert_eq!(save(port, "choice=accept&source=banner", &[]).status, 200);
    for _ in 0..2 {
        assert_eq!(get(port, "/", &[]).status, 200);
    }
    for path in OPERATOR_PATHS {
        assert_eq!(get(port, path, &[]).status, 404, "public {path}");
        let answer = get(operator, path, &[]);
        assert_eq!(answer.status, 200, "operator {path}: {}", answer.body);
    }
    let metrics = get(operator, "/metrics", &[]).body;
    for line in [
        "leadistry_http_requests_total{route=\"/api/consent\",status=\"200\"} 1\n",
        "leadistry_http_requests_total{route=\"unmatched\",status=\"404\"} 5\n",
        "leadistry_consent_saves_total{choice=\"granted\",method=\"banner\"} 1\n",
        "leadistry_receipt_write_seconds_count 1\n",
        "leadistry_receipt_queue_depth 0\n",
        "leadistry_open_connections ",
        // The second `/` came from the render cache.
        "leadistry_render_cache_total{class=\"undecided\",result=\"miss\"} 1\n",
        "leadistry_render_cache_total{class=\"undecided\",result=\"hit\"} 1\n",
        "leadistry_render_cache_bytes ",
    ] {
        assert!(metrics.contains(line), "{line} in:\n{metrics}");
    }
    let page = get(operator, "/stats", &[]);
    assert!(page.head.contains("content-type: text/html"));
    assert!(page
        .head
        .contains("content-security-policy: default-src 'none'"));
    assert!(page.body.contains("<svg") && page.body.contains("<table"));
    assert!(
        !page.body.contains("<script"),
        "no script on the stats page"
    );
    assert_eq!(get(operator, "/healthz", &[]).body, "ok\n");
}

#[test]
fn an_operator_address_off_loopback_needs_a_token_and_the_token_is_asked_for() {
    // Free ports, and a deadline: were the server to start, it would fail here, not hang.
    let database = sqlite_url("operator-exposed");
    let mut command = server_on(free_port(), &database);
    command
        .env(
            "LEADISTRY_OPERATOR_ADDR",
            format!("0.0.0.0:{}", free_port()),
        )
        .env("LEADISTRY_OPERATOR_TOKEN", "")
        .env("RUST_LOG", "info");
    let output = exits_within(command, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("operator-token"), "{stderr}");

    let token = "s3cret-operator-token-0123456789";
    let env = [("LEADISTRY_OPERATOR_TOKEN", token)];
    let database = sqlite_url("operator-token");
    let (_server, _, operator) = operator_server(&database, &env);
    let bearer = format!("Authorization: Bearer {token}");
    let wrong = "Authorization: Bearer s3cret-operator-token-0123456788";
    // A browser's login: any user, the token as the password.
    let basic = {
        use base64::Engine;
        let pair = format!("operator:{token}");
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        format!("Authorization: Basic {encoded}")
    };
    for path in ["/metrics", "/stats", "/stats.json"] {
        let refused = get(operator, path, &[]);
        assert_eq!(refused.status, 401, "{path}");
        assert!(refused.head.contains("www-authenticate: bearer"), "{path}");
        assert!(refused.head.contains("www-authenticate: basic"), "{path}");
        assert_eq!(get(operator, path, &[wrong]).status, 401, "{path}");
        assert_eq!(get(operator, path, &[&bearer]).status, 200, "{path}");
        assert_eq!(get(operator, path, &[&basic]).status, 200, "{path}");
    }
    // A load balancer asks without the token.
    assert_eq!(get(operator, "/healthz", &[]).status, 200);
    assert_eq!(get(operator, "/readyz", &[]).status, 200);
}

#[test]
fn readyz_says_503_while_the_log_cannot_be_written_and_refusals_are_counted() {
    let database = sqlite_url("operator-ready");
    let env = [
        ("LEADISTRY_SAVES_BURST", "3"),
        ("LEADISTRY_SAVES_PER_MINUTE", "1"),
        ("LEADISTRY_RECEIPT_QUEUE", "1"),
    ];
    let (server, port, operator) = operator_server(&database, &env);
    assert_eq!(get(operator, "/readyz", &[]).status, 200);
    assert_eq!(save(port, "choice=accept&source=banner", &[]).status, 200);

    // Another process holds the log's write lock: writes wait, then fail.
    let file = database
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap();
    let mut lock = block_on(async {
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&format!("sqlite://{file}"))
            .await
            .unwrap();
        sqlx::raw_sql("BEGIN EXCLUSIVE")
            .execute(&mut connection)
            .await
            .unwrap();
        connection
    });
    let waiting = std::thread::spawn(move || save(port, "choice=reject&source=banner", &[]));
    std::thread::sleep(Duration::from_millis(500));
    let full = save(port, "choice=reject&source=banner", &[]);
    assert_eq!(full.status, 503, "the queue is full: {}", full.body);
    let started = Instant::now();
    assert_eq!(get(operator, "/readyz", &[]).status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "readyz answers in time"
    );
    assert_eq!(
        waiting.join().unwrap().status,
        503,
        "the log failed the write"
    );
    let started = Instant::now();
    assert_eq!(get(operator, "/readyz", &[]).status, 503, "still locked");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "readyz answers in time"
    );
    block_on(async {
        sqlx::raw_sql("ROLLBACK").execute(&mut lock).await.unwrap();
    });
    drop(lock);
    // The last probe's answer stands for a second.
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get(operator, "/readyz", &[]).status, 200, "writable again");
    assert_eq!(save(port, "choice=accept&source=banner", &[]).status, 429);

    let stats: Value = serde_json::from_str(&get(operator, "/stats.json", &[]).body).unwrap();
    let refused = json!({ "rate_limit": 1, "queue_full": 1, "store_failure": 1 });
    assert_eq!(stats["total"]["refused"], refused, "{stats:#}");
    assert_eq!(stats["total"]["decisions"], 1);
    let metrics = get(operator, "/metrics", &[]).body;
    for reason in ["rate_limit", "queue_full", "store_failure"] {
        let line = format!("leadistry_consent_refused_total{{reason=\"{reason}\"}} 1\n");
        assert!(metrics.contains(&line), "{line} in:\n{metrics}");
    }
    stop(server);
}

/// A log written before this version (the first migration's table, with receipts and no
/// migrations table): connecting migrates it, and its receipts are in the figures.
fn an_existing_log_is_migrated_with_its_figures(database: &str) {
    use leadistry::{
        receipts::Store,
        stats::{self, By, Days},
    };
    let day = 20_000_i64;
    block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(database).await.expect("the log");
        sqlx::raw_sql(include_str!(
            "../migrations/20261129000001_consent_receipts.sql"
        ))
        .execute(&pool)
        .await
        .unwrap();
        let granted = r#"{"analytics":"granted","essential":"granted"}"#;
        let denied = r#"{"analytics":"denied","essential":"granted"}"#;
        for (i, (at, choices)) in [(0, granted), (60, granted), (86_400, denied)]
            .into_iter()
            .enumerate()
        {
            sqlx::query(
                "INSERT INTO consent_receipts (consent_id, decided_at, policy_revision, \
                 policy_fingerprint, choices, method) VALUES ($1, $2, 1, 'f', $3, 'banner')",
            )
            .bind(format!("00000000-0000-4000-8000-{i:012}"))
            .bind(day * 86_400 + at)
            .bind(choices)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;

        let store = Store::connect(database).await.expect("migrates");
        let figures = stats::read(
            &store,
            Days {
                since: day,
                until: day + 2,
            },
            By::Day,
        )
        .await
        .unwrap();
        let per_day: Vec<(u64, u64)> = figures
            .rows
            .iter()
            .map(|row| (row.figures.granted, row.figures.denied))
            .collect();
        assert_eq!(per_day, [(2, 0), (0, 1)]);
        let receipts = store.export(0, i64::MAX).await.unwrap();
        assert_eq!(receipts.len(), 3);
        assert!(receipts.iter().all(|r| r.replaces.is_empty()));

        // The figures are counts, not proof: they outlive a prune of the receipts.
        assert_eq!(store.prune((day + 2) * 86_400).await.unwrap(), 3);
        let after = stats::read(
            &store,
            Days {
                since: day,
                until: day + 2,
            },
            By::Day,
        )
        .await
        .unwrap();
        assert_eq!(after.total, figures.total);
        store.close().await;
    });
}

#[test]
fn an_existing_log_is_migrated_with_its_figures_on_sqlite() {
    an_existing_log_is_migrated_with_its_figures(&sqlite_url("operator-migrated"));
}

#[test]
fn an_existing_log_is_migrated_with_its_figures_on_postgres() {
    let Some(database) = common::postgres_schema("operator_migrated") else {
        return;
    };
    an_existing_log_is_migrated_with_its_figures(&database);
}
