//! Every sentence and label a visitor reads in the consent controls, written once.
//!
//! The views render from here and the policy fingerprint kept with each receipt hashes all of
//! `WORDING` (with the cookie catalog), so a change to anything the visitor reads before
//! choosing changes the fingerprint; `STATUS`, which says what happens to a choice made, is
//! outside it. Category names and purposes live in the catalog.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Wording {
    pub banner: Banner,
    pub preferences: Preferences,
    pub settings_page: SettingsPage,
    pub decision: DecisionLine,
    pub errors: Errors,
    /// "Cookie Settings" in every footer, and the settings page's title.
    pub cookie_settings: &'static str,
    /// The link to the Cookie Notice from the banner and the settings page.
    pub read_notice: &'static str,
    /// Shown when Global Privacy Control decided for a visitor who has not chosen.
    pub gpc_honoured: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Banner {
    pub title: &'static str,
    pub text: &'static str,
    /// Shown above the text when the visitor's decision was on an earlier revision.
    pub policy_changed: &'static str,
    pub accept: &'static str,
    pub reject: &'static str,
    /// Opens the preferences.
    pub preferences: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Preferences {
    pub title: &'static str,
    pub intro: &'static str,
    /// The close button's accessible name, and its visible symbol.
    pub close: &'static str,
    pub close_symbol: &'static str,
    /// After an essential category's purpose.
    pub always_on: &'static str,
    pub save: &'static str,
    pub accept_all: &'static str,
    pub reject_all: &'static str,
}

#[derive(Debug, Serialize)]
pub struct SettingsPage {
    pub intro: &'static str,
    pub no_choice_yet: &'static str,
}

/// "Your current choice: analytics refused, decided on 2026-11-29 (UTC). Decision id: …",
/// in the pieces the line is rendered from.
#[derive(Debug, Serialize)]
pub struct DecisionLine {
    pub current_choice: &'static str,
    pub allowed: &'static str,
    pub refused: &'static str,
    pub decided_on: &'static str,
    pub utc_and_id: &'static str,
}

/// Why a choice was not saved; each says that nothing changed.
#[derive(Debug, Serialize)]
pub struct Errors {
    pub not_saved: &'static str,
    pub too_many: &'static str,
    pub invalid: &'static str,
}

/// What the status line says of a control taken before the islands are ready
/// (`src/islands.js`), for screen readers. Not in `WORDING`: it says what happens to a choice
/// already made, not what the visitor chooses, so it is not part of the policy fingerprint
/// (changing it must not ask every visitor again).
#[derive(Debug)]
pub struct Status {
    pub saving: &'static str,
    pub saved: &'static str,
    pub opening: &'static str,
}

pub const WORDING: Wording = Wording {
    banner: Banner {
        title: "Cookies on Leadistry",
        text: "Essential cookies keep this site working. Microsoft Clarity analytics runs only if you accept.",
        policy_changed: "Our cookie policy has changed since you last chose, so we are asking again.",
        accept: "Accept",
        reject: "Reject",
        preferences: "Preferences",
    },
    preferences: Preferences {
        title: "Cookie preferences",
        intro: "Choose which cookies Leadistry may use. You can change this at any time from “Cookie Settings” in the footer.",
        close: "Close without saving",
        close_symbol: "×",
        always_on: "Always on.",
        save: "Save",
        accept_all: "Accept all",
        reject_all: "Reject all",
    },
    settings_page: SettingsPage {
        intro: "Choose which cookies Leadistry may use. Essential cookies are always on; analytics runs only if you allow it.",
        no_choice_yet: "You have not made a choice yet: analytics is off.",
    },
    decision: DecisionLine {
        current_choice: "Your current choice: analytics",
        allowed: "allowed",
        refused: "refused",
        decided_on: ", decided on",
        utc_and_id: "(UTC). Decision id:",
    },
    errors: Errors {
        not_saved: "Your choice could not be saved, so nothing has changed. Please try again.",
        too_many: "Too many choices were sent from your network in a short time, so nothing has changed. Please try again in a minute.",
        invalid: "Your choice could not be read, so nothing has changed. Please try again.",
    },
    cookie_settings: "Cookie Settings",
    read_notice: "Read our Cookie Notice",
    gpc_honoured: "Your browser's Global Privacy Control signal is honoured: analytics is off.",
};

pub const STATUS: Status = Status {
    saving: "Saving your choice…",
    saved: "Your choice is saved.",
    opening: "Opening the cookie settings…",
};
