//! Consent receipts: proof of every decision (GDPR Art. 7(1)), appended before the visitor is
//! told it was saved. SQLite by default; PostgreSQL for several instances of the site.

use crate::catalog::{Category, CATALOG};
use crate::consent::decision::Decision;
use crate::wording::WORDING;
use futures_util::{future::BoxFuture, Stream, StreamExt, TryStreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{
    any::{AnyPoolOptions, AnyRow},
    sqlite::SqliteConnectOptions,
    AnyConnection, AnyPool, Connection, Row,
};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// One decision as the log keeps it: no IP address, no user agent, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Receipt {
    pub consent_id: String,
    /// Unix seconds.
    pub decided_at: i64,
    pub policy_revision: i64,
    /// SHA-256 of the cookie catalog and the wording the visitor was shown.
    pub policy_fingerprint: String,
    /// The choice per category, e.g. `{"analytics":"denied","essential":"granted"}`.
    pub choices: String,
    /// `banner`, `settings` or `form`.
    pub method: String,
    /// The consent id of the decision this one replaces (the visitor's earlier decision that
    /// still counted), or empty for a first decision.
    pub replaces: String,
}

impl Receipt {
    /// The receipt of `decision`, made by a visitor whose earlier decision `replaced` still
    /// counted, if there was one.
    pub fn of(decision: &Decision, fingerprint: &str, replaced: Option<&Decision>) -> Self {
        let choices: serde_json::Map<String, serde_json::Value> = CATALOG
            .iter()
            .map(|c| {
                let granted = match c.category {
                    Category::Essential => true,
                    Category::Analytics => decision.analytics,
                };
                let value = if granted { "granted" } else { "denied" };
                (c.category.key().to_string(), value.into())
            })
            .collect();
        Self {
            consent_id: decision.id.to_string(),
            decided_at: decision.decided_at as i64,
            policy_revision: i64::from(decision.revision),
            policy_fingerprint: fingerprint.to_string(),
            choices: serde_json::Value::Object(choices).to_string(),
            method: decision.method.label().to_string(),
            replaces: replaced.map(|d| d.id.to_string()).unwrap_or_default(),
        }
    }

    /// Whether it grants analytics, as its choices say.
    pub fn grants_analytics(&self) -> bool {
        grants_analytics(&self.choices)
    }
}

/// Whether receipt choices grant analytics: the test the migration's backfill makes with
/// `LIKE '%"analytics":"granted"%'`.
fn grants_analytics(choices: &str) -> bool {
    choices.contains(r#""analytics":"granted""#)
}

/// The fingerprint of the policy as shown: SHA-256 of the cookie catalog and of every
/// sentence and label of the consent controls, as JSON (so a field added to either is
/// covered without a change here).
pub fn policy_fingerprint() -> String {
    fingerprint_of(&serde_json::json!({ "catalog": CATALOG, "wording": WORDING }))
}

fn fingerprint_of(policy: &serde_json::Value) -> String {
    let hash = Sha256::digest(policy.to_string().as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("consent log: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Reading a SQLite log with SQLite's own library (`Store::receipts`).
    #[error("consent log: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The task that ran a write ended before it (a panic, or the runtime shutting down).
    #[error("consent log: the write did not finish: {0}")]
    Stopped(#[from] tokio::task::JoinError),
    /// The readiness probe's write succeeded, but a connection of its own does not see it.
    #[error(
        "consent log: a write acknowledged on the pool is not in the log \
         (another connection reads {read:?}, not {wrote}): saves would be answered but not kept"
    )]
    Unkept { wrote: i64, read: Option<i64> },
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Sqlx(error.into())
    }
}

/// The log and the fingerprint of the policy this server shows, as server functions use them.
#[derive(Clone, Debug)]
pub struct ConsentLog {
    pub store: Store,
    pub fingerprint: std::sync::Arc<str>,
    /// Receipt writes under way or waiting: a flood is refused at once, not queued for ever.
    queue: std::sync::Arc<tokio::sync::Semaphore>,
    /// The last readiness probe: when, and whether the write succeeded. One probe at a time.
    probed: std::sync::Arc<tokio::sync::Mutex<Option<(Instant, bool)>>>,
}

/// How long a readiness probe's answer is reused: a flood of `/readyz` makes one write a
/// second, not one each.
const PROBE_REUSED_FOR: Duration = Duration::from_secs(1);

/// Why a decision was not recorded (and so not saved).
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the consent log is busy: too many writes are waiting")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConsentLog {
    /// `queue`: how many receipt writes may be under way or waiting at once.
    pub fn new(store: Store, queue: usize) -> Self {
        Self {
            store,
            fingerprint: policy_fingerprint().into(),
            queue: std::sync::Arc::new(tokio::sync::Semaphore::new(queue)),
            probed: std::sync::Arc::default(),
        }
    }

    /// Appends the receipt of a decision (made by a visitor whose earlier decision
    /// `replaced` still counted); it is durable when this returns `Ok`. The write runs to its
    /// end on a task of its own, holding its place in the queue, even if the request that
    /// asked for it is dropped.
    pub async fn record(
        &self,
        decision: &Decision,
        replaced: Option<&Decision>,
    ) -> Result<(), RecordError> {
        let place = self
            .queue
            .clone()
            .try_acquire_owned()
            .map_err(|_| RecordError::Busy)?;
        let receipt = Receipt::of(decision, &self.fingerprint, replaced);
        let store = self.store.clone();
        let write = tokio::spawn(async move {
            let _place = place;
            let _measured = Measured::start();
            store.append(&receipt).await
        });
        write.await.map_err(StoreError::from)??;
        Ok(())
    }

    /// Whether the log takes writes now: room in the receipt queue, and a write that
    /// succeeded within `within` and that a connection of its own reads back (the last
    /// second's answer is reused). A log that acknowledges a write it does not keep is logged
    /// as an error and counted in `leadistry_consent_log_unkept_total`.
    pub async fn takes_writes(&self, within: Duration) -> bool {
        if self.queue.available_permits() == 0 {
            return false;
        }
        let mut probed = self.probed.lock().await;
        if let Some((at, ready)) = *probed {
            if at.elapsed() < PROBE_REUSED_FOR {
                return ready;
            }
        }
        let ready = match tokio::time::timeout(within, self.store.probe()).await {
            Ok(Ok(())) => true,
            Ok(Err(error @ StoreError::Unkept { .. })) => {
                metrics::counter!("leadistry_consent_log_unkept_total").increment(1);
                tracing::error!(%error, "readiness probe");
                false
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "readiness probe: the consent log does not take writes");
                false
            }
            Err(_) => false,
        };
        *probed = Some((Instant::now(), ready));
        ready
    }

    /// Warns when the catalog or the wording changed but the policy revision did not.
    pub async fn check_revision(&self, revision: u32) {
        match self.store.newest_fingerprint(revision).await {
            Ok(Some(stored)) if *stored != *self.fingerprint => tracing::warn!(
                revision,
                stored = %stored,
                current = %self.fingerprint,
                "the cookie catalog or the consent wording changed but policy-revision did not: \
                 raise it so that visitors are asked again"
            ),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not compare the policy fingerprint"),
        }
    }
}

/// A receipt write under way, for `/metrics`: the queue's depth while it lasts, and its time
/// when it ends, even if the request that made it is dropped.
struct Measured(Instant);

impl Measured {
    fn start() -> Self {
        metrics::gauge!("leadistry_receipt_queue_depth").increment(1.0);
        Self(Instant::now())
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        metrics::gauge!("leadistry_receipt_queue_depth").decrement(1.0);
        metrics::histogram!("leadistry_receipt_write_seconds").record(self.0.elapsed());
    }
}

/// The consent log.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// Where the log is, for the connections made outside the pool (migrations, prune, the
    /// readiness probe's read-back).
    url: std::sync::Arc<str>,
    sqlite: bool,
    /// A SQLite log's file, which export reads with SQLite's own library (`receipts`).
    sqlite_file: Option<PathBuf>,
    /// This store's row in `consent_log_health`: instances on one database probe apart.
    instance: i64,
}

impl Store {
    /// Connects (creating a SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        if sqlite {
            create_parent_folder(url);
        }
        let pool = AnyPoolOptions::new()
            // SQLite has one writer: one connection queues writes instead of failing them.
            .max_connections(if sqlite { 1 } else { 10 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| Box::pin(prepare(conn, sqlite)))
            .connect(url)
            .await?;
        // A log in memory has no file (sqlx names it nonetheless): it is seen only through
        // the pool's one connection.
        let sqlite_file = match sqlite {
            true => Some(
                url.parse::<SqliteConnectOptions>()?
                    .get_filename()
                    .to_owned(),
            )
            .filter(|file| file.is_file()),
            false => None,
        };
        let store = Self {
            pool,
            url: url.into(),
            sqlite,
            sqlite_file,
            instance: i64::from_ne_bytes(getrandom::u64().unwrap_or_default().to_ne_bytes()),
        };
        if store.in_memory() {
            sqlx::migrate!().run(&store.pool).await?;
        } else {
            // On a connection of its own, closed after: a migration that fails half-way
            // leaves no connection in the pool in a state nobody knows.
            let mut connection = store.connection_of_its_own().await?;
            let migrated = sqlx::migrate!().run(&mut connection).await;
            let _ = connection.close().await;
            migrated?;
        }
        Ok(store)
    }

    /// A SQLite log in memory: only the pool's one connection sees it.
    fn in_memory(&self) -> bool {
        self.sqlite && self.sqlite_file.is_none()
    }

    /// A connection outside the pool, prepared as the pool's are.
    async fn connection_of_its_own(&self) -> Result<AnyConnection, sqlx::Error> {
        let mut connection = AnyConnection::connect(&self.url).await?;
        prepare(&mut connection, self.sqlite).await?;
        Ok(connection)
    }

    /// Runs `statements` in one transaction on a connection of the pool, to its end on a task
    /// of its own (a dropped caller does not cut it short). When anything fails (a statement,
    /// `COMMIT`, or the `ROLLBACK` after it), the connection is closed instead of going back
    /// to the pool: after a failed `COMMIT` SQLite may have rolled back by itself while sqlx
    /// still counts a transaction open, and every later transaction on that connection was
    /// then a savepoint inside one that never commits (`tests/faults.rs`).
    async fn write<T: Send + 'static>(
        &self,
        statements: impl for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>>
            + Send
            + 'static,
    ) -> Result<T, StoreError> {
        let pool = self.pool.clone();
        let task = tokio::spawn(async move {
            let mut connection = pool.acquire().await.map_err(StoreError::from)?;
            let written: Result<T, sqlx::Error> = async {
                let mut transaction = connection.begin().await?;
                let value = statements(&mut transaction).await?;
                transaction.commit().await?;
                Ok(value)
            }
            .await;
            if written.is_err() {
                let _ = connection.close().await;
            }
            written.map_err(StoreError::from)
        });
        task.await?
    }

    /// Appends one receipt, and counts it in its day's figures in the same transaction;
    /// it is durable when this returns `Ok`.
    pub async fn append(&self, receipt: &Receipt) -> Result<(), StoreError> {
        let receipt = receipt.clone();
        self.write(move |connection| Box::pin(insert(connection, receipt)))
            .await
    }

    /// The figures of each day in `[since_day, until_day)` (days since the Unix epoch).
    pub async fn daily(&self, since_day: i64, until_day: i64) -> Result<Vec<Daily>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, policy_revision, method, analytics, CAST(SUM(decisions) AS BIGINT), \
             CAST(SUM(withdrawn) AS BIGINT), CAST(SUM(regranted) AS BIGINT) FROM consent_daily \
             WHERE day >= $1 AND day < $2 GROUP BY day, policy_revision, method, analytics",
        )
        .bind(since_day)
        .bind(until_day)
        .fetch_all(&self.pool)
        .await?;
        let daily = |row: &AnyRow| -> Result<Daily, sqlx::Error> {
            Ok(Daily {
                day: row.try_get(0)?,
                revision: row.try_get(1)?,
                method: row.try_get(2)?,
                analytics: row.try_get::<i64, _>(3)? != 0,
                decisions: row.try_get(4)?,
                withdrawn: row.try_get(5)?,
                regranted: row.try_get(6)?,
            })
        };
        Ok(rows.iter().map(daily).collect::<Result<_, _>>()?)
    }

    /// The counters of each day in `[since_day, until_day)`, all instances added up.
    pub async fn counters(
        &self,
        since_day: i64,
        until_day: i64,
    ) -> Result<Vec<Counted>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, policy_revision, name, value FROM consent_counters \
             WHERE day >= $1 AND day < $2",
        )
        .bind(since_day)
        .bind(until_day)
        .fetch_all(&self.pool)
        .await?;
        let counted = |row: &AnyRow| -> Result<Counted, sqlx::Error> {
            Ok(Counted {
                day: row.try_get(0)?,
                revision: row.try_get(1)?,
                name: row.try_get(2)?,
                value: row.try_get(3)?,
            })
        };
        Ok(rows.iter().map(counted).collect::<Result<_, _>>()?)
    }

    /// Adds counts to the counters, all or none.
    pub async fn add_counters(&self, counts: &[Counted]) -> Result<(), StoreError> {
        // In one order everywhere: two instances adding at once never wait on each other's rows
        // in opposite orders (a deadlock on PostgreSQL).
        let mut counts = counts.to_vec();
        counts.sort_by(|a, b| (a.day, a.revision, &a.name).cmp(&(b.day, b.revision, &b.name)));
        self.write(move |connection| {
            Box::pin(async move {
                for count in counts {
                    sqlx::query(
                        "INSERT INTO consent_counters (day, policy_revision, name, value) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (day, policy_revision, name) \
                         DO UPDATE SET value = consent_counters.value + excluded.value",
                    )
                    .bind(count.day)
                    .bind(count.revision)
                    .bind(count.name)
                    .bind(count.value)
                    .execute(&mut *connection)
                    .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Whether the log keeps what it acknowledges: a write on the pool (this instance's row of
    /// `consent_log_health`, a new token, and rows no instance has written for a day
    /// deleted), read back on a connection of its own, which sees only what was committed.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let now = crate::date::now() as i64;
        let token = i64::from_ne_bytes(getrandom::u64().unwrap_or_default().to_ne_bytes());
        let instance = self.instance;
        self.write(move |connection| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO consent_log_health (id, checked_at, token) VALUES ($1, $2, $3) \
                     ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at, \
                     token = excluded.token",
                )
                .bind(instance)
                .bind(now)
                .bind(token)
                .execute(&mut *connection)
                .await?;
                sqlx::query("DELETE FROM consent_log_health WHERE checked_at < $1")
                    .bind(now - DAY)
                    .execute(&mut *connection)
                    .await?;
                Ok(())
            })
        })
        .await?;
        const READ: &str = "SELECT token FROM consent_log_health WHERE id = $1";
        let read: Option<i64> = if self.in_memory() {
            sqlx::query_scalar(READ)
                .bind(instance)
                .fetch_optional(&self.pool)
                .await?
        } else {
            let mut fresh = self.connection_of_its_own().await?;
            let read = sqlx::query_scalar(READ)
                .bind(instance)
                .fetch_optional(&mut fresh)
                .await;
            let _ = fresh.close().await;
            read?
        };
        match read == Some(token) {
            true => Ok(()),
            false => Err(StoreError::Unkept { wrote: token, read }),
        }
    }

    /// Receipts decided in `[since, until)`, oldest first, as the database hands them over:
    /// nothing is held but the row being read, whatever the size of the log.
    ///
    /// A SQLite file is read with SQLite's own library on a thread of its own: sqlx's driver
    /// hands each row over from its worker thread on its own, at five times SQLite's time.
    pub fn receipts(
        &self,
        since: i64,
        until: i64,
    ) -> impl Stream<Item = Result<Receipt, StoreError>> + Send + '_ {
        // Through the decided_at index; SQLite sorts only the receipts of one second by id.
        const SELECT: &str = "SELECT consent_id, decided_at, policy_revision, \
            policy_fingerprint, choices, method, replaces FROM consent_receipts \
            WHERE decided_at >= $1 AND decided_at < $2 ORDER BY decided_at, consent_id";
        match &self.sqlite_file {
            Some(file) => sqlite_receipts(file.clone(), SELECT, since, until).boxed(),
            None => sqlx::query_as(SELECT)
                .bind(since)
                .bind(until)
                .fetch(&self.pool)
                .map_err(StoreError::from)
                .boxed(),
        }
    }

    /// Receipts decided in `[since, until)`, oldest first, collected: for small ranges; the
    /// `export` command streams them with [`Store::receipts`].
    pub async fn export(&self, since: i64, until: i64) -> Result<Vec<Receipt>, StoreError> {
        self.receipts(since, until).try_collect().await
    }

    /// Deletes receipts decided before `before`; returns how many. In batches, as
    /// [`Store::prune_in_batches`] with [`PRUNE_BATCH`].
    pub async fn prune(&self, before: i64) -> Result<u64, StoreError> {
        self.prune_in_batches(before, PRUNE_BATCH, |_| {}).await
    }

    /// Deletes receipts decided before `before`, oldest first, in batches of at most `batch`
    /// (and the rest of the last batch's second), each batch a statement of its own; returns
    /// how many, and tells `progress` the count so far after each batch.
    ///
    /// A batch holds SQLite's one write lock while it runs: batches are made smaller while
    /// one takes longer than [`PRUNE_BATCH_TIME`], larger (up to `batch`) while one takes less
    /// than half of it, and between two batches it waits as long as the last one took, so
    /// that the server's saves get the log at least half the time. Stopped at any point, it
    /// leaves whole batches deleted and the rest as it was; run again, it goes on.
    pub async fn prune_in_batches(
        &self,
        before: i64,
        batch: u32,
        progress: impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        if self.in_memory() {
            let mut connection = self.pool.acquire().await?;
            return prune_batches(&mut connection, before, batch, progress).await;
        }
        // On a connection of its own, closed after: its settings and anything a failed batch
        // leaves behind never reach the pool's connections, which write receipts.
        let mut connection = self.connection_of_its_own().await?;
        // A batch's commit need not reach the disk before the next save may write: one lost
        // to a crash is deleted again by the next run. Without its own fsync (SQLite's
        // `synchronous = NORMAL` in WAL mode) a batch holds the one write lock for less time.
        if self.sqlite {
            sqlx::query("PRAGMA synchronous = NORMAL")
                .execute(&mut connection)
                .await?;
        }
        let pruned = prune_batches(&mut connection, before, batch, progress).await;
        let _ = connection.close().await;
        pruned
    }

    /// The fingerprint stored with the newest receipt of a revision.
    pub async fn newest_fingerprint(&self, revision: u32) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT policy_fingerprint FROM consent_receipts WHERE policy_revision = $1 \
             ORDER BY decided_at DESC LIMIT 1",
        )
        .bind(i64::from(revision))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The batches of [`Store::prune_in_batches`], each a statement of its own on `connection`.
async fn prune_batches(
    connection: &mut AnyConnection,
    before: i64,
    batch: u32,
    mut progress: impl FnMut(u64),
) -> Result<u64, StoreError> {
    let batch = batch.max(1);
    let smallest = batch.min(PRUNE_BATCH_SMALLEST);
    let mut size = batch.min(PRUNE_BATCH_FIRST);
    // Everything before `from` is already deleted: each batch starts where the last
    // ended, without walking again through what it deleted (PostgreSQL keeps dead
    // entries in its index until vacuum).
    let mut from = i64::MIN;
    let mut deleted = 0;
    loop {
        // The second of the batch-th oldest receipt left, if there are that many.
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT decided_at FROM consent_receipts \
             WHERE decided_at >= $1 AND decided_at < $2 \
             ORDER BY decided_at LIMIT 1 OFFSET $3",
        )
        .bind(from)
        .bind(before)
        .bind(i64::from(size) - 1)
        .fetch_optional(&mut *connection)
        .await?;
        // `last < before`, so `last + 1` cannot overflow.
        let until = last.map_or(before, |last| last + 1);
        let started = Instant::now();
        let done =
            sqlx::query("DELETE FROM consent_receipts WHERE decided_at >= $1 AND decided_at < $2")
                .bind(from)
                .bind(until)
                .execute(&mut *connection)
                .await?;
        deleted += done.rows_affected();
        progress(deleted);
        if last.is_none() {
            return Ok(deleted);
        }
        from = until;
        let took = started.elapsed();
        size = next_batch(size, took, smallest, batch);
        tokio::time::sleep(took.max(Duration::from_millis(1))).await;
    }
}

/// The size of the batch after one of `size` that took `took`: halved (to `smallest` at
/// least) while a batch holds the log longer than [`PRUNE_BATCH_TIME`], doubled (to
/// `largest` at most) while one takes less than half of it.
fn next_batch(size: u32, took: Duration, smallest: u32, largest: u32) -> u32 {
    if took > PRUNE_BATCH_TIME {
        (size / 2).max(smallest)
    } else if took < PRUNE_BATCH_TIME / 2 {
        size.saturating_mul(2).min(largest)
    } else {
        size
    }
}

/// What every connection to a SQLite log sets first.
async fn prepare(connection: &mut AnyConnection, sqlite: bool) -> Result<(), sqlx::Error> {
    if sqlite {
        // A receipt the visitor was told about must survive a crash.
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut *connection)
            .await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// The statements of [`Store::append`], in its transaction.
async fn insert(connection: &mut AnyConnection, receipt: Receipt) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO consent_receipts (consent_id, decided_at, policy_revision, \
             policy_fingerprint, choices, method, replaces) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&receipt.consent_id)
    .bind(receipt.decided_at)
    .bind(receipt.policy_revision)
    .bind(&receipt.policy_fingerprint)
    .bind(&receipt.choices)
    .bind(&receipt.method)
    .bind(&receipt.replaces)
    .execute(&mut *connection)
    .await?;
    // What the replaced decision granted, as its own receipt says (none if pruned).
    let replaced: Option<String> = match receipt.replaces.as_str() {
        "" => None,
        id => {
            sqlx::query_scalar("SELECT choices FROM consent_receipts WHERE consent_id = $1")
                .bind(id)
                .fetch_optional(&mut *connection)
                .await?
        }
    };
    let granted = receipt.grants_analytics();
    let had = replaced.as_deref().map(grants_analytics);
    sqlx::query(
        "INSERT INTO consent_daily (day, policy_revision, method, analytics, slot, \
             decisions, withdrawn, regranted) VALUES ($1, $2, $3, $4, $5, 1, $6, $7) \
             ON CONFLICT (day, policy_revision, method, analytics, slot) DO UPDATE SET \
             decisions = consent_daily.decisions + 1, \
             withdrawn = consent_daily.withdrawn + excluded.withdrawn, \
             regranted = consent_daily.regranted + excluded.regranted",
    )
    .bind(receipt.decided_at.div_euclid(DAY))
    .bind(receipt.policy_revision)
    .bind(&receipt.method)
    .bind(i64::from(granted))
    .bind(slot_of(&receipt.consent_id))
    .bind(i64::from(had == Some(true) && !granted))
    .bind(i64::from(had == Some(false) && granted))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Receipts as `select` reads them from the SQLite file, read by SQLite's own library on a
/// blocking thread and handed over a batch at a time. Dropping the stream stops the reading.
fn sqlite_receipts(
    file: PathBuf,
    select: &'static str,
    since: i64,
    until: i64,
) -> impl Stream<Item = Result<Receipt, StoreError>> + Send + 'static {
    const BATCH: usize = 1024;
    let (sender, batches) = tokio::sync::mpsc::channel::<Result<Vec<Receipt>, StoreError>>(4);
    tokio::task::spawn_blocking(move || {
        use rusqlite::{Connection, OpenFlags};
        let read = || -> Result<(), StoreError> {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let connection = Connection::open_with_flags(&file, flags)?;
            connection.busy_timeout(Duration::from_secs(10))?;
            let mut statement = connection.prepare(select)?;
            let mut rows = statement.query([since, until])?;
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(row) = rows.next()? {
                batch.push(Receipt {
                    consent_id: row.get(0)?,
                    decided_at: row.get(1)?,
                    policy_revision: row.get(2)?,
                    policy_fingerprint: row.get(3)?,
                    choices: row.get(4)?,
                    method: row.get(5)?,
                    replaces: row.get(6)?,
                });
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if sender.blocking_send(Ok(full)).is_err() {
                        return Ok(()); // nobody reads any more
                    }
                }
            }
            if !batch.is_empty() {
                let _ = sender.blocking_send(Ok(batch));
            }
            Ok(())
        };
        if let Err(error) = read() {
            let _ = sender.blocking_send(Err(error));
        }
    });
    futures_util::stream::unfold(batches, |mut batches| async move {
        let batch = batches.recv().await?;
        Some((batch, batches))
    })
    .map_ok(|batch| futures_util::stream::iter(batch.into_iter().map(Ok)))
    .try_flatten()
}

/// The most receipts one batch of [`Store::prune`] deletes.
pub const PRUNE_BATCH: u32 = 5_000;
/// How many the first batch deletes, and the fewest a batch deletes.
const PRUNE_BATCH_FIRST: u32 = 500;
const PRUNE_BATCH_SMALLEST: u32 = 50;
/// How long a batch of [`Store::prune`] may hold the log: what a save may have to wait.
pub const PRUNE_BATCH_TIME: Duration = Duration::from_millis(40);

/// How many rows each day's figure of a kind is spread over: saves from many connections
/// (several instances on PostgreSQL) update different rows instead of queueing for one lock.
const SLOTS: i64 = 8;

/// A receipt's row among its day's `SLOTS`, from its (random) consent id.
fn slot_of(consent_id: &str) -> i64 {
    consent_id
        .get(..2)
        .and_then(|hex| i64::from_str_radix(hex, 16).ok())
        .map_or(0, |n| n % SLOTS)
}

/// Seconds in a UTC day: the figures are kept per day since the Unix epoch.
pub const DAY: i64 = 86_400;

/// One day's decisions of one revision, method and choice of analytics, as counted when
/// their receipts were written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Daily {
    pub day: i64,
    pub revision: i64,
    pub method: String,
    pub analytics: bool,
    pub decisions: i64,
    /// Decisions that denied analytics and replaced one that granted it.
    pub withdrawn: i64,
    /// Decisions that granted analytics and replaced one that denied it.
    pub regranted: i64,
}

/// One day's count of one counter under one revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counted {
    pub day: i64,
    pub revision: i64,
    pub name: String,
    pub value: i64,
}

/// `sqlite://data/x.sqlite?mode=rwc` needs `data/` to exist.
fn create_parent_folder(url: &str) {
    if let Some(folder) = crate::config::keys::sqlite_folder(url) {
        let _ = std::fs::create_dir_all(folder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};

    #[test]
    fn the_fingerprint_changes_with_anything_the_visitor_reads() {
        let policy = serde_json::json!({ "catalog": CATALOG, "wording": WORDING });
        let current = policy_fingerprint();
        assert_eq!(current.len(), 64);
        assert_eq!(current, fingerprint_of(&policy));
        // Every text of the wording and the catalog, edited one at a time.
        fn texts(value: &serde_json::Value, path: String, out: &mut Vec<String>) {
            match value {
                serde_json::Value::String(_) => out.push(path),
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        texts(item, format!("{path}/{i}"), out);
                    }
                }
                serde_json::Value::Object(fields) => {
                    for (key, field) in fields {
                        texts(field, format!("{path}/{key}"), out);
                    }
                }
                _ => {}
            }
        }
        let mut paths = Vec::new();
        texts(&policy, String::new(), &mut paths);
        assert!(paths.len() > 30, "{paths:?}");
        for path in paths {
            let mut edited = policy.clone();
            let text = edited.pointer_mut(&path).unwrap();
            *text = format!("{}!", text.as_str().unwrap()).into();
            assert_ne!(fingerprint_of(&edited), current, "{path}");
        }
    }

    #[test]
    fn a_receipt_holds_the_choices_per_category_and_nothing_else() {
        let decision = Decision {
            revision: 4,
            decided_at: 1_764_390_000,
            id: ConsentId(0xabc),
            analytics: false,
            method: Method::Form,
        };
        let receipt = Receipt::of(&decision, "f00d", None);
        assert_eq!(receipt.consent_id, "00000000-0000-0000-0000-000000000abc");
        assert_eq!(
            receipt.choices,
            r#"{"analytics":"denied","essential":"granted"}"#
        );
        assert_eq!(receipt.method, "form");
        assert_eq!(receipt.policy_revision, 4);
        assert_eq!(receipt.policy_fingerprint, "f00d");
        assert_eq!(receipt.replaces, "");
        assert!(!receipt.grants_analytics());
        let again = Decision {
            analytics: true,
            id: ConsentId(0xdef),
            ..decision.clone()
        };
        let receipt = Receipt::of(&again, "f00d", Some(&decision));
        assert_eq!(receipt.replaces, "00000000-0000-0000-0000-000000000abc");
        assert!(receipt.grants_analytics());
    }

    /// The pool's one connection left inside a transaction that sqlx counts as finished: the
    /// state a failed `COMMIT` left it in before a failed write closed its connection. Every
    /// write on it is then a savepoint in a transaction that never commits.
    async fn leave_a_transaction_open(store: &Store) {
        let mut connection = store.pool.acquire().await.unwrap();
        std::mem::forget(connection.begin().await.unwrap());
    }

    #[test]
    fn the_readiness_probe_sees_a_log_that_acknowledges_without_keeping() {
        let file =
            std::env::temp_dir().join(format!("leadistry-unkept-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&file);
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let metrics = recorder.handle();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        metrics::with_local_recorder(&recorder, || {
            runtime.block_on(async {
                let store = Store::connect(&url).await.unwrap();
                let log = ConsentLog::new(store.clone(), 4);
                assert!(log.takes_writes(Duration::from_secs(2)).await);
                let broken = Instant::now();
                leave_a_transaction_open(&store).await;

                let receipt = Receipt::of(
                    &Decision {
                        revision: 1,
                        decided_at: 1_764_390_000,
                        id: ConsentId(0xabc),
                        analytics: true,
                        method: Method::Banner,
                    },
                    "f00d",
                    None,
                );
                store.append(&receipt).await.expect("acknowledged");
                let kept = store.export(0, i64::MAX).await.unwrap();
                assert!(kept.is_empty(), "the broken connection's write is not kept");
                assert!(matches!(
                    store.probe().await,
                    Err(StoreError::Unkept { .. })
                ));

                // /readyz's answer: not ready within a second (its last answer is reused
                // for a second), and counted.
                while log.takes_writes(Duration::from_secs(2)).await {
                    assert!(broken.elapsed() <= PROBE_REUSED_FOR, "still ready");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                assert!(broken.elapsed() <= PROBE_REUSED_FOR + Duration::from_millis(500));
            })
        });
        assert!(
            metrics
                .render()
                .contains("leadistry_consent_log_unkept_total 1"),
            "{}",
            metrics.render()
        );
        let _ = std::fs::remove_file(&file);
    }

    #[test]
    fn prune_batches_shrink_while_slow_and_grow_while_fast() {
        let (slow, fast, fair) = (PRUNE_BATCH_TIME * 2, PRUNE_BATCH_TIME / 4, PRUNE_BATCH_TIME);
        let mut size = PRUNE_BATCH_FIRST;
        let mut sizes = vec![size];
        for took in [
            fast, fast, fast, fast, fair, slow, slow, slow, slow, slow, slow, slow,
        ] {
            size = next_batch(size, took, PRUNE_BATCH_SMALLEST, PRUNE_BATCH);
            sizes.push(size);
        }
        assert_eq!(
            sizes,
            [500, 1000, 2000, 4000, 5000, 5000, 2500, 1250, 625, 312, 156, 78, 50]
        );
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn temporary_log(name: &str) -> String {
        let file =
            std::env::temp_dir().join(format!("leadistry-{name}-{}.sqlite", std::process::id()));
        let _ = std::fs::remove_file(&file);
        format!("sqlite://{}?mode=rwc", file.display())
    }

    /// A receipt the visitor was told about survives a power cut: the pool's connections
    /// write in WAL mode with `synchronous = FULL`, also after a prune (which runs with
    /// `NORMAL` on a connection of its own) and after a failed write replaced a connection.
    #[test]
    fn the_log_writes_with_synchronous_full_whatever_ran_before() {
        runtime().block_on(async {
            let store = Store::connect(&temporary_log("synchronous")).await.unwrap();
            let settings = |store: Store| async move {
                let mut connection = store.pool.acquire().await.unwrap();
                let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(&mut *connection)
                    .await
                    .unwrap();
                let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(&mut *connection)
                    .await
                    .unwrap();
                (journal, synchronous)
            };
            let full = ("wal".to_string(), 2); // 2: FULL
            assert_eq!(settings(store.clone()).await, full);
            store.prune_in_batches(i64::MAX, 10, |_| {}).await.unwrap();
            assert_eq!(settings(store.clone()).await, full, "after a prune");
            let failed = store
                .write(|connection| {
                    Box::pin(sqlx::query("SELECT nothing FROM nowhere").execute(connection))
                })
                .await;
            assert!(failed.is_err());
            assert_eq!(
                settings(store.clone()).await,
                full,
                "on the connection that replaced a failed one"
            );
        })
    }

    /// `/readyz` however often it is asked: one write a second, and no place in the receipt
    /// queue (a save still finds its place while a probe runs).
    #[test]
    fn the_readiness_probe_writes_at_most_once_a_second_and_takes_no_queue_place() {
        runtime().block_on(async {
            let store = Store::connect(&temporary_log("probe-once")).await.unwrap();
            let log = ConsentLog::new(store.clone(), 1);
            let token = || async {
                let token: i64 =
                    sqlx::query_scalar("SELECT token FROM consent_log_health WHERE id = $1")
                        .bind(store.instance)
                        .fetch_one(&store.pool)
                        .await
                        .unwrap();
                token
            };
            let first_probe = Instant::now();
            assert!(log.takes_writes(Duration::from_secs(2)).await);
            let written = token().await;
            let mut asked = 1;
            while first_probe.elapsed() < PROBE_REUSED_FOR / 2 {
                assert!(log.takes_writes(Duration::from_secs(2)).await);
                asked += 1;
            }
            assert!(asked > 10);
            assert_eq!(
                token().await,
                written,
                "{asked} asks within half a second, one write"
            );
            // Past the second (counted from the end of the first probe), a new write.
            let past = first_probe + PROBE_REUSED_FOR + Duration::from_millis(200);
            tokio::time::sleep_until(past.into()).await;
            assert!(log.takes_writes(Duration::from_secs(2)).await);
            assert_ne!(token().await, written);

            // The queue's one place is free for a save while a probe runs.
            let decision = Decision {
                revision: 1,
                decided_at: 1_764_390_000,
                id: ConsentId(0xfeed),
                analytics: false,
                method: Method::Settings,
            };
            tokio::time::sleep(PROBE_REUSED_FOR).await;
            let (ready, saved) = tokio::join!(
                log.takes_writes(Duration::from_secs(2)),
                log.record(&decision, None)
            );
            assert!(ready);
            assert!(saved.is_ok(), "{saved:?}");
        })
    }
}
