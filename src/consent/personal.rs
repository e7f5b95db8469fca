//! The visitor's own data in a page: their decision as the page carries it, its date and its
//! id. The render cache (`render_cache`) renders a decided visitor's page once per path and
//! choice with holes where these stand, and fills them for each visitor.

use super::decision::Decision;

/// One of the visitor's own texts in a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Personal {
    /// The decision in its cookie text, on `<body>` for the islands.
    Decision,
    /// The day it was made (UTC), in the decision line.
    Date,
    /// Its id, in the decision line.
    Id,
}

/// Marks a hole in a page rendered as a template. A control character: no page text,
/// attribute or URL a page carries holds one.
pub const MARK: u8 = 1;

impl Personal {
    pub const ALL: [Self; 3] = [Self::Decision, Self::Date, Self::Id];

    /// Its text for this decision. Digits, letters, `.` and `-` only: it stands in text and
    /// attributes without escaping.
    pub fn of(self, decision: &Decision) -> String {
        match self {
            Self::Decision => decision.to_string(),
            Self::Date => crate::date::utc_date(decision.decided_at),
            Self::Id => decision.id.to_string(),
        }
    }

    /// What a page shows for it: its text, or its hole when the page is rendered as a
    /// template (a request with `Holes` in its extensions).
    pub fn in_page(self, decision: &Decision) -> String {
        #[cfg(feature = "ssr")]
        if holes_asked() {
            return self.hole();
        }
        self.of(decision)
    }

    #[cfg(any(feature = "ssr", test))]
    fn hole(self) -> String {
        let mark = char::from(MARK);
        format!("{mark}{}{mark}", self as u8)
    }

    /// The hole a template holds after a `MARK`, up to and without the closing one.
    pub fn from_hole(inside: &[u8]) -> Option<Self> {
        Self::ALL.into_iter().find(|p| inside == [b'0' + *p as u8])
    }
}

/// Asks a page render for holes in place of the visitor's own texts.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug)]
pub struct Holes;

#[cfg(feature = "ssr")]
fn holes_asked() -> bool {
    use leptos::prelude::with_context;
    with_context::<http::request::Parts, _>(|parts| parts.extensions.get::<Holes>().is_some())
        .unwrap_or(false)
}

/// A piece of a page rendered as a template: its own text, or a hole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a [u8]),
    Hole(Personal),
}

/// A page rendered as a template, in pieces; a lone `MARK` stays text.
pub fn pieces(template: &[u8]) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let (mut text_from, mut at) = (0, 0);
    while let Some(start) = template[at..]
        .iter()
        .position(|&b| b == MARK)
        .map(|i| at + i)
    {
        let after = start + 1;
        let hole = template[after..]
            .iter()
            .position(|&b| b == MARK)
            .and_then(|len| Some((Personal::from_hole(&template[after..after + len])?, len)));
        match hole {
            Some((personal, len)) => {
                if text_from < start {
                    pieces.push(Piece::Text(&template[text_from..start]));
                }
                pieces.push(Piece::Hole(personal));
                at = after + len + 1;
                text_from = at;
            }
            None => at = after,
        }
    }
    if text_from < template.len() {
        pieces.push(Piece::Text(&template[text_from..]));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::decision::{ConsentId, Method};

    #[test]
    fn a_template_is_cut_at_its_holes() {
        let template = format!(
            "<body data-d=\"{}\"><span>{}</span><code>{}</code>\u{1}x\u{1}{}",
            Personal::Decision.hole(),
            Personal::Date.hole(),
            Personal::Id.hole(),
            Personal::Id.hole(),
        );
        assert_eq!(
            pieces(template.as_bytes()),
            [
                Piece::Text(b"<body data-d=\""),
                Piece::Hole(Personal::Decision),
                Piece::Text(b"\"><span>"),
                Piece::Hole(Personal::Date),
                Piece::Text(b"</span><code>"),
                Piece::Hole(Personal::Id),
                Piece::Text(b"</code>\x01x\x01"),
                Piece::Hole(Personal::Id),
            ]
        );
        assert_eq!(pieces(b"plain"), [Piece::Text(b"plain")]);
        assert!(pieces(b"").is_empty());
    }

    #[test]
    fn the_visitors_texts_need_no_escaping() {
        let decision = Decision {
            revision: 3,
            decided_at: 1_796_194_982,
            id: ConsentId(0xabc),
            analytics: true,
            method: Method::Banner,
        };
        assert_eq!(Personal::Date.of(&decision), "2026-12-02");
        for personal in Personal::ALL {
            let text = personal.of(&decision);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
                "{text}"
            );
        }
    }
}
