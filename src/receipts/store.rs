//! The consent log's database: connecting and migrating, and every write in a transaction
//! whose connection is closed when anything in it fails.

use super::{figures::slot_of, figures::DAY, receipt::grants_analytics, Receipt};
use crate::config::database::DatabaseUrl;
use futures_util::future::BoxFuture;
use sqlx::{any::AnyPoolOptions, AnyConnection, AnyPool, Connection};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Two instances sealed a day differently: they read its receipts differently.
    #[error("consent log: the seal of {day} kept ({kept}) is not the one made here ({made})")]
    SealDiffers {
        day: String,
        kept: String,
        made: String,
    },
    #[error("consent log: {0:?} is not a SHA-256 hash in hex")]
    NotAHash(String),
    #[error("consent log: {0:?} is not a sqlite: or postgres:// URL")]
    NotALog(String),
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Sqlx(error.into())
    }
}

/// The consent log.
#[derive(Clone, Debug)]
pub struct Store {
    pub(super) pool: AnyPool,
    /// Where the log is, for the connections made outside the pool (migrations, prune, the
    /// readiness probe's read-back).
    url: std::sync::Arc<str>,
    pub(super) sqlite: bool,
    /// A SQLite log's file, which export reads with SQLite's own library (`receipts`).
    pub(super) sqlite_file: Option<PathBuf>,
    /// This store's row in `consent_log_health`: instances on one database probe apart.
    pub(super) instance: i64,
}

impl Store {
    /// Connects (creating a SQLite file if needed) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let parsed = DatabaseUrl::parse(url).ok_or_else(|| StoreError::NotALog(url.into()))?;
        let sqlite = parsed.is_sqlite();
        // `sqlite://data/x.sqlite?mode=rwc` needs `data/` to exist.
        if let Some(folder) = parsed.sqlite_folder() {
            let _ = std::fs::create_dir_all(folder);
        }
        let pool = AnyPoolOptions::new()
            // SQLite has one writer: one connection queues writes instead of failing them.
            .max_connections(if sqlite { 1 } else { 10 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| Box::pin(prepare(conn, sqlite)))
            .connect(url)
            .await?;
        let store = Self {
            pool,
            url: url.into(),
            sqlite,
            sqlite_file: parsed.sqlite_file().map(PathBuf::from),
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
    pub(super) fn in_memory(&self) -> bool {
        self.sqlite && self.sqlite_file.is_none()
    }

    /// A connection outside the pool, prepared as the pool's are.
    pub(super) async fn connection_of_its_own(&self) -> Result<AnyConnection, sqlx::Error> {
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
    pub(super) async fn write<T: Send + 'static>(
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

    /// The fingerprint stored with the newest receipt of a revision.
    pub async fn newest_fingerprint(&self, revision: u32) -> Result<Option<String>, StoreError> {
        let fingerprint = sqlx::query_scalar(
            "SELECT policy_fingerprint FROM consent_receipts WHERE policy_revision = $1 \
             ORDER BY decided_at DESC LIMIT 1",
        )
        .bind(i64::from(revision))
        .fetch_optional(&self.pool)
        .await?;
        Ok(fingerprint)
    }

    pub async fn close(&self) {
        self.pool.close().await;
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
             policy_fingerprint, choices, method, replaces, leaf) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&receipt.consent_id)
    .bind(receipt.decided_at)
    .bind(receipt.policy_revision)
    .bind(&receipt.policy_fingerprint)
    .bind(&receipt.choices)
    .bind(&receipt.method)
    .bind(&receipt.replaces)
    .bind(super::merkle::hex(&receipt.leaf()))
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A SQLite log file of its own, as a URL (it derefs to one); removed with its journals
    /// when dropped.
    pub(crate) fn temporary_log(name: &str) -> TemporaryLog {
        let file =
            std::env::temp_dir().join(format!("leadistry-{name}-{}.sqlite", std::process::id()));
        let log = TemporaryLog(file);
        log.remove();
        log
    }

    pub(crate) struct TemporaryLog(std::path::PathBuf);

    impl TemporaryLog {
        fn remove(&self) {
            for journal in ["", "-wal", "-shm"] {
                let mut file = self.0.clone().into_os_string();
                file.push(journal);
                let _ = std::fs::remove_file(file);
            }
        }

        pub(crate) fn url(&self) -> String {
            format!("sqlite://{}?mode=rwc", self.0.display())
        }
    }

    impl Drop for TemporaryLog {
        fn drop(&mut self) {
            self.remove();
        }
    }

    /// A receipt the visitor was told about survives a power cut: the pool's connections
    /// write in WAL mode with `synchronous = FULL`, also after a prune (which runs with
    /// `NORMAL` on a connection of its own) and after a failed write replaced a connection.
    #[test]
    fn the_log_writes_with_synchronous_full_whatever_ran_before() {
        runtime().block_on(async {
            let log = temporary_log("synchronous");
            let store = Store::connect(&log.url()).await.unwrap();
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
}
