//! Services: what the server functions and the REST handlers call. Each one combines the
//! store (SQL) with the domain's rules (no I/O) and the outside world (mail, keys, clock);
//! nothing here renders or parses HTTP. Server-only.

pub mod assignments;
pub mod identity;
pub mod keys;
pub mod licensing;
pub mod mail;
pub mod passwords;
pub mod products;
pub mod ratelimit;
pub mod secrets;
pub mod state;
