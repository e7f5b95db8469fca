//! The export writer: consent receipts as CSV (a header line, then one record each) or JSON
//! lines, written one at a time as they are read from the log.

use crate::receipts::{Receipt, Store, StoreError};
use clap::ValueEnum;
use futures_util::TryStreamExt;
use std::io::{self, Write};

/// The formats `leadistry export --format` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    #[value(name = "jsonl")]
    JsonLines,
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

#[cfg(test)]
mod tests {
    use super::*;

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
