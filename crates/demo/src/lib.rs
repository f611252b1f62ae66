//! Plausible years of Hưng Yên's dialogues for the local stack: every head's
//! periodic dialogue, voter-contact and ad hoc conferences, citizens who
//! register and are called to speak in turn, petitions across the R5.1
//! fields, conclusion notices and agency responses on time and late,
//! escalations and the heads' reports.
//!
//! [`plan`] decides the whole year up front from a seed (pure and
//! deterministic, so the figures the deadlines service must report can be
//! worked out from the plan alone); [`history`] chains years across
//! reorganisations, each applied on its day with the successors finishing
//! what the ended units left open; [`seed`] then plays a plan through the four
//! services' public gRPC APIs, moving their adjustable clocks from one step to
//! the next, as the offices, heads, secretaries and agencies would.

pub mod history;
pub mod plan;
pub mod seed;
mod texts;

pub use plan::{DemoUnit, Plan};
