//! The national level: each province's NATS is a leaf node of the national
//! hub with a JetStream domain of its own; the hub's stream sources every
//! province's deadlines events (`hub`), and the national summary folds them
//! into each province's figures (`figures`) without reaching into any
//! province's database.

pub mod figures;
pub mod hub;
