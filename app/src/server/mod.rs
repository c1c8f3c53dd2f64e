//! Server functions, grouped by area. Each is thin: session → authorization → domain →
//! store → DTO. DTOs are plain serde types so the browser build compiles them too.
pub mod account;
pub mod advice;
pub mod apps;
pub mod assign;
pub mod audit;
pub mod auth;
pub mod devices;
pub mod directory;
pub mod flex;
pub mod groups;
pub mod home;
pub mod import;
pub mod invitations;
pub mod members;
pub mod people;
pub mod tokens;
pub mod usage;

#[cfg(feature = "ssr")]
pub mod ssr;
