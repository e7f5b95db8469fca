//! The day figures kept beside the receipts (decisions by revision, method and choice, and
//! the counters receipts cannot show): what `leadistry stats` and `/stats` read.

use super::{Store, StoreError};

impl Store {
    /// The figures of each day in `[since_day, until_day)` (days since the Unix epoch).
    pub async fn daily(&self, since_day: i64, until_day: i64) -> Result<Vec<Daily>, StoreError> {
        let daily = sqlx::query_as(
            "SELECT day, policy_revision AS revision, method, analytics, \
             CAST(SUM(decisions) AS BIGINT) AS decisions, \
             CAST(SUM(withdrawn) AS BIGINT) AS withdrawn, \
             CAST(SUM(regranted) AS BIGINT) AS regranted FROM consent_daily \
             WHERE day >= $1 AND day < $2 GROUP BY day, policy_revision, method, analytics",
        )
        .bind(since_day)
        .bind(until_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(daily)
    }

    /// The counters of each day in `[since_day, until_day)`, all instances added up.
    pub async fn counters(
        &self,
        since_day: i64,
        until_day: i64,
    ) -> Result<Vec<Counted>, StoreError> {
        let counted = sqlx::query_as(
            "SELECT day, policy_revision AS revision, name, value FROM consent_counters \
             WHERE day >= $1 AND day < $2",
        )
        .bind(since_day)
        .bind(until_day)
        .fetch_all(&self.pool)
        .await?;
        Ok(counted)
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
}

/// How many rows each day's figure of a kind is spread over: saves from many connections
/// (several instances on PostgreSQL) update different rows instead of queueing for one lock.
const SLOTS: i64 = 8;

/// A yes or no as both logs keep it, a whole number (SQLite has no boolean type).
#[derive(sqlx::Type)]
#[sqlx(transparent)]
struct Flag(i64);

impl From<Flag> for bool {
    fn from(flag: Flag) -> Self {
        flag.0 != 0
    }
}

/// A receipt's row among its day's `SLOTS`, from its (random) consent id.
pub(super) fn slot_of(consent_id: &str) -> i64 {
    consent_id
        .get(..2)
        .and_then(|hex| i64::from_str_radix(hex, 16).ok())
        .map_or(0, |n| n % SLOTS)
}

/// Seconds in a UTC day: the figures are kept per day since the Unix epoch.
pub const DAY: i64 = 86_400;

/// One day's decisions of one revision, method and choice of analytics, as counted when
/// their receipts were written.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Daily {
    pub day: i64,
    pub revision: i64,
    pub method: String,
    #[sqlx(try_from = "Flag")]
    pub analytics: bool,
    pub decisions: i64,
    /// Decisions that denied analytics and replaced one that granted it.
    pub withdrawn: i64,
    /// Decisions that granted analytics and replaced one that denied it.
    pub regranted: i64,
}

/// One day's count of one counter under one revision.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Counted {
    pub day: i64,
    pub revision: i64,
    pub name: String,
    pub value: i64,
}
