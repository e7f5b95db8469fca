//! Operator commands built into the server binary: `export` and `prune`.

use super::{Receipt, Store};
use std::io::Write;

pub const USAGE: &str = "usage:
  leadistry                      serve the site (configuration: Leptos.toml)
  leadistry export [--since T] [--until T] [--format csv|jsonl]
                                 write consent receipts decided in [since, until) to stdout;
                                 T is Unix seconds or a UTC date YYYY-MM-DD
  leadistry prune                delete receipts older than receipt-retention-days";

#[derive(Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Serve,
    Export {
        since: i64,
        until: i64,
        format: Format,
    },
    Prune,
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((name, rest)) = args.split_first() else {
        return Ok(Command::Serve);
    };
    match name.as_str() {
        "export" => {
            let (mut since, mut until, mut format) = (0, i64::MAX, Format::Csv);
            let mut rest = rest.iter();
            while let Some(flag) = rest.next() {
                let value = rest.next().ok_or_else(|| format!("{flag} needs a value"))?;
                match flag.as_str() {
                    "--since" => since = parse_time(value)?,
                    "--until" => until = parse_time(value)?,
                    "--format" => {
                        format = match value.as_str() {
                            "csv" => Format::Csv,
                            "jsonl" => Format::JsonLines,
                            other => return Err(format!("unknown format {other:?}: csv or jsonl")),
                        }
                    }
                    other => return Err(format!("unknown option {other:?}")),
                }
            }
            Ok(Command::Export {
                since,
                until,
                format,
            })
        }
        "prune" if rest.is_empty() => Ok(Command::Prune),
        "-h" | "--help" | "help" => Err(String::new()),
        other => Err(format!("unknown command {other:?}")),
    }
}

/// Unix seconds, or `YYYY-MM-DD` (midnight UTC).
pub fn parse_time(text: &str) -> Result<i64, String> {
    let seconds = (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten();
    seconds
        .or_else(|| crate::date::parse_utc_date(text))
        .ok_or_else(|| format!("{text:?} is not Unix seconds or a date YYYY-MM-DD"))
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

pub fn write(receipts: &[Receipt], format: &Format, out: &mut impl Write) -> std::io::Result<()> {
    match format {
        Format::Csv => {
            writeln!(
                out,
                "consent_id,decided_at,policy_revision,policy_fingerprint,choices,method"
            )?;
            for r in receipts {
                writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    r.consent_id,
                    r.decided_at,
                    r.policy_revision,
                    r.policy_fingerprint,
                    csv_field(&r.choices),
                    r.method
                )?;
            }
        }
        Format::JsonLines => {
            for r in receipts {
                serde_json::to_writer(&mut *out, r)?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

/// Runs `export` or `prune` against the configured consent log.
pub async fn run(command: Command, store: &Store, retention_days: u32) -> Result<(), String> {
    match command {
        Command::Serve => Ok(()),
        Command::Export {
            since,
            until,
            format,
        } => {
            let receipts = store
                .export(since, until)
                .await
                .map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            write(&receipts, &format, &mut out).map_err(|e| e.to_string())
        }
        Command::Prune => {
            let now = crate::date::now() as i64;
            let before = now - i64::from(retention_days) * 86_400;
            let deleted = store.prune(before).await.map_err(|e| e.to_string())?;
            eprintln!("pruned {deleted} receipts decided before {before} (Unix seconds)");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_commands() {
        assert_eq!(parse(&[]), Ok(Command::Serve));
        assert_eq!(parse(&args(&["prune"])), Ok(Command::Prune));
        assert_eq!(
            parse(&args(&[
                "export",
                "--since",
                "2026-01-01",
                "--format",
                "jsonl"
            ])),
            Ok(Command::Export {
                since: 1_767_225_600,
                until: i64::MAX,
                format: Format::JsonLines
            })
        );
        for bad in [
            &["export", "--since"][..],
            &["export", "--format", "xml"],
            &["export", "--x", "1"],
            &["serve"],
            &["prune", "now"],
        ] {
            assert!(parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_are_unix_seconds_or_utc_dates() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("2000-03-01"), Ok(951_868_800));
        for bad in ["", "yesterday", "2026-13-01", "2026-1", "-5"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_quotes_the_choices() {
        let receipt = Receipt {
            consent_id: "id".into(),
            decided_at: 1,
            policy_revision: 2,
            policy_fingerprint: "f".into(),
            choices: r#"{"essential":"granted","analytics":"denied"}"#.into(),
            method: "banner".into(),
        };
        let mut out = Vec::new();
        write(std::slice::from_ref(&receipt), &Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(
            "id,1,2,f,\"{\"\"essential\"\":\"\"granted\"\",\"\"analytics\"\":\"\"denied\"\"}\",banner\n"
        ));
        let mut out = Vec::new();
        write(&[receipt], &Format::JsonLines, &mut out).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("{\"consent_id\":\"id\""));
    }
}
