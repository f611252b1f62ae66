//! Vietnam's administrative units as the regulation's `Unit` and `Tier`: codes,
//! the GSO CSV format, and the planning of an import into a directory.
//!
//! The unit tree comes from data. It may have three tiers (province, district,
//! commune) or two (province and commune, from July 2025): nothing here assumes
//! a fixed depth.

mod code;
mod csv_file;
mod import;
mod reorganisation;
mod tier;
mod unit;

pub use code::{InvalidUnitCode, UnitCode};
pub use csv_file::{LineError, RawUnit, read_units_csv};
pub use import::{ImportPlan, UnitRecord, plan_import};
pub use reorganisation::{Decision, Life, LivingUnit, ReorganisationPlan, plan_reorganisation};
pub use tier::Tier;
pub use unit::{Unit, is_within};
