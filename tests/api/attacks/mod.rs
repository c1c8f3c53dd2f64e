//! The attack suite (issue 15): each test acts as a hostile admin of another team, a plain
//! member, an invitee or an outsider would, and asserts both the refusal and that nothing
//! changed. One module per area, on whichever engine `TESSERA_TEST_ENGINE` names.
mod client;
pub(crate) mod devices;
mod identity;
mod idp;
mod sso;
mod throttle;
mod tokens;
