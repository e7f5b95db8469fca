pub mod consent;
pub mod layout;
