//! Verifying the seals: every sealed day recomputed from the receipts as the log holds them
//! now, and the chain of seals from the first day on.

use super::merkle::{self, Hash, Tree};
use super::seal::{date, parse};
use super::{Store, StoreError, DAY};
use futures_util::TryStreamExt;
use serde::Serialize;

/// What became of a sealed day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "changes", rename_all = "lowercase")]
pub enum DayState {
    /// Its receipts are exactly those sealed.
    Intact,
    /// `leadistry prune` emptied it; its seal still holds the chain.
    Pruned,
    /// Not as sealed: what changed, by receipt id where that can be told.
    Changed(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayReport {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Receipts the log holds for it now.
    pub receipts: u64,
    #[serde(flatten)]
    pub state: DayState,
}

impl Store {
    /// Checks each sealed day in `[since_day, until_day)` against its receipts, and the whole
    /// chain from its first day (a seal row edited or removed anywhere breaks it), telling
    /// `report` about each day as it goes. `head`, a seal published earlier, must be in the
    /// chain. Returns whether everything was as sealed.
    pub async fn verify(
        &self,
        since_day: i64,
        until_day: i64,
        head: Option<&str>,
        mut report: impl FnMut(&DayReport),
    ) -> Result<bool, StoreError> {
        let seals = self.seals().await?;
        let mut intact = true;
        let mut head_found = head.is_none();
        let mut expected_day = seals.first().map(|s| s.day);
        // Days with receipts before the first seal were added after sealing began.
        if let Some(first) = expected_day.filter(|first| since_day < *first) {
            let before: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM consent_receipts WHERE decided_at >= $1 AND decided_at < $2",
            )
            .bind(since_day.max(i64::MIN / DAY) * DAY)
            .bind(first * DAY)
            .fetch_one(&self.pool)
            .await?;
            if before > 0 {
                intact = false;
                report(&DayReport {
                    day: format!("before {}", date(first)),
                    receipts: before as u64,
                    state: DayState::Changed(vec![format!(
                        "{before} receipts dated before the first sealed day"
                    )]),
                });
            }
        }
        let last = seals.last().map_or(i64::MIN, |s| s.day);
        let mut seals = seals.into_iter().peekable();
        // The seal the next day chains to: the one stored, or the one the stored count and
        // root give, if they differ (an edited row then breaks its own day only).
        let mut previous = vec![merkle::GENESIS];
        while let Some(day) = expected_day.filter(|day| *day <= last) {
            let seal = seals.next_if(|s| s.day == day);
            let pruned = seal.as_ref().is_some_and(|s| s.pruned_at.is_some());
            let in_range = (since_day..until_day).contains(&day);
            let mut changes = Vec::new();
            let now = match (in_range && !pruned) || seal.is_none() {
                true => Some(self.day_now(day, &mut changes).await?),
                false => None,
            };
            let next = match &seal {
                Some(seal) => {
                    let (count, root) = (
                        u64::try_from(seal.receipts).unwrap_or(0),
                        parse(&seal.root)?,
                    );
                    let stored = parse(&seal.seal)?;
                    let chain = |previous: &Hash| merkle::seal(previous, &date(day), count, &root);
                    if !previous.iter().any(|p| chain(p) == stored) {
                        changes.push("its seal row is not the chain's (edited)".into());
                    }
                    match now {
                        Some(now) if now == (count, root) => {
                            // The receipts are those sealed: a differing leaf was its column's.
                            changes.retain(|change| !change.starts_with("receipt "));
                        }
                        Some((count_now, _)) => changes.insert(
                            0,
                            match count_now.cmp(&count) {
                                std::cmp::Ordering::Equal => "receipts altered".to_string(),
                                std::cmp::Ordering::Greater => {
                                    format!("{} receipts added", count_now - count)
                                }
                                std::cmp::Ordering::Less => {
                                    format!("{} receipts removed", count - count_now)
                                }
                            },
                        ),
                        None => {}
                    }
                    let mut next = vec![stored];
                    next.extend(previous.iter().map(chain).filter(|c| *c != stored));
                    next
                }
                None => {
                    changes.push("its seal row is missing".into());
                    let (count, root) = now.unwrap_or((0, merkle::empty()));
                    previous
                        .iter()
                        .map(|p| merkle::seal(p, &date(day), count, &root))
                        .collect()
                }
            };
            if let Some(head) = head {
                head_found |= next.iter().any(|seal| merkle::hex(seal) == head);
            }
            let state = match (changes.is_empty(), pruned) {
                (false, _) => DayState::Changed(changes),
                (true, true) => DayState::Pruned,
                (true, false) => DayState::Intact,
            };
            let changed = matches!(state, DayState::Changed(_));
            intact &= !changed;
            // Out of the range asked for, a day is told only when the chain breaks there.
            if in_range || changed {
                report(&DayReport {
                    day: date(day),
                    receipts: now.map_or(0, |(count, _)| count),
                    state,
                });
            }
            previous = next;
            expected_day = Some(day + 1);
        }
        if !head_found {
            intact = false;
            report(&DayReport {
                day: "head".into(),
                receipts: 0,
                state: DayState::Changed(vec![format!(
                    "the published head {} is not in the chain",
                    head.unwrap_or_default()
                )]),
            });
        }
        Ok(intact)
    }

    /// `day`'s count and root as the log holds it now; a receipt whose leaf differs from the
    /// one written with it is named in `changes`.
    async fn day_now(
        &self,
        day: i64,
        changes: &mut Vec<String>,
    ) -> Result<(u64, Hash), StoreError> {
        let mut tree = Tree::default();
        let mut written = Box::pin(self.written(day * DAY, (day + 1) * DAY));
        while let Some(written) = written.try_next().await? {
            let leaf = written.receipt.leaf();
            if written.leaf.is_empty() {
                // Written before the log kept leaves, or not by the log.
            } else if written.leaf != merkle::hex(&leaf) {
                changes.push(format!("receipt {} altered", written.receipt.consent_id));
            }
            tree.push(leaf);
        }
        Ok((tree.count(), tree.root()))
    }
}
