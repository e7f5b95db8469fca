//! Receipts read back in order, streamed whatever the size of the log: `leadistry export`.

use super::{Receipt, Store, StoreError};

/// A receipt as the log holds it: the receipt, and its leaf hash as written (empty for a
/// receipt written before the log kept them).
#[derive(Clone, Debug, sqlx::FromRow)]
pub(super) struct Written {
    #[sqlx(flatten)]
    pub receipt: Receipt,
    pub leaf: String,
}
use futures_util::{Stream, StreamExt, TryStreamExt};
use std::path::PathBuf;
use std::time::Duration;

impl Store {
    /// Receipts decided in `[since, until)`, oldest first, as the database hands them over:
    /// nothing is held but the row being read, whatever the size of the log.
    pub fn receipts(
        &self,
        since: i64,
        until: i64,
    ) -> impl Stream<Item = Result<Receipt, StoreError>> + Send + '_ {
        self.written(since, until).map_ok(|written| written.receipt)
    }

    /// The same with each receipt's leaf hash as written, in the order the seals hash them:
    /// by time, then by id byte for byte (PostgreSQL's own collation might not be).
    ///
    /// A SQLite file is read with SQLite's own library on a thread of its own: sqlx's driver
    /// hands each row over from its worker thread on its own, much slower (docs/benchmarks.md,
    /// hand-written code).
    pub(super) fn written(
        &self,
        since: i64,
        until: i64,
    ) -> impl Stream<Item = Result<Written, StoreError>> + Send + '_ {
        // Through the decided_at index; SQLite sorts only the receipts of one second by id.
        const SQLITE: &str = "SELECT consent_id, decided_at, policy_revision, \
            policy_fingerprint, choices, method, replaces, leaf FROM consent_receipts \
            WHERE decided_at >= $1 AND decided_at < $2 ORDER BY decided_at, consent_id";
        const POSTGRES: &str = "SELECT consent_id, decided_at, policy_revision, \
            policy_fingerprint, choices, method, replaces, leaf FROM consent_receipts \
            WHERE decided_at >= $1 AND decided_at < $2 \
            ORDER BY decided_at, consent_id COLLATE \"C\"";
        match &self.sqlite_file {
            Some(file) => sqlite_receipts(file.clone(), SQLITE, since, until).boxed(),
            None => sqlx::query_as(if self.sqlite { SQLITE } else { POSTGRES })
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
}

/// Lowers the calling thread's CPU priority to the lowest (nice 19; threads it starts inherit
/// it): reading a whole day or the whole log then gives way to the site's saves on a busy
/// machine instead of lengthening their tail (bench/seal.sh, docs/benchmarks.md).
pub fn give_way() {
    // SAFETY: setpriority only changes a nice value: on Linux, the calling thread's.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

/// Receipts as `select` reads them from the SQLite file, read by SQLite's own library on a
/// thread of its own that gives way to the site, and handed over a batch at a time. Dropping
/// the stream stops the reading.
fn sqlite_receipts(
    file: PathBuf,
    select: &'static str,
    since: i64,
    until: i64,
) -> impl Stream<Item = Result<Written, StoreError>> + Send + 'static {
    const BATCH: usize = 1024;
    let (sender, batches) = tokio::sync::mpsc::channel::<Result<Vec<Written>, StoreError>>(4);
    // Not tokio's blocking pool: its threads are reused, and would keep the low priority.
    let reader = std::thread::Builder::new().name("log-reader".into());
    let started = reader.spawn(move || {
        use rusqlite::{Connection, OpenFlags};
        give_way();
        let read = || -> Result<(), StoreError> {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let connection = Connection::open_with_flags(&file, flags)?;
            connection.busy_timeout(Duration::from_secs(10))?;
            let mut statement = connection.prepare(select)?;
            let mut rows = statement.query([since, until])?;
            let mut batch = Vec::with_capacity(BATCH);
            while let Some(row) = rows.next()? {
                // By name, as sqlx's `FromRow` reads them on the other path.
                let receipt = Receipt {
                    consent_id: row.get("consent_id")?,
                    decided_at: row.get("decided_at")?,
                    policy_revision: row.get("policy_revision")?,
                    policy_fingerprint: row.get("policy_fingerprint")?,
                    choices: row.get("choices")?,
                    method: row.get("method")?,
                    replaces: row.get("replaces")?,
                };
                batch.push(Written {
                    receipt,
                    leaf: row.get("leaf")?,
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
    if let Err(error) = started {
        tracing::error!(%error, "could not start a thread to read the consent log");
    }
    futures_util::stream::unfold(batches, |mut batches| async move {
        let batch = batches.recv().await?;
        Some((batch, batches))
    })
    .map_ok(|batch| futures_util::stream::iter(batch.into_iter().map(Ok)))
    .try_flatten()
}

#[cfg(test)]
mod tests {
    use super::give_way;

    fn nice() -> i32 {
        // SAFETY: reads the calling thread's nice value.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn give_way_lowers_the_calling_thread_only() {
        let before = nice();
        let reader = std::thread::spawn(|| {
            give_way();
            nice()
        });
        assert_eq!(reader.join().unwrap(), 19);
        assert_eq!(
            nice(),
            before,
            "the thread that started the reader keeps its priority"
        );
    }
}
