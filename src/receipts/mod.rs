//! Consent receipts: proof of every decision (GDPR Art. 7(1)), appended before the visitor is
//! told it was saved. SQLite by default; PostgreSQL for several instances of the site.

mod archive;
mod export;
mod figures;
mod log;
pub mod merkle;
pub mod proof;
mod prune;
mod receipt;
mod seal;
mod store;
mod verify;

pub use archive::{ArchivedPolicy, PolicyUse};
pub use export::give_way;
pub use figures::{Counted, Daily, DAY};
pub use log::{ConsentLog, RecordError};
pub use prune::{PRUNE_BATCH, PRUNE_BATCH_TIME};
pub use receipt::{fingerprint_of, policy_document, policy_fingerprint, Receipt};
pub use seal::{seal_every, Seal};
pub use store::{Store, StoreError};
pub use verify::{DayReport, DayState};
