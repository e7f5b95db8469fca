//! Brotli and gzip as the compression layer makes them: a rendered page decoded to be kept as
//! a template, a filled one compressed in Brotli (gzip is spliced by `template`).

use super::negotiation::Encoding;
use std::io::Read;

/// `page` in Brotli, as the compression layer makes it (quality 4), with a window no larger
/// than the page: the default 4 MiB one is slower on a page (docs/benchmarks.md, hand-written
/// code).
pub fn brotli(page: &[u8]) -> std::io::Result<Vec<u8>> {
    let lgwin = (usize::BITS - page.len().leading_zeros()).clamp(10, 22) as i32;
    let params = brotli::enc::BrotliEncoderParams {
        quality: 4,
        lgwin,
        size_hint: page.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(page.len() / 4);
    brotli::BrotliCompress(&mut &page[..], &mut out, &params)?;
    Ok(out)
}

/// `body`, in `encoding`, as plain bytes.
pub fn decode(encoding: Encoding, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut plain = Vec::with_capacity(body.len() * 4);
    match encoding {
        Encoding::Brotli => brotli::Decompressor::new(body, 4096).read_to_end(&mut plain)?,
        Encoding::Gzip => flate2::read::GzDecoder::new(body).read_to_end(&mut plain)?,
        Encoding::Identity => return Ok(body.to_vec()),
    };
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_comes_back_from_each_encoding() {
        let page = "<p>kept</p>".repeat(2000);
        let compressed = brotli(page.as_bytes()).unwrap();
        assert!(
            compressed.len() < page.len() / 10,
            "{} bytes",
            compressed.len()
        );
        assert_eq!(
            decode(Encoding::Brotli, &compressed).unwrap(),
            page.as_bytes()
        );
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gzip, page.as_bytes()).unwrap();
        let gzip = gzip.finish().unwrap();
        assert_eq!(decode(Encoding::Gzip, &gzip).unwrap(), page.as_bytes());
        assert_eq!(
            decode(Encoding::Identity, page.as_bytes()).unwrap(),
            page.as_bytes()
        );
        assert!(decode(Encoding::Gzip, b"not gzip").is_err());
        assert_eq!(
            decode(Encoding::Brotli, &brotli(b"").unwrap()).unwrap(),
            b""
        );
    }
}
