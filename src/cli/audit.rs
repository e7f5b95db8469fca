//! The auditor's commands: `seal`, `verify`, `proof` and `policy`, over the seals and the
//! policy archive of the consent log.

use crate::receipts::{
    policy_document, policy_fingerprint, proof, DayReport, DayState, PolicyUse, Store,
};
use clap::ValueEnum;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// `seal`: seals the finished days not sealed yet (unless `head_only`), saying so on stderr,
/// and prints the head on stdout.
pub async fn seal(store: &Store, grace: i64, head_only: bool) -> Result<(), String> {
    if !head_only {
        let now = crate::date::now() as i64;
        let sealed = store
            .seal_finished_days(now, grace)
            .await
            .map_err(|e| e.to_string())?;
        for seal in &sealed {
            eprintln!("sealed {}: {} receipts", seal.date(), seal.receipts);
        }
        if sealed.is_empty() {
            eprintln!("no finished day left to seal");
        }
    }
    match store.head().await.map_err(|e| e.to_string())? {
        Some(head) => {
            println!("{:#}", head.to_json());
            Ok(())
        }
        None => Err("no day is sealed yet".into()),
    }
}

/// `verify`: one line a day on stdout, a summary on stderr; an error when anything changed.
pub async fn verify(
    store: &Store,
    (since, until): (i64, i64),
    head: Option<&str>,
) -> Result<(), String> {
    let (since_day, until_day) = (since.div_euclid(86_400), until.div_euclid(86_400));
    let mut out = std::io::stdout().lock();
    let (mut intact, mut pruned, mut changed) = (0, 0, 0);
    let mut line = |report: &DayReport| {
        let (state, what) = match &report.state {
            DayState::Intact => ("intact", String::new()),
            DayState::Pruned => ("pruned", String::new()),
            DayState::Changed(what) => ("changed", format!(": {}", what.join("; "))),
        };
        match report.state {
            DayState::Intact => intact += 1,
            DayState::Pruned => pruned += 1,
            DayState::Changed(_) => changed += 1,
        }
        let _ = writeln!(
            out,
            "{}  {state:<7}  {} receipts{what}",
            report.day, report.receipts
        );
    };
    let ok = store
        .verify(since_day, until_day.max(since_day), head, &mut line)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("{intact} days intact, {pruned} pruned, {changed} changed");
    match ok {
        true => Ok(()),
        false => Err("the consent log is not as it was sealed".into()),
    }
}

/// `proof CONSENT_ID`: the proof document on stdout.
pub async fn proof(store: &Store, consent_id: &str) -> Result<(), String> {
    let proof = store.proof(consent_id).await.map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&proof).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// `proof --check FILE --head SEAL`: checks a proof with SHA-256 alone, no log.
pub fn check_proof(file: &std::path::Path, head: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let proof: proof::Proof =
        serde_json::from_str(&text).map_err(|e| format!("{}: not a proof: {e}", file.display()))?;
    match proof::check(&proof, head) {
        Ok(()) => {
            println!(
                "{}: {} decisions in the chain that ends at {head}",
                proof.consent_id,
                proof.decisions.len()
            );
            Ok(())
        }
        Err(wrong) => Err(format!(
            "the proof does not hold:\n  {}",
            wrong.join("\n  ")
        )),
    }
}

/// `policy`: the texts in force, an archived one (`exact`: word for word, the bytes its
/// fingerprint hashes), or every fingerprint with its use.
pub async fn policy(
    store: Option<&Store>,
    fingerprint: Option<&str>,
    list: bool,
    format: ListFormat,
    exact: bool,
) -> Result<(), String> {
    let store_or = || store.ok_or_else(|| "the consent log is needed".to_string());
    if list {
        let uses = store_or()?.policy_uses().await.map_err(|e| e.to_string())?;
        print!(
            "{}",
            match format {
                ListFormat::Json => serde_json::to_string_pretty(&uses).unwrap_or_default() + "\n",
                ListFormat::Table => uses_table(&uses),
            }
        );
        return Ok(());
    }
    let (fingerprint, document) = match fingerprint {
        None => (policy_fingerprint(), policy_document()),
        Some(fingerprint) => {
            let archived = store_or()?
                .archived_policy(fingerprint)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the archive holds no policy {fingerprint}"))?;
            (archived.fingerprint, archived.document)
        }
    };
    if exact {
        print!("{document}");
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_str(&document).map_err(|e| e.to_string())?;
    eprintln!("policy {fingerprint}");
    println!("{value:#}");
    Ok(())
}

fn uses_table(uses: &[PolicyUse]) -> String {
    let date = |at: Option<i64>| at.map_or("–".into(), |at| crate::date::utc_date(at as u64));
    let mut out = format!(
        "{:<64}  {:>8}  {:<10}  {:<14}  {:<13}  {:>8}\n",
        "fingerprint", "revision", "first shown", "first decision", "last decision", "receipts"
    );
    for u in uses {
        let revision = u.revision.map_or("–".into(), |r| r.to_string());
        out.push_str(&format!(
            "{:<64}  {:>8}  {:<10}  {:<14}  {:<13}  {:>8}\n",
            u.fingerprint,
            revision,
            date(u.first_served_at),
            date(u.first_decision),
            date(u.last_decision),
            u.receipts
        ));
    }
    out
}
