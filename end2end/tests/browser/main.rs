//! Every browser test, in one test binary (each binary links playwright-rs and the server's
//! store: one instead of eight is most of what building them costs). Each test starts the
//! built `tessera` binary on its own database and drives its own Chromium.
mod accessibility;
mod account;
mod advice;
mod console;
mod deploy;
mod directory;
mod flex;
mod flex_tokens;
mod groups;
mod identity;
mod import;
mod invitations;
mod lifecycle;
mod people;
mod usage;
