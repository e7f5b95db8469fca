//! Proof of one decision for an auditor who trusts nothing but SHA-256 and a published head:
//! the receipt and the decisions it replaced and that replaced it, each with its inclusion
//! path to its day's root, the policy texts they were made under, and the chain of seals from
//! their days to the head. `check` verifies such a document without the log.

use super::merkle::{self, Hash};
use super::seal::{date, parse};
use super::{Receipt, Store, StoreError, DAY};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The decision the proof is about.
    pub consent_id: String,
    /// It and the decisions it replaced and that replaced it, oldest first.
    pub decisions: Vec<Included>,
    /// The policy documents they were made under, by fingerprint.
    pub policies: BTreeMap<String, String>,
    pub seals: Chain,
}

/// A receipt and its place in its day's tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Included {
    pub receipt: Receipt,
    /// `YYYY-MM-DD`
    pub day: String,
    pub index: u64,
    /// Inclusion path to the day's root, nearest the leaf first, in hex.
    pub path: Vec<String>,
}

/// Consecutive sealed days, from the first decision's to the head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    /// The seal of the day before the first (zeros before the first sealed day).
    pub previous: String,
    pub days: Vec<ChainDay>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainDay {
    pub day: String,
    pub receipts: u64,
    pub root: String,
    pub seal: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error("no receipt {0} in the consent log")]
    NoReceipt(String),
    #[error("the day of {0} ({1}) is not sealed yet: it is sealed once it has been over for the grace period")]
    NotSealed(String, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// The proof of decision `consent_id`.
    pub async fn proof(&self, consent_id: &str) -> Result<Proof, ProofError> {
        let subject = self
            .receipt(consent_id)
            .await?
            .ok_or_else(|| ProofError::NoReceipt(consent_id.into()))?;
        let seals = self.seals().await?;
        let sealed_until = seals.last().map_or(i64::MIN, |s| s.day);
        let day_of = |receipt: &Receipt| receipt.decided_at.div_euclid(DAY);
        if day_of(&subject) > sealed_until {
            let day = date(day_of(&subject));
            return Err(ProofError::NotSealed(consent_id.into(), day));
        }
        // The history: back along `replaces`, and forward to the decisions replacing these.
        let mut decisions = vec![subject.clone()];
        let mut back = subject.replaces.clone();
        while let Some(earlier) = self.receipt(&back).await?.filter(|_| !back.is_empty()) {
            back = earlier.replaces.clone();
            decisions.push(earlier);
        }
        let mut forward = vec![subject.consent_id.clone()];
        while let Some(id) = forward.pop() {
            for later in self.replacing(&id).await? {
                forward.push(later.consent_id.clone());
                decisions.push(later);
            }
        }
        decisions.retain(|receipt| day_of(receipt) <= sealed_until);
        decisions.sort_by(|a, b| (a.decided_at, &a.consent_id).cmp(&(b.decided_at, &b.consent_id)));
        decisions.dedup();

        let mut included = Vec::new();
        let mut days: BTreeMap<i64, Vec<Hash>> = BTreeMap::new();
        for receipt in &decisions {
            let day = day_of(receipt);
            if let std::collections::btree_map::Entry::Vacant(entry) = days.entry(day) {
                entry.insert(self.leaves(day).await?);
            }
            let leaves = &days[&day];
            let leaf = receipt.leaf();
            let Some(index) = leaves.iter().position(|l| *l == leaf) else {
                continue; // changed since it was written: `verify` tells
            };
            included.push(Included {
                receipt: receipt.clone(),
                day: date(day),
                index: index as u64,
                path: merkle::path(leaves, index)
                    .iter()
                    .map(merkle::hex)
                    .collect(),
            });
        }
        let mut policies = BTreeMap::new();
        for receipt in &decisions {
            let fingerprint = &receipt.policy_fingerprint;
            if let Some(policy) = self.archived_policy(fingerprint).await? {
                policies.insert(fingerprint.clone(), policy.document);
            }
        }
        let first_day = decisions.iter().map(day_of).min().unwrap_or(sealed_until);
        let previous = seals
            .iter()
            .rfind(|s| s.day < first_day)
            .map_or_else(|| merkle::hex(&merkle::GENESIS), |s| s.seal.clone());
        let days = seals
            .iter()
            .filter(|s| s.day >= first_day)
            .map(|s| ChainDay {
                day: s.date(),
                receipts: u64::try_from(s.receipts).unwrap_or(0),
                root: s.root.clone(),
                seal: s.seal.clone(),
            })
            .collect();
        Ok(Proof {
            consent_id: consent_id.into(),
            decisions: included,
            policies,
            seals: Chain { previous, days },
        })
    }

    async fn receipt(&self, consent_id: &str) -> Result<Option<Receipt>, StoreError> {
        let receipt = sqlx::query_as(&format!("{RECEIPTS} WHERE consent_id = $1"))
            .bind(consent_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(receipt)
    }

    async fn replacing(&self, consent_id: &str) -> Result<Vec<Receipt>, StoreError> {
        let receipts = sqlx::query_as(&format!("{RECEIPTS} WHERE replaces = $1"))
            .bind(consent_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(receipts)
    }

    /// The leaves of `day`'s tree, in order.
    async fn leaves(&self, day: i64) -> Result<Vec<Hash>, StoreError> {
        self.written(day * DAY, (day + 1) * DAY)
            .map_ok(|written| written.receipt.leaf())
            .try_collect()
            .await
    }
}

/// Receipts as `Receipt` reads them.
const RECEIPTS: &str = "SELECT consent_id, decided_at, policy_revision, policy_fingerprint, \
    choices, method, replaces FROM consent_receipts";

/// Checks a proof against `head`, the seal an auditor holds: every step with SHA-256 alone.
/// Returns what does not hold, if anything.
pub fn check(proof: &Proof, head: &str) -> Result<(), Vec<String>> {
    let mut wrong = Vec::new();
    // The chain, day after day, to the head.
    let mut seal = parse(&proof.seals.previous).unwrap_or_else(|_| {
        wrong.push("the previous seal is not a hash".into());
        merkle::GENESIS
    });
    let mut last_day: Option<i64> = None;
    let mut roots = BTreeMap::new();
    for day in &proof.seals.days {
        let number = crate::date::parse_utc_date(&day.day).map(|at| at / DAY);
        if let (Some(last), Some(number)) = (last_day, number) {
            if number != last + 1 {
                wrong.push(format!("{}: not the day after the one before", day.day));
            }
        }
        last_day = number.or(last_day);
        let Ok(root) = parse(&day.root) else {
            wrong.push(format!("{}: its root is not a hash", day.day));
            continue;
        };
        seal = merkle::seal(&seal, &day.day, day.receipts, &root);
        if merkle::hex(&seal) != day.seal {
            wrong.push(format!("{}: its seal is not the chain's", day.day));
        }
        roots.insert(day.day.as_str(), (day.receipts, root));
    }
    if merkle::hex(&seal) != head {
        wrong.push(format!(
            "the chain ends at {}, not at the head {head}",
            merkle::hex(&seal)
        ));
    }
    // Each decision: in its day's tree, and made under an archived text.
    if !proof
        .decisions
        .iter()
        .any(|d| d.receipt.consent_id == proof.consent_id)
    {
        wrong.push(format!("{} is not among the decisions", proof.consent_id));
    }
    for decision in &proof.decisions {
        let receipt = &decision.receipt;
        let id = &receipt.consent_id;
        let day = date(receipt.decided_at.div_euclid(DAY));
        if day != decision.day {
            wrong.push(format!("{id}: decided on {day}, not {}", decision.day));
        }
        let path: Option<Vec<Hash>> = decision.path.iter().map(|h| merkle::from_hex(h)).collect();
        let root = match (roots.get(decision.day.as_str()), path) {
            (Some(&(count, _)), Some(path)) => {
                merkle::root_from_path(receipt.leaf(), decision.index, count, &path)
            }
            _ => None,
        };
        if root.is_none() || root != roots.get(decision.day.as_str()).map(|r| r.1) {
            wrong.push(format!("{id}: not in the tree of {}", decision.day));
        }
        match proof.policies.get(&receipt.policy_fingerprint) {
            Some(document) if super::fingerprint_of(document) == receipt.policy_fingerprint => {}
            Some(_) => wrong.push(format!("{id}: the policy text is not its fingerprint's")),
            None => wrong.push(format!("{id}: the policy text is missing")),
        }
    }
    match wrong.is_empty() {
        true => Ok(()),
        false => Err(wrong),
    }
}
