//! The REST edge: everything the server answers outside the Leptos console. Handlers are
//! thin: an extractor says who is calling (`extract`), the handler parses the request,
//! calls one service and maps the outcome; every JSON refusal is an `error::ApiError`, and
//! the few server-rendered pages come from `html`.
pub mod consent;
pub mod error;
pub mod extract;
pub mod health;
pub mod html;
pub mod licensing;
pub mod oauth;
pub mod openapi;
pub mod people;
pub mod provisioning;
pub mod scim;
pub mod sso;
pub mod usage;
