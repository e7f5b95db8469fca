//! Consent receipts: proof of every decision (GDPR Art. 7(1)), appended before the visitor is
//! told it was saved. SQLite by default; PostgreSQL for several instances of the site.

mod export;
mod figures;
mod log;
mod prune;
mod receipt;
mod store;

pub use figures::{Counted, Daily, DAY};
pub use log::{ConsentLog, RecordError};
pub use prune::{PRUNE_BATCH, PRUNE_BATCH_TIME};
pub use receipt::{policy_fingerprint, Receipt};
pub use store::{Store, StoreError};
