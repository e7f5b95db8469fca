//! The server binary's command line: `serve` (the default), the operator commands `export`,
//! `prune`, `stats` and `config`, and the auditor's (`audit`), all reading the same
//! configuration; the writer of `export`'s formats is `export`.

pub mod audit;
pub mod export;

use crate::receipts::Store;
use crate::stats::{self, By, Days};
use clap::{Parser, Subcommand, ValueEnum};
use export::{export_to, ExportError, Format};
use std::{
    io::{self, Write},
    time::{Duration, Instant},
};

/// The Leadistry website, and the commands that look after its consent log.
///
/// Every command reads the same configuration: `Leptos.toml` (or the file `LEADISTRY_CONFIG`
/// names) and the `LEPTOS_*` / `LEADISTRY_*` environment variables.
#[derive(Debug, PartialEq, Eq, Parser)]
#[command(name = "leadistry", version)]
pub struct Cli {
    /// `None` is `serve`: `Command::default()`.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Default, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the site (the default when no command is given).
    #[default]
    Serve,
    /// Write the consent receipts decided in [since, until) to stdout.
    ///
    /// Times are Unix seconds or a UTC date YYYY-MM-DD (its midnight). With neither bound,
    /// every receipt is written, oldest first.
    Export {
        /// The first time included (Unix seconds or YYYY-MM-DD)
        #[arg(long, value_name = "T", value_parser = parse_time, default_value_t = 0)]
        since: i64,
        /// The first time excluded (Unix seconds or YYYY-MM-DD) [default: no end]
        #[arg(long, value_name = "T", value_parser = parse_time, default_value_t = i64::MAX, hide_default_value = true)]
        until: i64,
        /// csv (with a header line) or jsonl (one JSON object per line)
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Delete the receipts of the whole sealed days older than receipt-retention-days.
    ///
    /// Seals the finished days first; a pruned day keeps its seal, and `verify` says pruned.
    Prune,
    /// Print the consent figures per period: decisions, opt-in rate, banner views, refusals.
    ///
    /// Counted per whole UTC day: a time inside a day counts the whole day. Pages and
    /// refusals an instance counted reach the log within a minute (and at its shutdown).
    Stats {
        /// The first time included (Unix seconds or YYYY-MM-DD) [default: the log's beginning]
        #[arg(long, value_name = "T", value_parser = parse_time, default_value_t = 0, hide_default_value = true)]
        since: i64,
        /// The first time excluded (Unix seconds or YYYY-MM-DD) [default: no end]
        #[arg(long, value_name = "T", value_parser = parse_time, default_value_t = i64::MAX, hide_default_value = true)]
        until: i64,
        /// How to group the figures
        #[arg(long, value_enum, default_value_t = By::Day)]
        by: By,
        /// table (to read), csv or json
        #[arg(long, value_enum, default_value_t = StatsFormat::Table)]
        format: StatsFormat,
        /// Also draw the chart of decisions per day and the opt-in rate, as SVG, into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
    },
    /// Print the settings in force, secrets masked, and exit.
    Config,
    /// Seal every finished UTC day not sealed yet (as the server does), and print the head.
    ///
    /// The head (its day, receipt count, root and seal) is what to publish each day: once it
    /// is out of the operator's hands, any change to an earlier day shows.
    Seal {
        /// Seal nothing: print the latest seal only
        #[arg(long)]
        head: bool,
    },
    /// Check every sealed day against its receipts, and the chain of seals.
    ///
    /// Prints one line a day: intact, pruned, or changed (and what: receipts added, removed
    /// or altered, by id where it can tell). Exits with 1 on any change.
    Verify {
        /// The first day checked (Unix seconds or YYYY-MM-DD) [default: the first sealed]
        #[arg(long, value_name = "T", value_parser = parse_time, default_value_t = 0, hide_default_value = true)]
        since: i64,
        /// The first day not checked (Unix seconds or YYYY-MM-DD) [default: no end]
        #[arg(long, value_name = "T", value_parser = parse_time, default_value_t = i64::MAX, hide_default_value = true)]
        until: i64,
        /// A seal published earlier, in hex: it must be in the chain
        #[arg(long, value_name = "SEAL")]
        head: Option<String>,
    },
    /// Print the proof of one decision as JSON, or check one without the log.
    ///
    /// The proof holds the receipt and the decisions it replaced and that replaced it, their
    /// inclusion paths, the policy texts they were made under, and the seals to the head:
    /// checking it needs nothing but SHA-256 (the README shows how).
    Proof {
        /// The decision's id
        #[arg(required_unless_present = "check", conflicts_with = "check")]
        consent_id: Option<String>,
        /// Check the proof in FILE against the published head instead
        #[arg(long, value_name = "FILE", requires = "head")]
        check: Option<std::path::PathBuf>,
        /// The published head the proof must lead to (with --check)
        #[arg(long, value_name = "SEAL", requires = "check")]
        head: Option<String>,
    },
    /// Print the policy texts in force, or one from the archive, or list every fingerprint.
    Policy {
        /// A fingerprint from a receipt: its texts from the archive
        fingerprint: Option<String>,
        /// Every fingerprint, with its revision, its first and last decisions and its receipts
        #[arg(long, conflicts_with = "fingerprint")]
        list: bool,
        /// For --list: table or json
        #[arg(long, value_enum, default_value_t = audit::ListFormat::Table, requires = "list")]
        format: audit::ListFormat,
        /// The document word for word: the bytes its fingerprint is the SHA-256 of
        #[arg(long, conflicts_with = "list")]
        exact: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Csv,
    Json,
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

/// `export`: writes the receipts decided in `[since, until)` to stdout. A reader that stops
/// early (`| head`) ends it quietly, as a success.
pub async fn export(store: &Store, since: i64, until: i64, format: Format) -> Result<(), String> {
    let out = io::BufWriter::with_capacity(64 * 1024, io::stdout());
    match export_to(store, since, until, format, out).await {
        Ok(_) => Ok(()),
        Err(ExportError::Write(error)) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(error.to_string()),
    }
}

/// `stats`: the figures of the days that hold `[since, until)`, grouped `by`, on stdout in
/// `format`; with `svg`, the chart of those days into that file.
pub async fn stats(
    store: &Store,
    (since, until): (i64, i64),
    by: By,
    format: StatsFormat,
    svg: Option<&std::path::Path>,
) -> Result<(), String> {
    let days = Days::covering(since, until);
    let figures = stats::read(store, days, by)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(file) = svg {
        let per_day = match by {
            By::Day => figures.clone(),
            _ => stats::read(store, days, By::Day)
                .await
                .map_err(|e| e.to_string())?,
        };
        let chart = stats::chart::svg(&per_day, stats::chart::SIZE.0, stats::chart::SIZE.1)?;
        std::fs::write(file, chart).map_err(|e| format!("writing {}: {e}", file.display()))?;
    }
    let text = match format {
        StatsFormat::Table => figures.to_table(),
        StatsFormat::Csv => figures.to_csv(),
        StatsFormat::Json => figures.to_json(),
    };
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => Err(error.to_string()),
        _ => Ok(()),
    }
}

/// How often a long `prune` says how far it got.
const PRUNE_PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// `prune`: seals the finished days, then deletes the receipts of the whole sealed days older
/// than `retention_days`, in batches that leave the log to the server's saves in between, and
/// says how many on stderr (and how far it got every few seconds of a long run).
pub async fn prune(store: &Store, retention_days: u32, grace: i64) -> Result<(), String> {
    let now = crate::date::now() as i64;
    store
        .seal_finished_days(now, grace)
        .await
        .map_err(|e| e.to_string())?;
    let before = now - i64::from(retention_days) * 86_400;
    let mut said = Instant::now();
    let deleted = store
        .prune_sealed(before, now, |deleted| {
            if said.elapsed() >= PRUNE_PROGRESS_EVERY {
                eprintln!("pruning: {deleted} receipts deleted so far");
                said = Instant::now();
            }
        })
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("pruned {deleted} receipts decided before {before} (Unix seconds)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{error::ErrorKind, CommandFactory};

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("leadistry").chain(args.iter().copied()))
            .map(|cli| cli.command.unwrap_or_default())
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_commands() {
        assert_eq!(parse(&[]).unwrap(), Command::Serve);
        assert_eq!(parse(&["serve"]).unwrap(), Command::Serve);
        assert_eq!(parse(&["prune"]).unwrap(), Command::Prune);
        assert_eq!(parse(&["config"]).unwrap(), Command::Config);
        assert_eq!(
            parse(&["stats", "--by", "week", "--format", "json", "--svg", "c.svg"]).unwrap(),
            Command::Stats {
                since: 0,
                until: i64::MAX,
                by: By::Week,
                format: StatsFormat::Json,
                svg: Some("c.svg".into()),
            }
        );
        assert_eq!(
            parse(&["export"]).unwrap(),
            Command::Export {
                since: 0,
                until: i64::MAX,
                format: Format::Csv
            }
        );
        assert_eq!(
            parse(&["export", "--since", "2026-01-01", "--format", "jsonl"]).unwrap(),
            Command::Export {
                since: 1_767_225_600,
                until: i64::MAX,
                format: Format::JsonLines
            }
        );
        assert_eq!(
            parse(&["export", "--until=1000", "--since", "10", "--format", "csv"]).unwrap(),
            Command::Export {
                since: 10,
                until: 1000,
                format: Format::Csv
            }
        );
    }

    #[test]
    fn bad_usage_is_an_error_with_the_usage_exit_code() {
        for bad in [
            &["export", "--since"][..],
            &["export", "--since", "yesterday"],
            &["export", "--format", "xml"],
            &["export", "--x", "1"],
            &["serve", "now"],
            &["prune", "now"],
            &["config", "--format", "csv"],
            &["stats", "--by", "year"],
            &["stats", "--format", "xml"],
            &["purge"],
        ] {
            let error = parse(bad).expect_err(&format!("{bad:?}"));
            assert_eq!(error.exit_code(), 2, "{bad:?}: {error}");
            assert!(error.use_stderr(), "{bad:?}");
        }
    }

    #[test]
    fn help_names_every_command_and_the_export_options() {
        for args in [&["--help"][..], &["-h"], &["help"]] {
            let help = parse(args).expect_err("help is printed, not run");
            assert_eq!(help.kind(), ErrorKind::DisplayHelp);
            assert_eq!(help.exit_code(), 0);
            assert!(!help.use_stderr());
            let text = help.to_string();
            for command in ["serve", "export", "prune", "config"] {
                assert!(text.contains(command), "{command} in {text}");
            }
        }
        let help = parse(&["export", "--help"]).expect_err("help");
        assert_eq!(help.kind(), ErrorKind::DisplayHelp);
        let text = help.to_string();
        for option in [
            "--since <T>",
            "--until <T>",
            "--format <FORMAT>",
            "csv",
            "jsonl",
        ] {
            assert!(text.contains(option), "{option} in {text}");
        }
        for command in ["serve", "prune", "config"] {
            let help = parse(&[command, "--help"]).expect_err("help");
            assert_eq!(help.kind(), ErrorKind::DisplayHelp, "{command}");
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
}
