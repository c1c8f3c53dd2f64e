//! The Tessera console: Leptos components and pages, server functions, and (server-only)
//! the store. Built twice: with `ssr` into the server binary, with `hydrate` into wasm.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;
pub mod server;

#[cfg(feature = "ssr")]
pub mod identity;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod licensing;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod ratelimit;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;

pub use app::{shell, App};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
