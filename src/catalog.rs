//! The cookie catalog: the one list of cookie categories that the Cookie Notice's table,
//! the consent banner and the preferences dialog all read, so they can never disagree.

use serde::{Deserialize, Serialize};

/// A category of cookies the visitor can (or cannot) switch off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Essential,
    Analytics,
}

impl Category {
    /// The stable name used in forms, cookies and receipts.
    pub const fn key(self) -> &'static str {
        match self {
            Category::Essential => "essential",
            Category::Analytics => "analytics",
        }
    }
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct CookieCategory {
    pub category: Category,
    /// Heading as the Cookie Notice writes it.
    pub name: &'static str,
    pub purpose: &'static str,
    /// The notice's "Examples" cell, word for word.
    pub examples: &'static str,
    /// Every cookie name the category covers; each also appears in `examples`.
    pub cookies: &'static [&'static str],
    pub can_disable: bool,
}

pub const ESSENTIAL: CookieCategory = CookieCategory {
    category: Category::Essential,
    name: "Essential",
    purpose: "Authentication, session management, security, and core platform functionality",
    examples: "Session token (lf_token), cookie consent preference (lf_cookie_consent)",
    cookies: &["lf_token", "lf_cookie_consent"],
    can_disable: false,
};

pub const ANALYTICS: CookieCategory = CookieCategory {
    category: Category::Analytics,
    name: "Analytics & behavioural",
    purpose: "Understanding how visitors use the site, heatmaps, session recordings, and interaction tracking",
    examples: "Microsoft Clarity (_clck, _clsk, CLID, MUID)",
    cookies: &["_clck", "_clsk", "CLID", "MUID"],
    can_disable: true,
};

/// All categories, in the order the notice lists them.
pub const CATALOG: &[CookieCategory] = &[ESSENTIAL, ANALYTICS];

/// The session cookie. Nothing in the consent system reads, writes or deletes it.
pub const SESSION_COOKIE: &str = "lf_token";
/// The cookie that stores the visitor's consent decision.
pub const CONSENT_COOKIE: &str = "lf_cookie_consent";
/// Cookies Clarity writes on this site's own domains (CLID and MUID live on Microsoft's).
pub const CLARITY_FIRST_PARTY_COOKIES: &[&str] = &["_clck", "_clsk"];

// Essential cookies can never be switched off; analytics always can.
const _: () = assert!(!ESSENTIAL.can_disable && ANALYTICS.can_disable);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cookie_is_named_in_the_examples_the_notice_shows() {
        for category in CATALOG {
            for cookie in category.cookies {
                assert!(
                    category.examples.contains(cookie),
                    "{cookie} missing from {}",
                    category.name
                );
            }
        }
    }

    #[test]
    fn only_the_session_and_consent_cookies_are_essential() {
        assert_eq!(ESSENTIAL.cookies, &[SESSION_COOKIE, CONSENT_COOKIE]);
    }

    #[test]
    fn clarity_is_never_essential() {
        for cookie in CLARITY_FIRST_PARTY_COOKIES {
            assert!(!ESSENTIAL.cookies.contains(cookie));
            assert!(ANALYTICS.cookies.contains(cookie));
        }
    }
}
