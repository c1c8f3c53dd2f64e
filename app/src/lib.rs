//! The Tessera console: Leptos pages and components, server functions, and (server-only)
//! the services and the store (ARCHITECTURE.md has the rooms and which way calls go). Built twice: with `ssr` into the server binary, with `hydrate` into wasm.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod error;
pub mod pages;
pub mod server;

/// The business rules live in their own crate (no I/O), shared with the wasm bundle and the
/// product client; re-exported so the console names them `crate::domain::…`.
pub use tessera_domain as domain;

#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use app::{shell, App};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
