//! The operator's figures: how many visitors decided, how, and how often the banner was
//! shown, per period, from the consent log's daily figures (kept as each receipt is written)
//! and the counters of what receipts cannot show. Nothing about any visitor.

pub mod chart;
pub mod counters;
mod days;
mod figures;
mod format;
mod grouping;
pub mod page;
mod period;

pub use days::{date_of, Days};
pub use figures::{Figures, Refused};
pub use grouping::{group, read, Row, Stats};
pub use period::By;
