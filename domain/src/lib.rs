//! Business rules as plain types and functions: no I/O, no clock reads, no database.
//! Compiled for both the server and the browser so forms can validate before a round trip.

pub mod access;
pub mod advice;
pub mod assertion;
pub mod csv_import;
pub mod display;
pub mod email;
pub mod groups;
pub mod ids;
pub mod invitation;
pub mod invitee;
pub mod ledger;
pub mod licensing;
pub mod membership;
pub mod names;
pub mod oauth;
pub mod password;
pub mod profile;
pub mod scim;
pub mod seats;
pub mod sso;
pub mod throttle;
pub mod tokens;
pub mod usage;
pub mod vendor;

pub use email::{Email, EmailError};
pub use ids::{IdError, TeamId, UserId};
pub use names::{GroupName, NameError, PersonName, TeamName};
pub use password::{NewPassword, PasswordError};
