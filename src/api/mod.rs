//! REST endpoints outside the console (health now; identity and licensing APIs later).
pub mod health;
pub mod oauth;
