//! The policy archive: every policy document an instance has shown, kept once under its
//! fingerprint with its revision and the first time it was served, so that the texts behind
//! any receipt's fingerprint can be shown word for word.

use super::{fingerprint_of, Store, StoreError};
use serde::Serialize;

/// A policy document from the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ArchivedPolicy {
    pub fingerprint: String,
    pub revision: i64,
    /// The document, word for word: its SHA-256 is the fingerprint.
    pub document: String,
    /// Unix seconds.
    pub first_served_at: i64,
}

/// A fingerprint, as the archive and the receipts know it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyUse {
    pub fingerprint: String,
    /// `None` for a fingerprint the archive does not hold (receipts written before it).
    pub revision: Option<i64>,
    pub first_served_at: Option<i64>,
    /// The first and last decisions made under it (Unix seconds), and how many.
    pub first_decision: Option<i64>,
    pub last_decision: Option<i64>,
    pub receipts: i64,
}

#[derive(sqlx::FromRow)]
struct Decided {
    fingerprint: String,
    first_decision: i64,
    last_decision: i64,
    receipts: i64,
}

impl Store {
    /// Keeps `document` in the archive unless it is there: at every start, by every instance,
    /// written once.
    pub async fn archive_policy(
        &self,
        revision: u32,
        document: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let fingerprint = fingerprint_of(document);
        let document = document.to_string();
        self.write(move |connection| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO consent_policies (fingerprint, revision, document, \
                     first_served_at) VALUES ($1, $2, $3, $4) ON CONFLICT (fingerprint) DO NOTHING",
                )
                .bind(fingerprint)
                .bind(i64::from(revision))
                .bind(document)
                .bind(now)
                .execute(&mut *connection)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// The archived document of `fingerprint`.
    pub async fn archived_policy(
        &self,
        fingerprint: &str,
    ) -> Result<Option<ArchivedPolicy>, StoreError> {
        let policy = sqlx::query_as(
            "SELECT fingerprint, revision, document, first_served_at FROM consent_policies \
             WHERE fingerprint = $1",
        )
        .bind(fingerprint)
        .fetch_optional(&self.pool)
        .await?;
        Ok(policy)
    }

    /// Every fingerprint the archive or a receipt names, oldest first, with its use.
    pub async fn policy_uses(&self) -> Result<Vec<PolicyUse>, StoreError> {
        let archived: Vec<ArchivedPolicy> = sqlx::query_as(
            "SELECT fingerprint, revision, '' AS document, first_served_at FROM consent_policies",
        )
        .fetch_all(&self.pool)
        .await?;
        let decided: Vec<Decided> = sqlx::query_as(
            "SELECT policy_fingerprint AS fingerprint, MIN(decided_at) AS first_decision, \
             MAX(decided_at) AS last_decision, COUNT(*) AS receipts FROM consent_receipts \
             GROUP BY policy_fingerprint",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut uses: Vec<PolicyUse> = archived
            .into_iter()
            .map(|policy| PolicyUse {
                fingerprint: policy.fingerprint,
                revision: Some(policy.revision),
                first_served_at: Some(policy.first_served_at),
                first_decision: None,
                last_decision: None,
                receipts: 0,
            })
            .collect();
        for decided in decided {
            let index = match uses
                .iter()
                .position(|u| u.fingerprint == decided.fingerprint)
            {
                Some(index) => index,
                None => {
                    uses.push(PolicyUse {
                        fingerprint: decided.fingerprint.clone(),
                        revision: None,
                        first_served_at: None,
                        first_decision: None,
                        last_decision: None,
                        receipts: 0,
                    });
                    uses.len() - 1
                }
            };
            let known = &mut uses[index];
            known.first_decision = Some(decided.first_decision);
            known.last_decision = Some(decided.last_decision);
            known.receipts = decided.receipts;
        }
        uses.sort_by_key(|u| {
            (
                u.first_served_at.or(u.first_decision),
                u.fingerprint.clone(),
            )
        });
        Ok(uses)
    }
}
