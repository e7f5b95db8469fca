//! A decided visitor's page as the render cache keeps it: the page of their choice rendered
//! with holes where their own texts stand (`consent::personal`), each text between the holes
//! kept plain and deflated, so that a page is filled for each visitor without compressing it.
//!
//! A gzip page is spliced: each deflated text ends on a byte boundary (a sync flush), each
//! hole goes in as a stored block, and an empty final block closes the stream (RFC 1951
//! §3.2.4); the CRC is taken over the filled page. Splicing instead of compressing each page
//! is what the server bench measures (docs/benchmarks.md, Server).

use crate::consent::{
    decision::Decision,
    personal::{pieces, Personal, Piece},
};
use axum::body::Bytes;
use flate2::{Compress, Compression, FlushCompress, Status};

enum Part {
    Text { plain: Bytes, deflated: Bytes },
    Hole(Personal),
}

pub struct Template {
    parts: Vec<Part>,
}

/// An empty final stored block, after a byte boundary.
const LAST_BLOCK: [u8; 5] = [0x01, 0x00, 0x00, 0xff, 0xff];
/// gzip's header: deflate, no name, no time, unknown system.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff];

impl Template {
    /// A page rendered with holes.
    pub fn new(page: &[u8]) -> std::io::Result<Self> {
        let parts = pieces(page)
            .into_iter()
            .map(|piece| {
                Ok(match piece {
                    Piece::Text(text) => Part::Text {
                        plain: Bytes::copy_from_slice(text),
                        deflated: deflate(text)?.into(),
                    },
                    Piece::Hole(personal) => Part::Hole(personal),
                })
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Self { parts })
    }

    /// What it keeps in memory.
    pub fn size(&self) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text { plain, deflated } => plain.len() + deflated.len(),
                Part::Hole(_) => 0,
            })
            .sum()
    }

    /// The page of this visitor.
    pub fn plain(&self, decision: &Decision) -> Vec<u8> {
        let mut page = Vec::with_capacity(self.size());
        for part in &self.parts {
            match part {
                Part::Text { plain, .. } => page.extend_from_slice(plain),
                Part::Hole(personal) => page.extend_from_slice(personal.of(decision).as_bytes()),
            }
        }
        page
    }

    /// The page of this visitor, gzip-encoded.
    pub fn gzip(&self, decision: &Decision) -> Vec<u8> {
        let mut crc = crc32fast::Hasher::new();
        let mut length: u32 = 0;
        let mut out = Vec::with_capacity(self.size() / 2);
        out.extend_from_slice(&GZIP_HEADER);
        for part in &self.parts {
            let text = match part {
                Part::Text { plain, deflated } => {
                    out.extend_from_slice(deflated);
                    plain
                }
                Part::Hole(personal) => {
                    let text = Bytes::from(personal.of(decision));
                    // A stored block: header bits 000, then LEN and its complement.
                    let len = u16::try_from(text.len()).unwrap_or(u16::MAX);
                    out.push(0);
                    out.extend_from_slice(&len.to_le_bytes());
                    out.extend_from_slice(&(!len).to_le_bytes());
                    out.extend_from_slice(&text[..usize::from(len)]);
                    crc.update(&text[..usize::from(len)]);
                    length = length.wrapping_add(u32::from(len));
                    continue;
                }
            };
            crc.update(text);
            length = length.wrapping_add(text.len() as u32);
        }
        out.extend_from_slice(&LAST_BLOCK);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&length.to_le_bytes());
        out
    }
}

/// `text` as raw deflate blocks, none final, ending on a byte boundary.
fn deflate(text: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut compress = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(text.len() / 2 + 64);
    loop {
        let read = compress.total_in() as usize;
        let status = compress
            .compress_vec(&text[read..], &mut out, FlushCompress::Sync)
            .map_err(std::io::Error::other)?;
        let done = compress.total_in() as usize == text.len() && out.len() < out.capacity();
        if done || status == Status::StreamEnd {
            return Ok(out);
        }
        out.reserve(out.capacity().max(64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};
    use std::io::Read;

    #[test]
    fn a_spliced_gzip_page_is_the_filled_page() {
        let decision = Decision {
            revision: 12,
            decided_at: 1_796_194_982,
            id: ConsentId(0x74bf_a77a_e845_4ec1_a7b3_2da6_c715_0a47),
            analytics: false,
            method: Method::Settings,
        };
        let css = "body{margin:0;color:#222}".repeat(400);
        // Text that does not compress: deflated, it outgrows the first buffer.
        let mut seed = 7u32;
        let noise: String = (0..20_000)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                char::from(b'!' + (seed >> 16) as u8 % 90)
            })
            .collect();
        for page in [
            format!("<p>{noise}</p><code>\u{1}2\u{1}</code>{noise}"),
            format!("<head><style>{css}</style></head><body data-d=\"\u{1}0\u{1}\"><p>\u{1}1\u{1} \u{1}2\u{1}</p></body>"),
            "\u{1}2\u{1}".to_string(),
            "no holes".to_string(),
            String::new(),
        ] {
            let template = Template::new(page.as_bytes()).unwrap();
            let plain = template.plain(&decision);
            let mut unzipped = Vec::new();
            flate2::read::GzDecoder::new(&template.gzip(&decision)[..])
                .read_to_end(&mut unzipped)
                .unwrap();
            assert_eq!(unzipped, plain);
        }
        let template = Template::new(b"a\x011\x01b").unwrap();
        assert_eq!(template.plain(&decision), b"a2026-12-02b");
    }

    /// The weight the cache gives a template: its texts kept plain and deflated, no more.
    #[test]
    fn a_templates_size_is_its_texts_plain_and_deflated() {
        let text = "<p>Every inbound lead, to the right person.</p>".repeat(200);
        let page = format!("{text}\u{1}2\u{1}{text}");
        let template = Template::new(page.as_bytes()).unwrap();
        let plain = 2 * text.len();
        // Deflated, the repeated text is a small part of it.
        assert!(template.size() > plain, "{}", template.size());
        assert!(template.size() < plain + plain / 4, "{}", template.size());
        assert_eq!(Template::new(b"").unwrap().size(), 0);
    }
}
