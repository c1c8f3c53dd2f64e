//! REST endpoints outside the console (health now; identity and licensing APIs later).
pub mod authorize;
pub mod health;
pub mod licensing;
pub mod oauth;
pub mod sso;
pub mod usage;
