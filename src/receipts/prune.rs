//! Deleting receipts past their retention, in batches that leave the log to the saves in
//! between: `leadistry prune`.

use super::{Store, StoreError, DAY};
use sqlx::{AnyConnection, Connection};
use std::time::{Duration, Instant};

impl Store {
    /// `leadistry prune`: deletes the receipts of the whole sealed days before `before`
    /// (Unix seconds), in batches, and keeps their seals, marked as pruned so that `verify`
    /// tells them from days emptied otherwise. Unsealed days are kept whatever their age.
    pub async fn prune_sealed(
        &self,
        before: i64,
        now: i64,
        progress: impl FnMut(u64),
    ) -> Result<u64, StoreError> {
        let until = self.mark_pruned(before.div_euclid(DAY), now).await?;
        if until == i64::MIN {
            return Ok(0);
        }
        self.prune_in_batches(until * DAY, PRUNE_BATCH, progress)
            .await
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

/// The most receipts one batch of [`Store::prune`] deletes.
pub const PRUNE_BATCH: u32 = 5_000;
/// How many the first batch deletes, and the fewest a batch deletes.
const PRUNE_BATCH_FIRST: u32 = 500;
const PRUNE_BATCH_SMALLEST: u32 = 50;
/// How long a batch of [`Store::prune`] may hold the log: what a save may have to wait.
pub const PRUNE_BATCH_TIME: Duration = Duration::from_millis(40);

#[cfg(test)]
mod tests {
    use super::*;

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
}
