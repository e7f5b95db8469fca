//! The consent form: its field names and values, which the views render, the server function
//! takes and the strict-form check allows, and the rules that turn a post into a choice.

use super::decision::Method;
use crate::catalog::{Category, CATALOG};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Which button submitted the form.
pub const CHOICE: &str = "choice";
/// Which control the form belongs to.
pub const SOURCE: &str = "source";
/// Where a post without JavaScript returns to.
pub const RETURN_TO: &str = "return_to";
/// The per-category toggles, `categories[<key>]`.
pub const CATEGORIES: &str = "categories";
/// A toggle's value when it is on; an absent toggle is off.
pub const GRANTED: &str = "granted";
const DENIED: &str = "denied";

/// The name of a category's toggle.
pub fn category_field(category: Category) -> String {
    format!("{CATEGORIES}[{}]", category.key())
}

/// The consent form as posted: its fields, and any other, kept to be refused by name.
/// The field names are the constants above (a test holds them together).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentForm {
    pub choice: String,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub categories: Option<HashMap<String, String>>,
    #[serde(default)]
    pub return_to: Option<String>,
    #[serde(flatten, default, skip_serializing)]
    pub unknown: BTreeMap<String, Unknown>,
}

/// The value of a field the form does not have: never read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Unknown;

impl<'de> Deserialize<'de> for Unknown {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Unknown)
    }
}

impl ConsentForm {
    /// The choice the form asks for; `plain_form` is a post made without JavaScript.
    pub fn choice(&self, plain_form: bool) -> Result<Choice, String> {
        if let Some(name) = self.unknown.keys().next() {
            return Err(format!(
                "unknown field `{}` in the consent form",
                name.escape_default()
            ));
        }
        parse_choice(
            &self.choice,
            self.source.as_deref(),
            self.categories.as_ref(),
            plain_form,
        )
    }
}

/// The form's submit buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Accept,
    Reject,
    /// Save the toggles as they are.
    Save,
}

impl Action {
    pub const fn value(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Reject => "reject",
            Action::Save => "save",
        }
    }
}

/// The control a form belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Banner,
    /// The preferences dialog or the settings page.
    Settings,
}

impl Source {
    pub const fn value(self) -> &'static str {
        match self {
            Source::Banner => "banner",
            Source::Settings => "settings",
        }
    }

    const fn method(self) -> Method {
        match self {
            Source::Banner => Method::Banner,
            Source::Settings => Method::Settings,
        }
    }
}

/// A choice, checked: what the visitor asked for and how.
#[derive(Debug, PartialEq, Eq)]
pub struct Choice {
    pub analytics: bool,
    pub method: Method,
}

/// Validates the fields the consent forms post. `plain_form` is a post made without JavaScript.
pub fn parse_choice(
    choice: &str,
    source: Option<&str>,
    categories: Option<&HashMap<String, String>>,
    plain_form: bool,
) -> Result<Choice, String> {
    let mut analytics_box = false;
    for (key, value) in categories.into_iter().flatten() {
        let category = CATALOG
            .iter()
            .find(|c| c.category.key() == key)
            .ok_or_else(|| format!("unknown cookie category `{key}`"))?;
        if !category.can_disable {
            return Err(format!("the `{key}` category cannot be switched"));
        }
        let granted = match value.as_str() {
            GRANTED => true,
            DENIED => false,
            other => return Err(format!("`{other}` is not {GRANTED} or {DENIED}")),
        };
        if category.category == Category::Analytics {
            analytics_box = granted;
        }
    }
    let analytics = [Action::Accept, Action::Reject, Action::Save]
        .into_iter()
        .find(|action| action.value() == choice)
        .map(|action| match action {
            Action::Accept => true,
            Action::Reject => false,
            Action::Save => analytics_box,
        })
        .ok_or_else(|| format!("`{choice}` is not accept, reject or save"))?;
    let method = if plain_form {
        Method::Form
    } else {
        [Source::Banner, Source::Settings]
            .into_iter()
            .find(|s| Some(s.value()) == source)
            .map(Source::method)
            .ok_or_else(|| {
                format!(
                    "source {:?} is not banner or settings",
                    source.unwrap_or("")
                )
            })?
    };
    Ok(Choice { analytics, method })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The toggle's name the views render is the field the form reads.
    #[test]
    fn a_categorys_toggle_is_the_field_the_form_reads() {
        assert_eq!(category_field(Category::Analytics), "categories[analytics]");
        let name = category_field(Category::Analytics);
        let (field, key) = name.trim_end_matches(']').split_once('[').unwrap();
        assert_eq!(field, CATEGORIES);
        assert!(CATALOG.iter().any(|c| c.category.key() == key));
    }

    fn categories(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accept_and_reject_decide_in_one_step() {
        let accept = parse_choice("accept", Some("banner"), None, false).unwrap();
        assert_eq!(
            accept,
            Choice {
                analytics: true,
                method: Method::Banner
            }
        );
        let reject = parse_choice("reject", Some("settings"), None, false).unwrap();
        assert_eq!(
            reject,
            Choice {
                analytics: false,
                method: Method::Settings
            }
        );
    }

    #[test]
    fn save_uses_the_toggle_and_an_absent_toggle_is_off() {
        let on = categories(&[("analytics", "granted")]);
        assert!(
            parse_choice("save", Some("settings"), Some(&on), false)
                .unwrap()
                .analytics
        );
        assert!(
            !parse_choice("save", Some("settings"), None, false)
                .unwrap()
                .analytics
        );
        let off = categories(&[("analytics", "denied")]);
        assert!(
            !parse_choice("save", Some("settings"), Some(&off), false)
                .unwrap()
                .analytics
        );
    }

    #[test]
    fn a_plain_form_post_is_recorded_as_form() {
        let choice = parse_choice("accept", Some("banner"), None, true).unwrap();
        assert_eq!(choice.method, Method::Form);
        assert_eq!(
            parse_choice("reject", None, None, true).unwrap().method,
            Method::Form
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        type Case<'a> = (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)], &'a str);
        let cases: [Case; 6] = [
            ("maybe", Some("banner"), &[], "not accept, reject or save"),
            (
                "save",
                Some("banner"),
                &[("marketing", "granted")],
                "unknown cookie category",
            ),
            (
                "save",
                Some("banner"),
                &[("essential", "denied")],
                "cannot be switched",
            ),
            (
                "save",
                Some("banner"),
                &[("analytics", "yes")],
                "not granted or denied",
            ),
            ("accept", Some("gpc"), &[], "not banner or settings"),
            ("accept", None, &[], "not banner or settings"),
        ];
        for (choice, source, cats, reason) in cases {
            let err = parse_choice(choice, source, Some(&categories(cats)), false).unwrap_err();
            assert!(err.contains(reason), "{err}");
        }
    }

    #[test]
    fn the_form_refuses_fields_it_does_not_have() {
        let form = |unknown: &[&str]| ConsentForm {
            choice: "accept".into(),
            source: Some("banner".into()),
            unknown: unknown.iter().map(|k| (k.to_string(), Unknown)).collect(),
            ..Default::default()
        };
        assert!(form(&[]).choice(false).is_ok());
        let err = form(&["admin"]).choice(false).unwrap_err();
        assert!(err.contains("unknown field `admin`"), "{err}");
    }

    #[test]
    fn the_field_names_are_the_forms() {
        let form = ConsentForm {
            source: Some(String::new()),
            categories: Some(HashMap::new()),
            return_to: Some(String::new()),
            ..Default::default()
        };
        let value = serde_json::to_value(&form).unwrap();
        let mut names: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        let mut fields = [CATEGORIES, CHOICE, RETURN_TO, SOURCE];
        fields.sort_unstable();
        assert_eq!(names, fields);
    }
}
