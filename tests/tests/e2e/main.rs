//! The end-to-end tests: every service started in-process against real
//! PostgreSQL and NATS, driven through gRPC alone. One binary, so that the
//! whole stack is linked once; the tests of each file are a module.

mod access;
mod auth;
mod clock;
mod conferences;
mod deadlines;
mod fuzz;
mod k8s;
mod load;
mod minutes;
mod monitoring;
mod participants;
mod privacy;
mod reorganisation;
mod resilience;
mod scenario;
mod signin;
mod tls;
mod units;
mod web;
mod workspace;
