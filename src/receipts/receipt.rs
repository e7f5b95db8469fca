//! The receipt of one decision, as the log keeps it, and the fingerprint of the texts the
//! visitor was shown.

use crate::catalog::{Category, CATALOG};
use crate::consent::decision::Decision;
use crate::notice::NOTICE;
use crate::wording::WORDING;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One decision as the log keeps it: no IP address, no user agent, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Receipt {
    pub consent_id: String,
    /// Unix seconds.
    pub decided_at: i64,
    pub policy_revision: i64,
    /// SHA-256 of the cookie catalog and the wording the visitor was shown.
    pub policy_fingerprint: String,
    /// The choice per category, e.g. `{"analytics":"denied","essential":"granted"}`.
    pub choices: String,
    /// `banner`, `settings` or `form`.
    pub method: String,
    /// The consent id of the decision this one replaces (the visitor's earlier decision that
    /// still counted), or empty for a first decision.
    pub replaces: String,
}

impl Receipt {
    /// The receipt of `decision`, made by a visitor whose earlier decision `replaced` still
    /// counted, if there was one.
    pub fn of(decision: &Decision, fingerprint: &str, replaced: Option<&Decision>) -> Self {
        let choices: serde_json::Map<String, serde_json::Value> = CATALOG
            .iter()
            .map(|c| {
                let granted = match c.category {
                    Category::Essential => true,
                    Category::Analytics => decision.analytics,
                };
                let value = if granted { "granted" } else { "denied" };
                (c.category.key().to_string(), value.into())
            })
            .collect();
        Self {
            consent_id: decision.id.to_string(),
            decided_at: decision.decided_at as i64,
            policy_revision: i64::from(decision.revision),
            policy_fingerprint: fingerprint.to_string(),
            choices: serde_json::Value::Object(choices).to_string(),
            method: decision.method.label().to_string(),
            replaces: replaced.map(|d| d.id.to_string()).unwrap_or_default(),
        }
    }

    /// The bytes a seal hashes: the receipt as one line of `leadistry export --format jsonl`
    /// (compact JSON, its fields in their order), without the line's end.
    pub fn canonical(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Its leaf in its day's Merkle tree.
    pub fn leaf(&self) -> super::merkle::Hash {
        super::merkle::leaf(&self.canonical())
    }

    /// Whether it grants analytics, as its choices say.
    pub fn grants_analytics(&self) -> bool {
        grants_analytics(&self.choices)
    }
}

/// Whether receipt choices grant analytics: the test the migration's backfill makes with
/// `LIKE '%"analytics":"granted"%'`.
pub(super) fn grants_analytics(choices: &str) -> bool {
    choices.contains(r#""analytics":"granted""#)
}

/// The policy as shown: everything a visitor reads about cookies (the cookie catalog, every
/// sentence and label of the consent controls, the Cookie Notice) as one JSON document, so
/// that a field added to any of them is covered without a change here. The policy archive
/// keeps it, word for word, under its fingerprint.
pub fn policy_document() -> String {
    policy_value().to_string()
}

fn policy_value() -> serde_json::Value {
    serde_json::json!({ "catalog": CATALOG, "notice": NOTICE, "wording": WORDING })
}

/// The fingerprint of the policy in force, which every receipt keeps.
pub fn policy_fingerprint() -> String {
    fingerprint_of(&policy_document())
}

/// The fingerprint of a policy document: its SHA-256, in hex.
pub fn fingerprint_of(document: &str) -> String {
    let hash = Sha256::digest(document.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};

    #[test]
    fn the_fingerprint_changes_with_anything_the_visitor_reads() {
        let policy = policy_value();
        let current = policy_fingerprint();
        assert_eq!(current.len(), 64);
        assert_eq!(current, fingerprint_of(&policy.to_string()));
        // Every text of the wording and the catalog, edited one at a time.
        fn texts(value: &serde_json::Value, path: String, out: &mut Vec<String>) {
            match value {
                serde_json::Value::String(_) => out.push(path),
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        texts(item, format!("{path}/{i}"), out);
                    }
                }
                serde_json::Value::Object(fields) => {
                    for (key, field) in fields {
                        texts(field, format!("{path}/{key}"), out);
                    }
                }
                _ => {}
            }
        }
        let mut paths = Vec::new();
        texts(&policy, String::new(), &mut paths);
        assert!(paths.len() > 30, "{paths:?}");
        for path in paths {
            let mut edited = policy.clone();
            let text = edited.pointer_mut(&path).unwrap();
            *text = format!("{}!", text.as_str().unwrap()).into();
            assert_ne!(fingerprint_of(&edited.to_string()), current, "{path}");
        }
    }

    /// A decision made with the plain form, refusing analytics.
    fn refused_by_form() -> Decision {
        Decision {
            revision: 4,
            decided_at: 1_764_390_000,
            id: ConsentId(0xabc),
            analytics: false,
            method: Method::Form,
        }
    }

    #[test]
    fn a_receipt_holds_the_choices_per_category_and_nothing_else() {
        let decision = refused_by_form();
        let receipt = Receipt::of(&decision, "f00d", None);
        assert_eq!(receipt.consent_id, "00000000-0000-0000-0000-000000000abc");
        assert_eq!(
            receipt.choices,
            r#"{"analytics":"denied","essential":"granted"}"#
        );
        assert_eq!(receipt.method, "form");
        assert_eq!(receipt.policy_revision, 4);
        assert_eq!(receipt.policy_fingerprint, "f00d");
        assert_eq!(receipt.replaces, "");
        assert!(!receipt.grants_analytics());
        let again = Decision {
            analytics: true,
            id: ConsentId(0xdef),
            ..decision.clone()
        };
        let receipt = Receipt::of(&again, "f00d", Some(&decision));
        assert_eq!(receipt.replaces, "00000000-0000-0000-0000-000000000abc");
        assert!(receipt.grants_analytics());
    }

    /// What a seal hashes: the export line, and its leaf as Python's hashlib makes it
    /// (`hashlib.sha256(b"\x00" + line).hexdigest()`).
    #[test]
    fn a_receipts_canonical_bytes_are_its_export_line_and_its_leaf_their_hash() {
        let decision = refused_by_form();
        let receipt = Receipt::of(&decision, "f00d", None);
        assert_eq!(
            String::from_utf8(receipt.canonical()).unwrap(),
            r#"{"consent_id":"00000000-0000-0000-0000-000000000abc","decided_at":1764390000,"policy_revision":4,"policy_fingerprint":"f00d","choices":"{\"analytics\":\"denied\",\"essential\":\"granted\"}","method":"form","replaces":""}"#
        );
        assert_eq!(
            super::super::merkle::hex(&receipt.leaf()),
            "f1352b7532d844849bb12815ef674f03d89700881a4420ed16572c263e30b957"
        );
    }
}
