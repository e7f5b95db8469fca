//! The log as a save meets it: a bounded queue of receipt writes, each run to its end, and
//! the readiness probe that says whether the log keeps what it acknowledges.

use super::{policy_document, policy_fingerprint, Receipt, Store, StoreError};
use crate::consent::decision::Decision;
use std::time::{Duration, Instant};

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

    /// At start-up: archives the policy in force (once per fingerprint, whichever instance
    /// comes first) and warns when it changed but the policy revision did not.
    pub async fn start(&self, revision: u32) {
        let document = policy_document();
        let now = crate::date::now() as i64;
        match self.store.archive_policy(revision, &document, now).await {
            Ok(()) => tracing::info!(fingerprint = %self.fingerprint, "policy in force archived"),
            Err(error) => tracing::warn!(%error, "could not archive the policy in force"),
        }
        match self.store.newest_fingerprint(revision).await {
            Ok(Some(stored)) if *stored != *self.fingerprint => tracing::warn!(
                revision,
                stored = %stored,
                current = %self.fingerprint,
                "the cookie catalog, the consent wording or the Cookie Notice changed but \
                 policy-revision did not: raise it so that visitors are asked again"
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};
    use crate::receipts::store::tests::{runtime, temporary_log};
    use sqlx::Connection;

    /// The pool's one connection left inside a transaction that sqlx counts as finished: the
    /// state a failed `COMMIT` left it in before a failed write closed its connection. Every
    /// write on it is then a savepoint in a transaction that never commits.
    async fn leave_a_transaction_open(store: &Store) {
        let mut connection = store.pool.acquire().await.unwrap();
        std::mem::forget(connection.begin().await.unwrap());
    }

    #[test]
    fn the_readiness_probe_sees_a_log_that_acknowledges_without_keeping() {
        let file = temporary_log("unkept");
        let url = file.url();
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
    }

    /// `/readyz` however often it is asked: one write a second, and no place in the receipt
    /// queue (a save still finds its place while a probe runs).
    #[test]
    fn the_readiness_probe_writes_at_most_once_a_second_and_takes_no_queue_place() {
        runtime().block_on(async {
            let log = temporary_log("probe-once");
            let store = Store::connect(&log.url()).await.unwrap();
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
