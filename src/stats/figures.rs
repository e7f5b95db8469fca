//! The figures of a period and how they add up: a day's decisions and counters added in, the
//! counters that were counted made 0 rather than unknown, and the rates worked out last.

use super::counters::Counter;
use crate::receipts::{Counted, Daily};
use serde::Serialize;

/// Saves refused, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub rate_limit: u64,
    pub queue_full: u64,
    pub store_failure: u64,
}

impl Refused {
    /// Saves refused for any reason.
    pub fn total(self) -> u64 {
        self.rate_limit + self.queue_full + self.store_failure
    }
}

/// The figures of one period (or of all of them). Rates are `None` (JSON `null`) where their
/// divisor is 0; the counters are `None` in rows by method, which pages are not counted by.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub decisions: u64,
    pub granted: u64,
    pub denied: u64,
    pub banner: u64,
    pub settings: u64,
    pub form: u64,
    pub opt_in_rate: Option<f64>,
    pub impressions: Option<u64>,
    pub interaction_rate: Option<f64>,
    pub gpc_pages: Option<u64>,
    pub withdrawn: u64,
    pub regranted: u64,
    pub refused: Option<Refused>,
    /// The newest policy revision decided under in the period (the chart marks its changes).
    #[serde(skip)]
    pub revision: Option<i64>,
}

impl Figures {
    pub(super) fn add_decisions(&mut self, daily: &Daily) {
        let n = daily.decisions.max(0) as u64;
        self.decisions += n;
        if daily.analytics {
            self.granted += n;
        } else {
            self.denied += n;
        }
        match daily.method.as_str() {
            "banner" => self.banner += n,
            "settings" => self.settings += n,
            _ => self.form += n,
        }
        self.withdrawn += daily.withdrawn.max(0) as u64;
        self.regranted += daily.regranted.max(0) as u64;
        self.revision = self.revision.max(Some(daily.revision));
    }

    pub(super) fn add_count(&mut self, counted: &Counted) {
        let n = counted.value.max(0) as u64;
        let refused = self.refused.get_or_insert_with(Refused::default);
        match Counter::named(&counted.name) {
            Some(Counter::Impression) => *self.impressions.get_or_insert(0) += n,
            Some(Counter::GpcPage) => *self.gpc_pages.get_or_insert(0) += n,
            Some(Counter::RateLimited) => refused.rate_limit += n,
            Some(Counter::QueueFull) => refused.queue_full += n,
            Some(Counter::StoreFailed) => refused.store_failure += n,
            None => {}
        }
    }

    /// Counters that were counted but are 0 say 0, not `null`.
    pub(super) fn counted(mut self) -> Self {
        self.impressions.get_or_insert(0);
        self.gpc_pages.get_or_insert(0);
        self.refused.get_or_insert_with(Refused::default);
        self
    }

    pub(super) fn with_rates(mut self) -> Self {
        self.opt_in_rate = rate(self.granted, Some(self.decisions));
        self.interaction_rate = rate(self.decisions, self.impressions);
        self
    }
}

/// `part ÷ whole`, to four decimals; `None` where `whole` is 0 or not known.
fn rate(part: u64, whole: Option<u64>) -> Option<f64> {
    let whole = whole.filter(|&w| w > 0)?;
    Some((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn daily(method: &str, analytics: bool, decisions: i64, revision: i64) -> Daily {
        Daily {
            day: 20_423,
            revision,
            method: method.into(),
            analytics,
            decisions,
            withdrawn: 0,
            regranted: 0,
        }
    }

    fn counted(name: &str, value: i64) -> Counted {
        Counted {
            day: 20_423,
            revision: 1,
            name: name.into(),
            value,
        }
    }

    #[test]
    fn decisions_add_up_by_choice_and_method() {
        let mut figures = Figures::default();
        figures.add_decisions(&daily("banner", true, 3, 2));
        figures.add_decisions(&daily("settings", false, 1, 1));
        figures.add_decisions(&Daily {
            withdrawn: 1,
            regranted: 2,
            ..daily("form", false, 2, 1)
        });
        figures.add_decisions(&daily("banner", true, -5, 1));
        assert_eq!(
            (figures.decisions, figures.granted, figures.denied),
            (6, 3, 3)
        );
        assert_eq!((figures.banner, figures.settings, figures.form), (3, 1, 2));
        assert_eq!((figures.withdrawn, figures.regranted), (1, 2));
        assert_eq!(figures.revision, Some(2), "the newest revision");
        assert_eq!(figures.impressions, None, "no counter was added");
    }

    #[test]
    fn counters_add_up_by_name_and_unknown_names_count_nothing() {
        let mut figures = Figures::default();
        for (name, value) in [
            ("impressions", 4),
            ("impressions", 1),
            ("gpc_pages", 2),
            ("refused_rate_limit", 3),
            ("refused_queue_full", 1),
            ("refused_store_failure", 2),
            ("visitors", 9),
        ] {
            figures.add_count(&counted(name, value));
        }
        assert_eq!(figures.impressions, Some(5));
        assert_eq!(figures.gpc_pages, Some(2));
        let refused = Refused {
            rate_limit: 3,
            queue_full: 1,
            store_failure: 2,
        };
        assert_eq!(figures.refused, Some(refused));
        assert_eq!(refused.total(), 6);
        assert_eq!(figures.decisions, 0);
    }

    #[test]
    fn counted_counters_say_zero_and_rates_need_a_divisor() {
        let none = Figures::default().with_rates();
        assert_eq!((none.opt_in_rate, none.interaction_rate), (None, None));
        let zero = Figures::default().counted().with_rates();
        assert_eq!(zero.impressions, Some(0));
        assert_eq!(zero.gpc_pages, Some(0));
        assert_eq!(zero.refused, Some(Refused::default()));
        assert_eq!(
            zero.interaction_rate, None,
            "no NaN where nothing was shown"
        );

        let mut figures = Figures::default();
        figures.add_decisions(&daily("banner", true, 5, 1));
        figures.add_decisions(&daily("banner", false, 4, 1));
        figures.add_count(&counted("impressions", 10));
        let figures = figures.with_rates();
        assert_eq!(figures.opt_in_rate, Some(0.5556), "four decimals");
        assert_eq!(figures.interaction_rate, Some(0.9));
    }
}
