//! The consent controls: the page's islands, the only code the browser runs.
//!
//! `ConsentRoot` wraps the whole page and provides the consent context to its own controls
//! (banner, dialog, Clarity) and to the islands inside the server-rendered page: "Cookie
//! Settings" and the GPC notice in the footer, and the form on `/cookie-settings`.

pub mod banner;
pub mod clarity;
pub mod context;
pub mod dialog;
pub mod form;
pub mod settings;

use banner::CookieBanner;
use clarity::Clarity;
use context::Consent;
use dialog::PreferencesDialog;
use leptos::prelude::*;

/// The page, with the banner, the dialog and Clarity first in it: keyboard and screen
/// reader users meet the choice before anything else. The state comes from the request (and
/// in the browser from `<body>`); islands in `children` (the server-rendered page) share it.
#[island]
pub fn ConsentRoot(children: Children) -> impl IntoView {
    Consent::provide();
    view! {
        <CookieBanner />
        <PreferencesDialog />
        <Clarity />
        {children()}
    }
}
