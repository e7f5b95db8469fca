//! The Cookie Notice, word for word: `/cookie-notice` renders it from here, and the policy
//! fingerprint kept with each receipt hashes it, so an edit to the notice shows in the proof.
//! Its table's rows come from the cookie catalog.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Notice {
    pub title: &'static str,
    pub updated: &'static str,
    /// Before the table.
    pub opening: Section,
    pub table: Table,
    /// After the table, in order.
    pub sections: [Section; 5],
    pub related: Related,
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub heading: &'static str,
    pub paragraphs: &'static [&'static str],
}

/// The table of cookie types; one row per category of the catalog.
#[derive(Debug, Serialize)]
pub struct Table {
    pub heading: &'static str,
    pub columns: [&'static str; 4],
    /// "Can disable?", answered.
    pub yes: &'static str,
    pub no: &'static str,
}

/// "See also our Privacy Notice, Terms of Service, and Acceptable Use Policy."
#[derive(Debug, Serialize)]
pub struct Related {
    pub heading: &'static str,
    pub see_also: &'static str,
    pub separator: &'static str,
    pub last_separator: &'static str,
    pub end: &'static str,
}

pub const NOTICE: Notice = Notice {
    title: "Cookie Notice",
    updated: "Last updated: March 2026.",
    opening: Section {
        heading: "What are cookies?",
        paragraphs: &["Cookies are small text files placed on your device when you visit a website. They help websites remember your preferences, keep you signed in, and understand how you use the site. Similar technologies such as local storage and session storage serve comparable purposes."],
    },
    table: Table {
        heading: "How Leadistry uses cookies",
        columns: ["Cookie type", "Purpose", "Examples", "Can disable?"],
        yes: "Yes",
        no: "No",
    },
    sections: [
        Section {
            heading: "Microsoft Clarity",
            paragraphs: &[
                "We use Microsoft Clarity for behavioural analytics. Clarity uses cookies to collect data including pages visited, clicks, scrolls, and session recordings. This data helps us improve the design, usability, and performance of Leadistry. Clarity data is processed by Microsoft and is subject to the Microsoft Privacy Statement.",
                "Microsoft Clarity is a non-essential analytics tool and is only loaded after consent has been provided for analytics and behavioural cookies.",
            ],
        },
        Section {
            heading: "Essential cookies",
            paragraphs: &["Essential cookies are required for the site to function. They cannot be disabled. These include the authentication token that keeps you signed in and your cookie consent preference, which remembers whether you have accepted or declined non-essential cookies."],
        },
        Section {
            heading: "Your choices",
            paragraphs: &[
                "You can accept or decline non-essential cookies at any time using our cookie banner. To reopen your cookie preferences, click “Cookie Settings” in the footer. If you decline analytics cookies, Microsoft Clarity will not be loaded. Essential cookies remain active regardless of your preference, as they are necessary for the platform to work.",
                "Our cookie controls must make rejecting non-essential cookies as easy as accepting them.",
            ],
        },
        Section {
            heading: "Browser settings",
            paragraphs: &["You can also control cookies through your browser settings. Most browsers allow you to block or delete cookies. Note that blocking essential cookies may prevent you from signing in or using core features of the platform."],
        },
        Section {
            heading: "Changes to this notice",
            paragraphs: &["We may update this Cookie Notice from time to time. The most recent version is always available on this page."],
        },
    ],
    related: Related {
        heading: "Related",
        see_also: "See also our ",
        separator: ", ",
        last_separator: ", and ",
        end: ".",
    },
};
