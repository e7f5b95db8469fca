//! Daily seals: each finished UTC day's receipts hashed into a Merkle tree, and the day's
//! seal chained to the previous day's (`merkle`). A day is sealed once it has been over for a
//! grace period, so that saves in flight land first; every day is sealed, one without
//! receipts too, so that no day can be slipped in or out.

use super::merkle::{self, Hash, Tree};
use super::{Store, StoreError, DAY};
use futures_util::TryStreamExt;
use serde::Serialize;

/// A sealed day, as the seals table keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Seal {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub receipts: i64,
    /// The root of the day's Merkle tree, in hex.
    pub root: String,
    /// The day's seal, in hex.
    pub seal: String,
    /// Unix seconds.
    pub sealed_at: i64,
    /// When `leadistry prune` emptied the day.
    pub pruned_at: Option<i64>,
}

impl Seal {
    /// Its day as the seal hashes it: `YYYY-MM-DD`.
    pub fn date(&self) -> String {
        date(self.day)
    }

    /// As `leadistry seal` prints it and `/seals.json` lists it: its day as a date.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "day": self.date(),
            "receipts": self.receipts,
            "root": self.root,
            "seal": self.seal,
            "sealed_at": self.sealed_at,
            "pruned_at": self.pruned_at,
        })
    }
}

pub fn date(day: i64) -> String {
    crate::date::utc_date(u64::try_from(day * DAY).unwrap_or_default())
}

/// A day's receipts as the tree hashes them: their count and root.
pub(super) struct DayTree {
    pub count: u64,
    pub root: Hash,
}

impl Store {
    /// Every seal, oldest first.
    pub async fn seals(&self) -> Result<Vec<Seal>, StoreError> {
        let seals = sqlx::query_as(
            "SELECT day, receipts, root, seal, sealed_at, pruned_at FROM consent_seals \
             ORDER BY day",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(seals)
    }

    /// The latest seal: the head of the chain.
    pub async fn head(&self) -> Result<Option<Seal>, StoreError> {
        let head = sqlx::query_as(
            "SELECT day, receipts, root, seal, sealed_at, pruned_at FROM consent_seals \
             ORDER BY day DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(head)
    }

    /// The count and root of `day`'s receipts as the log holds them now, read as they come.
    pub(super) async fn day_tree(&self, day: i64) -> Result<DayTree, StoreError> {
        let mut tree = Tree::default();
        let mut written = Box::pin(self.written(day * DAY, (day + 1) * DAY));
        while let Some(written) = written.try_next().await? {
            tree.push(written.receipt.leaf());
        }
        Ok(DayTree {
            count: tree.count(),
            root: tree.root(),
        })
    }

    /// Seals every finished day not sealed yet, oldest first: those that ended `grace` seconds
    /// before `now`. The first sealed day is that of the oldest receipt (or, in a log without
    /// any, the last finished day). Several instances may run it at once: each day's seal is
    /// the same whoever makes it, and the first written stays. Returns the days it sealed.
    pub async fn seal_finished_days(&self, now: i64, grace: i64) -> Result<Vec<Seal>, StoreError> {
        let last_finished = (now - grace).div_euclid(DAY) - 1;
        let head = self.head().await?;
        let (mut day, mut previous) = match &head {
            Some(head) => (head.day + 1, parse(&head.seal)?),
            None => {
                let oldest: Option<i64> =
                    sqlx::query_scalar("SELECT MIN(decided_at) FROM consent_receipts")
                        .fetch_one(&self.pool)
                        .await?;
                let first = oldest.map_or(last_finished, |at| at.div_euclid(DAY));
                (first.min(last_finished), merkle::GENESIS)
            }
        };
        let mut sealed = Vec::new();
        while day <= last_finished {
            let tree = self.day_tree(day).await?;
            let seal = Seal {
                day,
                receipts: i64::try_from(tree.count).unwrap_or(i64::MAX),
                root: merkle::hex(&tree.root),
                seal: merkle::hex(&merkle::seal(&previous, &date(day), tree.count, &tree.root)),
                sealed_at: now,
                pruned_at: None,
            };
            let kept = self.keep_seal(seal).await?;
            previous = parse(&kept.seal)?;
            sealed.push(kept);
            day += 1;
        }
        Ok(sealed)
    }

    /// Writes `seal` unless its day is sealed already; returns the one kept. Another
    /// instance's seal of the day that differs from this one is an error: one of them read
    /// the log differently.
    async fn keep_seal(&self, seal: Seal) -> Result<Seal, StoreError> {
        let written = seal.clone();
        self.write(move |connection| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO consent_seals (day, receipts, root, seal, sealed_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (day) DO NOTHING",
                )
                .bind(written.day)
                .bind(written.receipts)
                .bind(written.root)
                .bind(written.seal)
                .bind(written.sealed_at)
                .execute(&mut *connection)
                .await?;
                Ok(())
            })
        })
        .await?;
        let kept: Seal = sqlx::query_as(
            "SELECT day, receipts, root, seal, sealed_at, pruned_at FROM consent_seals \
             WHERE day = $1",
        )
        .bind(seal.day)
        .fetch_one(&self.pool)
        .await?;
        if kept.seal != seal.seal {
            return Err(StoreError::SealDiffers {
                day: seal.date(),
                kept: kept.seal,
                made: seal.seal,
            });
        }
        Ok(kept)
    }

    /// Marks the sealed days before `day` that are not marked yet as emptied by a prune;
    /// returns the first day that may not be pruned: the first unsealed one, or `day`.
    pub(super) async fn mark_pruned(&self, day: i64, now: i64) -> Result<i64, StoreError> {
        let first_unsealed = match self.head().await? {
            Some(head) => head.day + 1,
            None => return Ok(i64::MIN),
        };
        let until = day.min(first_unsealed);
        self.write(move |connection| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE consent_seals SET pruned_at = $1 WHERE day < $2 AND pruned_at IS NULL",
                )
                .bind(now)
                .bind(until)
                .execute(&mut *connection)
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(until)
    }
}

pub(super) fn parse(hex: &str) -> Result<Hash, StoreError> {
    merkle::from_hex(hex).ok_or_else(|| StoreError::NotAHash(hex.to_string()))
}

/// Seals the finished days now and then every `every`, until the task is dropped; a failure
/// is logged and tried again at the next.
pub async fn seal_every(store: Store, every: std::time::Duration, grace: i64) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        match store
            .seal_finished_days(crate::date::now() as i64, grace)
            .await
        {
            // One line however many days: the first start on an old log seals them all.
            Ok(sealed) => match sealed.as_slice() {
                [] => {}
                [seal] => {
                    tracing::info!(day = %seal.date(), receipts = seal.receipts, seal = %seal.seal, "day sealed")
                }
                [first, .., last] => tracing::info!(
                    from = %first.date(),
                    to = %last.date(),
                    days = sealed.len(),
                    receipts = sealed.iter().map(|seal| seal.receipts).sum::<i64>(),
                    head = %last.seal,
                    "days sealed"
                ),
            },
            Err(error) => tracing::error!(%error, "could not seal the finished days; will retry"),
        }
    }
}
