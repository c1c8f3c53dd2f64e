//! Server functions, grouped by area. Each is thin: session → authorization → domain →
//! store → DTO. DTOs are plain serde types so the browser build compiles them too.
pub mod auth;
pub mod home;

#[cfg(feature = "ssr")]
pub mod ssr;
