//! The Tessera server: CLI, configuration, HTTP start-up, REST endpoints and demo data.
//! Business rules and the store live in the `app` crate (shared with the console).
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
