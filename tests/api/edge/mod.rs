//! The server library's own edge cases, one module per source file: pure functions and
//! types (error answers, pages, CSV, the CLI's parsing, per-IP keys, mail building, the
//! browser-hardening checks, site files). No server and no database: they live in this
//! binary so the `tessera` library is not compiled a second time as a unit-test build.
mod cli;
mod error;
mod html;
mod ip_limits;
mod mail_worker;
mod security;
mod site;
mod usage;
