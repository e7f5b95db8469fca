//! Counts of what receipts cannot show, kept in memory per UTC day and added to the consent
//! log's `consent_counters` at least every minute and at shutdown, so that the instances of a
//! site on one database add up. Counting never waits for the database.

use crate::receipts::{Counted, Store, StoreError, DAY};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

/// What is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counter {
    /// A page with the banner, served to a browser's document navigation.
    Impression,
    /// A page served to a visitor whose Global Privacy Control signal decided for them.
    GpcPage,
    /// A save refused: the client was over the rate limit,
    RateLimited,
    /// the receipt queue was full,
    QueueFull,
    /// or the consent log failed the write.
    StoreFailed,
}

const COUNTERS: [Counter; 5] = [
    Counter::Impression,
    Counter::GpcPage,
    Counter::RateLimited,
    Counter::QueueFull,
    Counter::StoreFailed,
];

impl Counter {
    /// Its name in the consent log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Impression => "impressions",
            Self::GpcPage => "gpc_pages",
            Self::RateLimited => "refused_rate_limit",
            Self::QueueFull => "refused_queue_full",
            Self::StoreFailed => "refused_store_failure",
        }
    }

    pub fn named(name: &str) -> Option<Self> {
        COUNTERS.into_iter().find(|c| c.name() == name)
    }

    /// The reason label of a refusal in `/metrics`.
    fn refusal(self) -> Option<&'static str> {
        match self {
            Self::RateLimited => Some("rate_limit"),
            Self::QueueFull => Some("queue_full"),
            Self::StoreFailed => Some("store_failure"),
            Self::Impression | Self::GpcPage => None,
        }
    }
}

/// This instance's counts not yet in the consent log.
#[derive(Clone, Debug)]
pub struct Counters {
    revision: i64,
    pending: Arc<Mutex<HashMap<(i64, Counter), i64>>>,
    /// One flush at a time: two would add the same counts twice.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

impl Counters {
    /// Counters of pages served under policy `revision`.
    pub fn new(revision: u32) -> Self {
        Self {
            revision: revision.into(),
            pending: Arc::default(),
            flushing: Arc::default(),
        }
    }

    pub fn add(&self, counter: Counter) {
        if let Some(reason) = counter.refusal() {
            metrics::counter!("leadistry_consent_refused_total", "reason" => reason).increment(1);
        }
        let day = (crate::date::now() as i64).div_euclid(DAY);
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        *pending.entry((day, counter)).or_default() += 1;
    }

    /// Adds what was counted since the last flush to the log. The counts leave memory only
    /// once the log has them: a flush that fails, or is dropped half-way (at shutdown), leaves
    /// them for the next.
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let _one = self.flushing.lock().await;
        let written = self.lock().clone();
        if written.is_empty() {
            return Ok(());
        }
        let counts: Vec<Counted> = written
            .iter()
            .map(|(&(day, counter), &value)| Counted {
                day,
                revision: self.revision,
                name: counter.name().into(),
                value,
            })
            .collect();
        store.add_counters(&counts).await?;
        let mut pending = self.lock();
        for (key, value) in written {
            if let Some(count) = pending.get_mut(&key) {
                *count -= value;
                if *count == 0 {
                    pending.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// Flushes every `every` ([`FLUSH_EVERY`] in the server) until the task is dropped; a
    /// failed flush is retried at the next.
    pub async fn flush_every(self, store: Store, every: std::time::Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(error) = self.flush(&store).await {
                tracing::warn!(%error, "could not add the counters to the consent log; will retry");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, Counter), i64>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// How often each instance adds what it counted to the consent log (and at shutdown).
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for counter in COUNTERS {
            assert_eq!(Counter::named(counter.name()), Some(counter));
        }
        assert_eq!(Counter::named("visitors"), None);
    }

    #[test]
    fn a_failed_flush_keeps_the_counts_and_a_good_one_adds_them() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let counters = Counters::new(3);
                counters.add(Counter::Impression);
                counters.add(Counter::Impression);
                counters.add(Counter::QueueFull);
                let closed = Store::connect("sqlite::memory:").await.unwrap();
                closed.close().await;
                assert!(counters.flush(&closed).await.is_err());
                counters.add(Counter::Impression);
                let store = Store::connect("sqlite::memory:").await.unwrap();
                counters.flush(&store).await.unwrap();
                let mut counted = store.counters(0, i64::MAX).await.unwrap();
                counted.sort_by(|a, b| a.name.cmp(&b.name));
                let named: Vec<(&str, i64, i64)> = counted
                    .iter()
                    .map(|c| (c.name.as_str(), c.value, c.revision))
                    .collect();
                assert_eq!(named, [("impressions", 3, 3), ("refused_queue_full", 1, 3)]);
                counters.flush(&store).await.unwrap();
                assert_eq!(store.counters(0, i64::MAX).await.unwrap().len(), 2);
            });
    }

    /// The server flushes every minute ([`FLUSH_EVERY`]): counts reach the log one period
    /// after they are made, not before (here with a period of half a second).
    #[test]
    fn counts_reach_the_log_a_period_after_they_are_made() {
        assert_eq!(
            FLUSH_EVERY,
            std::time::Duration::from_secs(60),
            "the README's minute"
        );
        let every = std::time::Duration::from_millis(500);
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let store = Store::connect("sqlite::memory:").await.unwrap();
                let counters = Counters::new(1);
                counters.add(Counter::Impression);
                let started = std::time::Instant::now();
                let flushing = tokio::spawn(counters.clone().flush_every(store.clone(), every));
                while store.counters(0, i64::MAX).await.unwrap().is_empty() {
                    assert!(started.elapsed() < every * 10, "never flushed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                assert!(
                    started.elapsed() >= every,
                    "flushed after {:?}",
                    started.elapsed()
                );
                flushing.abort();
            });
    }
}
