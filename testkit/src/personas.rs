//! Who the tests act as: the demo data's admin (made by `tessera::seed`) and the password
//! every seeded account gets in a test run, the same for the in-process server of the
//! integration tests and the `tessera serve --demo-password` of the browser tests.

/// The password of every demo account in a test run.
pub const PASSWORD: &str = "demo-password-123";

/// The demo's admin: runs Northwind Studio, the team most tests use.
pub const ADMIN: &str = "admin@northwind.example";

/// The demo team most tests use.
pub const NORTHWIND: &str = "Northwind Studio";
