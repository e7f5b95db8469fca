//! The server binary's command line: `serve` (the default), and the operator commands
//! `export`, `prune`, `stats` and `config`, all reading the same configuration.

use crate::receipts::{Receipt, Store, StoreError, PRUNE_BATCH};
use crate::stats::{self, By, Days};
use clap::{Parser, Subcommand, ValueEnum};
use futures_util::TryStreamExt;
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
    /// Delete the receipts decided longer ago than receipt-retention-days.
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    #[value(name = "jsonl")]
    JsonLines,
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

/// The CSV header line: the fields of [`Receipt`], in order.
const CSV_HEADER: [&str; 7] = [
    "consent_id",
    "decided_at",
    "policy_revision",
    "policy_fingerprint",
    "choices",
    "method",
    "replaces",
];

/// Writes receipts one at a time in an export format: CSV through the `csv` crate (quoted only
/// where needed), JSON lines through serde.
pub enum Writer<W: Write> {
    Csv(Box<csv::Writer<W>>),
    JsonLines(W),
}

impl<W: Write> Writer<W> {
    /// A writer that has written the format's header, if it has one.
    pub fn new(format: Format, out: W) -> io::Result<Self> {
        Ok(match format {
            Format::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out);
                csv.write_record(CSV_HEADER).map_err(csv_io)?;
                Self::Csv(Box::new(csv))
            }
            Format::JsonLines => Self::JsonLines(out),
        })
    }

    pub fn receipt(&mut self, receipt: &Receipt) -> io::Result<()> {
        match self {
            Self::Csv(csv) => csv.serialize(receipt).map_err(csv_io),
            Self::JsonLines(out) => {
                serde_json::to_writer(&mut *out, receipt)?;
                out.write_all(b"\n")
            }
        }
    }

    /// Flushes what is buffered and hands back the output.
    pub fn finish(self) -> io::Result<W> {
        let mut out = match self {
            Self::Csv(csv) => csv.into_inner().map_err(|e| e.into_error())?,
            Self::JsonLines(out) => out,
        };
        out.flush()?;
        Ok(out)
    }
}

/// The I/O error inside a `csv` error, so that a closed stdout is still `BrokenPipe`.
fn csv_io(error: csv::Error) -> io::Error {
    if !matches!(error.kind(), csv::ErrorKind::Io(_)) {
        return error.into();
    }
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        _ => unreachable!("checked above"),
    }
}

/// Writes `receipts` in `format`, header included.
pub fn write(receipts: &[Receipt], format: &Format, out: &mut impl Write) -> io::Result<()> {
    let mut writer = Writer::new(*format, out)?;
    for receipt in receipts {
        writer.receipt(receipt)?;
    }
    writer.finish().map(drop)
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the export: {0}")]
    Write(#[from] io::Error),
}

/// Writes the receipts decided in `[since, until)` to `out` as they are read from the log;
/// returns how many.
pub async fn export_to(
    store: &Store,
    since: i64,
    until: i64,
    format: Format,
    out: impl Write,
) -> Result<u64, ExportError> {
    let mut writer = Writer::new(format, out)?;
    let mut receipts = std::pin::pin!(store.receipts(since, until));
    let mut written = 0;
    while let Some(receipt) = receipts.try_next().await? {
        writer.receipt(&receipt)?;
        written += 1;
    }
    writer.finish()?;
    Ok(written)
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

/// `prune`: deletes the receipts older than `retention_days`, in batches that leave the log
/// to the server's saves in between, and says how many on stderr (and how far it got every
/// few seconds of a long run).
pub async fn prune(store: &Store, retention_days: u32) -> Result<(), String> {
    let now = crate::date::now() as i64;
    let before = now - i64::from(retention_days) * 86_400;
    let mut said = Instant::now();
    let deleted = store
        .prune_in_batches(before, PRUNE_BATCH, |deleted| {
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

    #[test]
    fn csv_quotes_the_choices() {
        let receipt = Receipt {
            consent_id: "id".into(),
            decided_at: 1,
            policy_revision: 2,
            policy_fingerprint: "f".into(),
            choices: r#"{"essential":"granted","analytics":"denied"}"#.into(),
            method: "banner".into(),
            replaces: String::new(),
        };
        let mut out = Vec::new();
        write(std::slice::from_ref(&receipt), &Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(
            "id,1,2,f,\"{\"\"essential\"\":\"\"granted\"\",\"\"analytics\"\":\"\"denied\"\"}\",banner,\n"
        ));
        let mut out = Vec::new();
        write(&[receipt], &Format::JsonLines, &mut out).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .starts_with("{\"consent_id\":\"id\""));
    }

    /// The export writer before it streamed (hand-made CSV quoting, every line through
    /// `writeln!`), kept as the reference for the format.
    fn old_write(receipts: &[Receipt], format: &Format, out: &mut impl Write) -> io::Result<()> {
        fn csv_field(value: &str) -> String {
            if value.contains([',', '"', '\n']) {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value.to_string()
            }
        }
        match format {
            Format::Csv => {
                writeln!(
                    out,
                    "consent_id,decided_at,policy_revision,policy_fingerprint,choices,method,\
                     replaces"
                )?;
                for r in receipts {
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{}",
                        r.consent_id,
                        r.decided_at,
                        r.policy_revision,
                        r.policy_fingerprint,
                        csv_field(&r.choices),
                        r.method,
                        r.replaces
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

    #[test]
    fn the_streaming_writer_writes_what_the_old_one_wrote() {
        let awkward = [
            r#"{"analytics":"denied","essential":"granted"}"#,
            "",
            "plain",
            "a,b",
            r#"say "hi""#,
            "\"",
            "two\nlines",
            "tab\there; semi;colon",
            "ünïcödé ✓, \"quoted\"\n",
            r#"{"note":"a, \"b\"\nc"}"#,
            " leading and trailing ",
        ];
        let receipts: Vec<Receipt> = awkward
            .iter()
            .enumerate()
            .map(|(i, choices)| Receipt {
                consent_id: format!("00000000-0000-4000-8000-{i:012}"),
                decided_at: [0, -1, i64::MAX, i64::MIN, 1_764_390_000][i % 5],
                policy_revision: i as i64,
                policy_fingerprint: "0123456789abcdef".repeat(4),
                choices: choices.to_string(),
                method: ["banner", "settings", "form"][i % 3].into(),
                replaces: ["", "00000000-0000-4000-8000-000000000001"][i % 2].into(),
            })
            .collect();
        for format in [Format::Csv, Format::JsonLines] {
            for receipts in [&receipts[..], &receipts[..1], &[]] {
                let (mut old, mut new) = (Vec::new(), Vec::new());
                old_write(receipts, &format, &mut old).unwrap();
                write(receipts, &format, &mut new).unwrap();
                assert_eq!(
                    String::from_utf8(new).unwrap(),
                    String::from_utf8(old).unwrap(),
                    "{format:?}, {} receipts",
                    receipts.len()
                );
            }
        }
    }

    /// Writes up to `room` bytes, then fails as a closed pipe does.
    struct ClosedAfter {
        room: usize,
    }

    impl Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_output_is_a_broken_pipe_in_both_formats() {
        let receipt = Receipt {
            consent_id: "id".into(),
            decided_at: 1,
            policy_revision: 2,
            policy_fingerprint: "f".into(),
            choices: "{}".into(),
            method: "banner".into(),
            replaces: String::new(),
        };
        let receipts = vec![receipt; 10_000];
        for format in [Format::Csv, Format::JsonLines] {
            let error = write(&receipts, &format, &mut ClosedAfter { room: 100 }).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::BrokenPipe,
                "{format:?}: {error}"
            );
        }
    }
}
