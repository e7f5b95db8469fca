//! Which of the cache's encodings a client accepts, by its `Accept-Encoding`.

use axum::http::{header, HeaderMap, HeaderValue};

/// The encodings a page is kept in, as the compression layer makes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The client's preferred one of the three: by `q`, then `first` before the other.
    pub fn accepted(headers: &HeaderMap, first: Self) -> Self {
        let (mut br, mut gzip) = (0.0, 0.0);
        for value in headers.get_all(header::ACCEPT_ENCODING) {
            for item in value.to_str().unwrap_or_default().split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                    .unwrap_or(0.0);
                match name {
                    "br" => br = q,
                    "gzip" => gzip = q,
                    "*" => {
                        br = if br == 0.0 { q } else { br };
                        gzip = if gzip == 0.0 { q } else { gzip };
                    }
                    _ => {}
                }
            }
        }
        let gzip_first = first == Self::Gzip;
        match () {
            _ if br > 0.0 && (br > gzip || (br == gzip && !gzip_first)) => Self::Brotli,
            _ if gzip > 0.0 => Self::Gzip,
            _ => Self::Identity,
        }
    }

    /// The encoding a response's `Content-Encoding` names.
    pub fn of(headers: &HeaderMap) -> Self {
        match headers
            .get(header::CONTENT_ENCODING)
            .map(HeaderValue::as_bytes)
        {
            Some(b"br") => Self::Brotli,
            Some(b"gzip") => Self::Gzip,
            _ => Self::Identity,
        }
    }

    pub fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Brotli => "br",
            Self::Gzip => "gzip",
            Self::Identity => "identity",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        Encoding::accepted(&headers, Encoding::Brotli)
    }

    #[test]
    fn the_encoding_is_the_clients_preferred_one() {
        assert_eq!(accepted("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accepted("gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0.5, gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0, gzip;q=0"), Encoding::Identity);
        assert_eq!(accepted("identity"), Encoding::Identity);
        assert_eq!(accepted("*"), Encoding::Brotli);
        assert_eq!(
            Encoding::accepted(&HeaderMap::new(), Encoding::Brotli),
            Encoding::Identity
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br"),
        );
        assert_eq!(Encoding::accepted(&headers, Encoding::Gzip), Encoding::Gzip);
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0.5, br"),
        );
        assert_eq!(
            Encoding::accepted(&headers, Encoding::Gzip),
            Encoding::Brotli
        );
    }
}
