//! The Tessera server: CLI, configuration, HTTP start-up, REST endpoints and demo data.
//! Business rules and the store live in the `app` crate (shared with the console).
//!
//! The library's tests are in the integration binary (`tests/api/edge`), and `[lib] test =
//! false` in Cargo.toml. An explicit `cargo test --lib` still builds a unit-test copy of the
//! library (cargo ignores `test = false` then), so with cfg(test) the crate is empty: that
//! copy costs nothing instead of a second compile of the whole server. Write no
//! `#[cfg(test)]` tests here; put them in tests/api/edge.
#![cfg(not(test))]
pub mod api;
pub mod cli;
pub mod ip_limits;
pub mod mail_worker;
pub mod metrics;
pub mod security;
pub mod seed;
pub mod session_store;
pub mod site;
pub mod startup;

/// `tessera client …`, the reference product client, is its own crate (domain only).
pub use tessera_client as client;
