//! Every integration test of the server, in one test binary: each test binary links the whole
//! server and its dependencies, so one binary instead of fifteen is most of what building the
//! tests costs in time and disk. Each test starts the real server (in-process, or the built
//! `tessera` binary) on its own temporary database, on whichever engine
//! `TESSERA_TEST_ENGINE` names, so they run in parallel without sharing anything. The
//! exception is `edge`: the server library's unit tests (no server, no database), kept here
//! so the library is not compiled a second time for a `--lib` test build.
mod client_harness;
mod common;

mod access_matrix;
mod advice;
mod attacks;
mod cli;
mod client;
mod console_api;
mod edge;
mod flex_tokens;
mod groups;
mod identity;
mod import;
mod import_crash;
mod licensing;
mod mail_outbox;
mod members;
mod openapi;
mod operations;
mod own_account;
mod provisioning;
mod references;
mod scale_out;
mod scim;
mod security;
mod sso;
mod usage;
