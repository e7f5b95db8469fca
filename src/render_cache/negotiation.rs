//! Which of the cache's encodings a client accepts, read from `Accept-Encoding` as RFC 9110
//! §12.5.3 says.
//!
//! A small parser of our own: `headers` has no `AcceptEncoding`; tower-http's is private.
//!
//! - A coding listed with `q=0` is refused, whatever `*` says; `*` stands for every coding the
//!   header does not list. Listed twice, a coding takes its lower weight.
//! - `identity` is acceptable unless refused (`identity;q=0`, or `*;q=0` with no `identity`),
//!   and below any coding the client names, unless its own or `*`'s weight says otherwise.
//! - No header: the client has no preference, and gets identity (as from nginx or tower-http's
//!   compression layer). An empty header: identity only.
//! - Ties go to the server's `first`, then the other compression, then identity.

use axum::http::{header, HeaderMap, HeaderValue};

/// The encodings a page is kept in, as the compression layer makes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// A weight (`q`) in thousandths, as the grammar allows at most three decimals.
type Weight = u16;
const FULL: Weight = 1000;
/// `identity`'s weight when neither it nor `*` is listed: acceptable, and below any coding
/// listed with a weight above 0 (ties go to compression).
const LEAST: Weight = 1;

impl Encoding {
    /// The client's preferred one of the three, by weight, then `first`, then the other
    /// compression, then identity. A client that accepts none of them (`identity;q=0` alone)
    /// gets identity all the same: RFC 9110 §12.1 lets a server disregard the header rather
    /// than answer 406, a page is readable without a decoder, and the compression layer
    /// answers such a request uncompressed too.
    pub fn accepted(headers: &HeaderMap, first: Self) -> Self {
        Self::preferred(headers, first).unwrap_or(Self::Identity)
    }

    /// The client's preferred one of the three (identity without a header), or none if it
    /// refuses all three.
    fn preferred(headers: &HeaderMap, first: Self) -> Option<Self> {
        let mut values = headers.get_all(header::ACCEPT_ENCODING).iter().peekable();
        if values.peek().is_none() {
            return Some(Self::Identity);
        }
        let listed = Listed::read(values);
        let other = match first {
            Self::Gzip => Self::Brotli,
            _ => Self::Gzip,
        };
        let mut best: Option<(Self, Weight)> = None;
        for encoding in [first, other, Self::Identity] {
            let weight = listed.weight(encoding);
            if weight > 0 && best.is_none_or(|(_, w)| weight > w) {
                best = Some((encoding, weight));
            }
        }
        best.map(|(encoding, _)| encoding)
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

/// The weights a header gives the three encodings and `*`, where it lists them.
#[derive(Default)]
struct Listed {
    brotli: Option<Weight>,
    gzip: Option<Weight>,
    identity: Option<Weight>,
    any: Option<Weight>,
}

impl Listed {
    /// Every item of every `Accept-Encoding` line (one list, RFC 9110 §5.3).
    fn read<'a>(values: impl Iterator<Item = &'a HeaderValue>) -> Self {
        let mut listed = Self::default();
        // A line with bytes outside visible ASCII is not read, as the compression layer does
        // not read it.
        let items = values
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(trim_ows)
            .filter(|item| !item.is_empty());
        for item in items {
            let (name, weight) = match item.split_once(';') {
                None => (item, Some(FULL)),
                Some((name, weight)) => (trim_ows(name), qvalue(trim_ows(weight))),
            };
            // A weight the grammar does not allow says nothing we can trust: the item is
            // ignored, as the compression layer ignores it, so both read a header alike.
            let Some(weight) = weight else { continue };
            let slot = match name.to_ascii_lowercase().as_str() {
                "br" => &mut listed.brotli,
                // RFC 9110 §8.4.1.3: a recipient takes `x-gzip` for `gzip`.
                "gzip" | "x-gzip" => &mut listed.gzip,
                "identity" => &mut listed.identity,
                "*" => &mut listed.any,
                _ => continue,
            };
            *slot = Some(slot.map_or(weight, |w| w.min(weight)));
        }
        listed
    }

    fn weight(&self, encoding: Encoding) -> Weight {
        let (own, unlisted) = match encoding {
            Encoding::Brotli => (self.brotli, 0),
            Encoding::Gzip => (self.gzip, 0),
            Encoding::Identity => (self.identity, LEAST),
        };
        own.or(self.any).unwrap_or(unlisted)
    }
}

/// Optional whitespace (`OWS`: spaces and tabs) around an item or a `;`.
fn trim_ows(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

/// A weight, `q=` then `0` to `1` with at most three decimals (RFC 9110 §12.4.2); `q` in
/// either case, no space around `=`.
fn qvalue(weight: &str) -> Option<Weight> {
    let value = weight
        .strip_prefix("q=")
        .or_else(|| weight.strip_prefix("Q="))?;
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    if decimals.len() > 3 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = decimals
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0, |n, digit| n * 10 + Weight::from(digit - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(FULL),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    fn accepted(value: &str) -> Encoding {
        Encoding::accepted(&header(&[value]), Encoding::Brotli)
    }

    fn preferred(value: &str) -> Option<Encoding> {
        Encoding::preferred(&header(&[value]), Encoding::Brotli)
    }

    #[test]
    fn the_encoding_is_the_clients_preferred_one() {
        assert_eq!(accepted("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(accepted("gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0.5, gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0, gzip;q=0"), Encoding::Identity);
        assert_eq!(accepted("identity"), Encoding::Identity);
        assert_eq!(accepted("*"), Encoding::Brotli);
        assert_eq!(accepted("zstd, deflate"), Encoding::Identity);
        let both = header(&["gzip, br"]);
        assert_eq!(Encoding::accepted(&both, Encoding::Gzip), Encoding::Gzip);
        assert_eq!(
            Encoding::accepted(&both, Encoding::Brotli),
            Encoding::Brotli
        );
        let gzip_less = header(&["gzip;q=0.5, br"]);
        assert_eq!(
            Encoding::accepted(&gzip_less, Encoding::Gzip),
            Encoding::Brotli
        );
    }

    #[test]
    fn a_coding_with_q_0_is_refused_even_under_a_star() {
        assert_eq!(accepted("br;q=0, *"), Encoding::Gzip);
        assert_eq!(accepted("*, br;q=0"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0, gzip;q=0, *"), Encoding::Identity);
        assert_eq!(accepted("gzip;q=0, *;q=0.5"), Encoding::Brotli);
        assert_eq!(accepted("br;q=0.000, gzip;q=0.001"), Encoding::Gzip);
        // Listed twice: the lower weight.
        assert_eq!(accepted("br, gzip;q=0.5, br;q=0"), Encoding::Gzip);
        assert_eq!(accepted("x-gzip;q=0, gzip, br;q=0"), Encoding::Identity);
    }

    #[test]
    fn a_star_stands_for_every_coding_not_listed() {
        assert_eq!(accepted("gzip;q=0.5, *"), Encoding::Brotli);
        assert_eq!(accepted("br;q=0.5, *"), Encoding::Gzip);
        assert_eq!(accepted("*;q=0.5, br;q=0.4"), Encoding::Gzip);
        assert_eq!(accepted("*;q=0.5, identity"), Encoding::Identity);
        assert_eq!(accepted("*;q=0"), Encoding::Identity);
        assert_eq!(preferred("*;q=0"), None, "identity is refused too");
        assert_eq!(preferred("gzip, *;q=0"), Some(Encoding::Gzip));
    }

    #[test]
    fn identity_is_acceptable_unless_excluded() {
        assert_eq!(preferred("zstd"), Some(Encoding::Identity));
        assert_eq!(preferred("br;q=0"), Some(Encoding::Identity));
        assert_eq!(preferred("*;q=0, identity"), Some(Encoding::Identity));
        assert_eq!(preferred("*;q=0, identity;q=0.1"), Some(Encoding::Identity));
        assert_eq!(preferred("identity;q=0"), None);
        assert_eq!(preferred("identity;q=0, *"), Some(Encoding::Brotli));
        assert_eq!(preferred("*;q=0, identity;q=0"), None);
        // Below any coding the client names, unless weighed higher.
        assert_eq!(preferred("gzip;q=0.001"), Some(Encoding::Gzip));
        assert_eq!(preferred("gzip;q=0.5, identity"), Some(Encoding::Identity));
        assert_eq!(preferred("gzip, identity;q=0.5"), Some(Encoding::Gzip));
        assert_eq!(
            preferred("gzip;q=0.5, identity;q=0.5"),
            Some(Encoding::Gzip)
        );
    }

    #[test]
    fn a_client_that_accepts_nothing_gets_identity() {
        for value in ["identity;q=0", "*;q=0", "br;q=0, gzip;q=0, identity;q=0"] {
            assert_eq!(preferred(value), None, "{value}");
            assert_eq!(accepted(value), Encoding::Identity, "{value}");
        }
    }

    #[test]
    fn no_header_means_identity_and_an_empty_one_identity_only() {
        assert_eq!(
            Encoding::preferred(&HeaderMap::new(), Encoding::Brotli),
            Some(Encoding::Identity)
        );
        for empty in ["", " ", ",", " , ,"] {
            assert_eq!(preferred(empty), Some(Encoding::Identity), "{empty:?}");
        }
        // Lines of one header are one list; an empty line adds nothing to the others.
        let lines = header(&["", "gzip;q=0.5", "br;q=0.4"]);
        assert_eq!(Encoding::accepted(&lines, Encoding::Brotli), Encoding::Gzip);
        let refused = header(&["br", "br;q=0"]);
        assert_eq!(
            Encoding::accepted(&refused, Encoding::Brotli),
            Encoding::Identity
        );
    }

    #[test]
    fn q_values_follow_the_grammar() {
        assert_eq!(qvalue("q=0"), Some(0));
        assert_eq!(qvalue("q=0."), Some(0));
        assert_eq!(qvalue("q=0.5"), Some(500));
        assert_eq!(qvalue("q=0.25"), Some(250));
        assert_eq!(qvalue("q=0.001"), Some(1));
        assert_eq!(qvalue("q=0.999"), Some(999));
        assert_eq!(qvalue("Q=1"), Some(1000));
        assert_eq!(qvalue("q=1."), Some(1000));
        assert_eq!(qvalue("q=1.000"), Some(1000));
        for bad in [
            "q=",
            "q=1.001",
            "q=1.5",
            "q=2",
            "q=0.0001",
            "q=.5",
            "q=-0",
            "q=+1",
            "q=0,5",
            "q=0.5x",
            "q=1e0",
            "q = 0.5",
            "q =0.5",
            "qq=0.5",
            "level=1",
            "",
            "q=0.5;q=1",
        ] {
            assert_eq!(qvalue(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn an_item_with_a_malformed_weight_is_ignored() {
        assert_eq!(accepted("br;q=1.5, gzip"), Encoding::Gzip);
        assert_eq!(accepted("br;q=high, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(accepted("br;q=0.5000"), Encoding::Identity);
        assert_eq!(accepted("br;, gzip;q=0.5"), Encoding::Gzip);
        // Not a refusal either: `*` still stands for it.
        assert_eq!(accepted("br;q=-1, *"), Encoding::Brotli);
        assert_eq!(preferred("identity;q=zero"), Some(Encoding::Identity));
    }

    #[test]
    fn names_are_case_insensitive_and_whitespace_is_tolerated() {
        assert_eq!(accepted("BR"), Encoding::Brotli);
        assert_eq!(accepted("GZip, Br;Q=0.5"), Encoding::Gzip);
        assert_eq!(accepted("X-GZIP"), Encoding::Gzip);
        assert_eq!(preferred("IDENTITY;Q=0"), None);
        assert_eq!(
            accepted("  gzip ;\tq=0.5 ,\tbr ; q=0.8  "),
            Encoding::Brotli
        );
        assert_eq!(accepted("gzip,br;q=0"), Encoding::Gzip);
        assert_eq!(accepted("b r, g zip"), Encoding::Identity);
    }

    #[test]
    fn a_line_that_is_not_visible_ascii_adds_nothing() {
        let mut headers = header(&["gzip;q=0.5"]);
        headers.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_bytes(b"br\xff").unwrap(),
        );
        assert_eq!(
            Encoding::accepted(&headers, Encoding::Brotli),
            Encoding::Gzip
        );
    }

    #[test]
    fn the_header_written_is_the_one_read() {
        for encoding in [Encoding::Brotli, Encoding::Gzip, Encoding::Identity] {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, encoding.header());
            assert_eq!(Encoding::accepted(&headers, Encoding::Brotli), encoding);
            let mut response = HeaderMap::new();
            response.insert(header::CONTENT_ENCODING, encoding.header());
            assert_eq!(Encoding::of(&response), encoding);
        }
    }
}
