pub mod chart;
pub mod layout;
pub mod modal;
pub mod status;
pub mod table;
