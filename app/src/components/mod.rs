pub mod layout;
pub mod status;
pub mod table;
