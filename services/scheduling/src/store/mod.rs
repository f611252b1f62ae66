//! The scheduling database: every query the service runs, by what it loads
//! or saves. Functions take the caller's connection (or transaction), so a
//! change and its audit entry and events commit together.

pub mod conferences;
pub mod plans;
pub mod posts;
pub mod units;
