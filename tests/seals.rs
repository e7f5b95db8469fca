//! Tamper evidence: daily seals verify an untouched log, and every kind of change after the
//! fact fails `verify` naming the day (and the receipt where it can); proofs check with
//! SHA-256 alone; the policy archive keeps each text once. On SQLite and PostgreSQL.
#![cfg(feature = "ssr")]

mod common;

use common::{block_on, postgres_schema, sqlite_url};
use leadistry::receipts::{merkle, proof, DayReport, DayState, Receipt, Store};
use sqlx::Executor;

const DAY: i64 = 86_400;
/// Ten minutes: the default grace before a finished day is sealed.
const GRACE: i64 = 600;

/// Noon of `days_ago` days before today (UTC), in Unix seconds.
fn noon(days_ago: i64) -> i64 {
    let today = leadistry::date::now() as i64 / DAY;
    (today - days_ago) * DAY + DAY / 2
}

fn receipt(n: usize, decided_at: i64, replaces: &str) -> Receipt {
    Receipt {
        consent_id: format!("00000000-0000-4000-8000-{n:012}"),
        decided_at,
        policy_revision: 1,
        policy_fingerprint: leadistry::receipts::policy_fingerprint(),
        choices: r#"{"analytics":"granted","essential":"granted"}"#.into(),
        method: "banner".into(),
        replaces: replaces.into(),
    }
}

/// A log with receipts on the days 6, 5, 3 and 2 days ago (none 4 days ago), sealed to
/// yesterday; with the policy in force archived.
async fn sealed_log(url: &str) -> Store {
    let store = Store::connect(url).await.expect("log");
    store
        .archive_policy(1, &leadistry::receipts::policy_document(), noon(7))
        .await
        .unwrap();
    let mut n = 0;
    for days_ago in [6, 5, 3, 2] {
        for second in 0..5 {
            n += 1;
            let replaces = match n {
                7 => receipt(2, 0, "").consent_id,
                _ => String::new(),
            };
            let receipt = receipt(n, noon(days_ago) + second, &replaces);
            store.append(&receipt).await.unwrap();
        }
    }
    let now = leadistry::date::now() as i64;
    let sealed = store.seal_finished_days(now, GRACE).await.unwrap();
    assert!(sealed.len() >= 6, "6 days ago to yesterday: {sealed:?}");
    store
}

async fn verify(store: &Store, head: Option<&str>) -> (bool, Vec<DayReport>) {
    let mut reports = Vec::new();
    let intact = store
        .verify(i64::MIN / DAY, i64::MAX / DAY, head, |report| {
            reports.push(report.clone())
        })
        .await
        .unwrap();
    (intact, reports)
}

fn changes(reports: &[DayReport]) -> Vec<(String, Vec<String>)> {
    reports
        .iter()
        .filter_map(|r| match &r.state {
            DayState::Changed(what) => Some((r.day.clone(), what.clone())),
            _ => None,
        })
        .collect()
}

fn date(days_ago: i64) -> String {
    leadistry::date::utc_date(noon(days_ago) as u64)
}

/// Each change after the fact, on a fresh sealed log: `verify` fails naming the day.
async fn every_change_is_named(urls: Vec<String>) {
    type Change = (&'static str, &'static str, &'static [i64], Option<usize>);
    let id = |n: usize| receipt(n, 0, "").consent_id;
    let cases: [Change; 6] = [
        (
            "a choice changed",
            "UPDATE consent_receipts SET choices = '{\"analytics\":\"denied\",\"essential\":\"granted\"}' WHERE consent_id = '00000000-0000-4000-8000-000000000003'",
            &[6],
            Some(3),
        ),
        (
            "a time changed",
            "UPDATE consent_receipts SET decided_at = decided_at + 1 WHERE consent_id = '00000000-0000-4000-8000-000000000012'",
            &[3],
            Some(12),
        ),
        (
            "a receipt deleted",
            "DELETE FROM consent_receipts WHERE consent_id = '00000000-0000-4000-8000-000000000008'",
            &[5],
            None,
        ),
        (
            "a receipt inserted into a sealed day",
            "INSERT INTO consent_receipts (consent_id, decided_at, policy_revision, policy_fingerprint, choices, method, replaces) SELECT '00000000-0000-4000-8000-000000000099', decided_at + 7, policy_revision, policy_fingerprint, choices, method, '' FROM consent_receipts WHERE consent_id = '00000000-0000-4000-8000-000000000016'",
            &[2],
            None,
        ),
        (
            "a seal row edited",
            "UPDATE consent_seals SET receipts = receipts + 1 WHERE receipts = 5 AND day = (SELECT MIN(day) FROM consent_seals) + 1",
            &[5],
            None,
        ),
        (
            "a day's seal removed",
            "DELETE FROM consent_seals WHERE day = (SELECT MIN(day) FROM consent_seals) + 2",
            &[4],
            None,
        ),
    ];
    for (i, (what, sql, days, receipt)) in cases.into_iter().enumerate() {
        let url = &urls[i];
        let store = sealed_log(url).await;
        let (intact, _) = verify(&store, None).await;
        assert!(intact, "{what}: an untouched log verifies");
        // The change, made by someone with the database's password.
        let other = sqlx::AnyPool::connect(url).await.unwrap();
        other.execute(sql).await.unwrap();
        other.close().await;
        let (intact, reports) = verify(&store, None).await;
        assert!(!intact, "{what}: verify fails");
        let changed = changes(&reports);
        let named: Vec<String> = changed.iter().map(|(day, _)| day.clone()).collect();
        let expected: Vec<String> = days.iter().map(|d| date(*d)).collect();
        assert_eq!(named, expected, "{what}: the day named; {changed:?}");
        if let Some(n) = receipt {
            let told = changed
                .iter()
                .flat_map(|(_, what)| what)
                .any(|w| w.contains(&id(n)));
            assert!(told, "{what}: the receipt named; {changed:?}");
        }
        store.close().await;
    }
}

#[test]
fn every_change_after_the_fact_fails_verify_on_sqlite() {
    let logs: Vec<_> = (0..6)
        .map(|i| sqlite_url(&format!("seals-change{i}")))
        .collect();
    block_on(every_change_is_named(
        logs.iter().map(|log| log.to_string()).collect(),
    ));
}

#[test]
fn every_change_after_the_fact_fails_verify_on_postgres() {
    let urls: Option<Vec<String>> = (0..6)
        .map(|i| postgres_schema(&format!("seals_change{i}")))
        .collect();
    if let Some(urls) = urls {
        block_on(every_change_is_named(urls));
    }
}

/// The roots and seals of the same receipts, as one log and the other make them.
async fn chain_of(url: &str) -> Vec<(i64, i64, String, String)> {
    let store = sealed_log(url).await;
    let seals = store.seals().await.unwrap();
    store.close().await;
    seals
        .into_iter()
        .map(|s| (s.day, s.receipts, s.root, s.seal))
        .collect()
}

#[test]
fn the_same_receipts_give_the_same_seals_on_sqlite_and_postgres() {
    let Some(postgres) = postgres_schema("seals_same") else {
        return;
    };
    let (sqlite, postgres) = block_on(async {
        (
            chain_of(&sqlite_url("seals-same")).await,
            chain_of(&postgres).await,
        )
    });
    assert_eq!(sqlite, postgres);
    assert!(
        sqlite.iter().any(|(_, count, _, _)| *count == 0),
        "a day without receipts"
    );
}

#[test]
fn two_instances_on_one_postgres_seal_a_day_once_with_one_result() {
    let Some(url) = postgres_schema("seals_two") else {
        return;
    };
    block_on(async {
        let one = Store::connect(&url).await.unwrap();
        let two = Store::connect(&url).await.unwrap();
        for n in 0..50 {
            one.append(&receipt(n, noon(1) + n as i64, ""))
                .await
                .unwrap();
        }
        let now = leadistry::date::now() as i64;
        let (a, b) = tokio::join!(
            one.seal_finished_days(now, GRACE),
            two.seal_finished_days(now, GRACE)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b, "both instances hold the one seal kept");
        let seals = one.seals().await.unwrap();
        assert_eq!(seals.len(), 1, "{seals:?}");
        assert_eq!(seals[0].receipts, 50);
        one.close().await;
        two.close().await;
    });
}

#[test]
fn a_proof_checks_with_sha256_alone_and_fails_when_any_byte_changes() {
    let log = sqlite_url("seals-proof");
    block_on(async {
        let store = sealed_log(&log).await;
        let head = store.head().await.unwrap().unwrap().seal;
        // Decision 7 replaced decision 2: the history holds both.
        let subject = receipt(7, 0, "").consent_id;
        let proof = store.proof(&subject).await.unwrap();
        let ids: Vec<&str> = proof
            .decisions
            .iter()
            .map(|d| d.receipt.consent_id.as_str())
            .collect();
        assert_eq!(ids, [receipt(2, 0, "").consent_id, subject.clone()]);
        assert_eq!(proof.policies.len(), 1);
        proof::check(&proof, &head).unwrap();

        let text = serde_json::to_string(&proof).unwrap();
        let bytes = text.as_bytes();
        for at in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[at] ^= match changed[at] {
                b'0'..=b'9' | b'a'..=b'f' => 0x01,
                _ => 0x20,
            };
            let parsed = String::from_utf8(changed)
                .ok()
                .and_then(|t| serde_json::from_str::<proof::Proof>(&t).ok());
            if let Some(parsed) = parsed {
                assert!(
                    proof::check(&parsed, &head).is_err(),
                    "byte {at} changed ({:?}) and the proof still checks",
                    &text[at.saturating_sub(20)..(at + 20).min(text.len())]
                );
            }
        }
        let other = merkle::hex(&merkle::leaf(b"another head"));
        assert!(
            proof::check(&proof, &other).is_err(),
            "against another head"
        );
        store.close().await;
    });
}

#[test]
fn pruned_days_are_pruned_and_the_chain_still_verifies() {
    let log = sqlite_url("seals-prune");
    block_on(async {
        let store = sealed_log(&log).await;
        let now = leadistry::date::now() as i64;
        // Everything decided more than four days ago.
        let pruned = store.prune_sealed(noon(4), now, |_| {}).await.unwrap();
        assert_eq!(pruned, 10, "the receipts of 6 and 5 days ago");
        let (intact, reports) = verify(&store, None).await;
        assert!(intact, "{reports:?}");
        let state = |days_ago: i64| {
            reports
                .iter()
                .find(|r| r.day == date(days_ago))
                .map(|r| r.state.clone())
        };
        assert_eq!(state(6), Some(DayState::Pruned));
        assert_eq!(state(5), Some(DayState::Pruned));
        assert_eq!(state(3), Some(DayState::Intact));
        assert_eq!(state(2), Some(DayState::Intact));
        store.close().await;
    });
}

#[test]
fn the_archive_keeps_each_policy_once_and_a_changed_wording_adds_one() {
    block_on(async {
        let url = sqlite_url("seals-archive");
        let document = leadistry::receipts::policy_document();
        for _ in 0..3 {
            // A start of the server: the policy in force archived, idempotently.
            let store = Store::connect(&url).await.unwrap();
            store.archive_policy(1, &document, 1_000).await.unwrap();
            store.close().await;
        }
        let store = Store::connect(&url).await.unwrap();
        let fingerprint = leadistry::receipts::policy_fingerprint();
        let kept = store.archived_policy(&fingerprint).await.unwrap().unwrap();
        assert_eq!(kept.document, document);
        assert_eq!(kept.first_served_at, 1_000);
        assert_eq!(store.policy_uses().await.unwrap().len(), 1);
        let changed = document.replace("Reject", "Decline");
        store.archive_policy(2, &changed, 2_000).await.unwrap();
        let uses = store.policy_uses().await.unwrap();
        assert_eq!(uses.len(), 2);
        assert_eq!(uses[1].revision, Some(2));
        store.close().await;
    });
}
