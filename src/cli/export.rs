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

    /// A receipt with `choices`, other fields plain unless given.
    fn receipt(consent_id: &str, decided_at: i64, choices: &str) -> Receipt {
        Receipt {
            consent_id: consent_id.into(),
            decided_at,
            policy_revision: 1,
            policy_fingerprint: "f0".into(),
            choices: choices.into(),
            method: "banner".into(),
            replaces: String::new(),
        }
    }

    /// Receipts whose fields a format has to quote or escape, or must leave alone.
    fn awkward() -> Vec<Receipt> {
        vec![
            receipt("a", 0, r#"{"analytics":"denied","essential":"granted"}"#),
            Receipt {
                replaces: "a".into(),
                method: "settings".into(),
                ..receipt("b", -1, "")
            },
            receipt("c", i64::MAX, "a,b"),
            receipt("d", i64::MIN, r#"say "hi""#),
            receipt("e", 1_764_390_000, "two\nlines\r\n"),
            receipt("f", 0, "tab\there; semi;colon"),
            receipt("ü✓", 0, "ünïcödé ✓, \"quoted\""),
            receipt("h", 0, " leading and trailing "),
            Receipt {
                consent_id: String::new(),
                policy_revision: 0,
                policy_fingerprint: String::new(),
                method: String::new(),
                ..receipt("", 0, "")
            },
        ]
    }

    fn written(receipts: &[Receipt], format: Format) -> String {
        let mut out = Vec::new();
        write(receipts, &format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_a_field_only_for_a_comma_a_quote_or_a_line_break() {
        assert_eq!(
            written(&awkward(), Format::Csv),
            "consent_id,decided_at,policy_revision,policy_fingerprint,choices,method,replaces\n\
             a,0,1,f0,\"{\"\"analytics\"\":\"\"denied\"\",\"\"essential\"\":\"\"granted\"\"}\",banner,\n\
             b,-1,1,f0,,settings,a\n\
             c,9223372036854775807,1,f0,\"a,b\",banner,\n\
             d,-9223372036854775808,1,f0,\"say \"\"hi\"\"\",banner,\n\
             e,1764390000,1,f0,\"two\nlines\r\n\",banner,\n\
             f,0,1,f0,tab\there; semi;colon,banner,\n\
             ü✓,0,1,f0,\"ünïcödé ✓, \"\"quoted\"\"\",banner,\n\
             h,0,1,f0, leading and trailing ,banner,\n\
             ,0,0,,,,\n"
        );
    }

    #[test]
    fn json_lines_escape_quotes_and_line_breaks_and_keep_unicode() {
        assert_eq!(
            written(&awkward(), Format::JsonLines),
            concat!(
                r#"{"consent_id":"a","decided_at":0,"policy_revision":1,"policy_fingerprint":"f0","choices":"{\"analytics\":\"denied\",\"essential\":\"granted\"}","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"b","decided_at":-1,"policy_revision":1,"policy_fingerprint":"f0","choices":"","method":"settings","replaces":"a"}"#,
                "\n",
                r#"{"consent_id":"c","decided_at":9223372036854775807,"policy_revision":1,"policy_fingerprint":"f0","choices":"a,b","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"d","decided_at":-9223372036854775808,"policy_revision":1,"policy_fingerprint":"f0","choices":"say \"hi\"","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"e","decided_at":1764390000,"policy_revision":1,"policy_fingerprint":"f0","choices":"two\nlines\r\n","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"f","decided_at":0,"policy_revision":1,"policy_fingerprint":"f0","choices":"tab\there; semi;colon","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"ü✓","decided_at":0,"policy_revision":1,"policy_fingerprint":"f0","choices":"ünïcödé ✓, \"quoted\"","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"h","decided_at":0,"policy_revision":1,"policy_fingerprint":"f0","choices":" leading and trailing ","method":"banner","replaces":""}"#,
                "\n",
                r#"{"consent_id":"","decided_at":0,"policy_revision":0,"policy_fingerprint":"","choices":"","method":"","replaces":""}"#,
                "\n",
            )
        );
    }

    #[test]
    fn no_receipts_are_the_header_alone_in_csv_and_nothing_in_json_lines() {
        assert_eq!(
            written(&[], Format::Csv),
            "consent_id,decided_at,policy_revision,policy_fingerprint,choices,method,replaces\n"
        );
        assert_eq!(written(&[], Format::JsonLines), "");
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
        let receipts = vec![receipt("id", 1, "{}"); 10_000];
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
